#pragma once

#include "service/etl/comm/etlcomm.h"

namespace Kiln::Etl {

// io://: each object runs the ETL's program once, the object on its stdin and the result from
// its stdout (see IoTransform). Lives on the target's main thread, a child of the Communicator.
class IoComm final : public EtlComm
{
    Q_OBJECT
public:
    explicit IoComm(const CommDeps &deps);

    void transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                   Communicator::Done done) override;

private:
    CommDeps m_deps;
};

} // namespace Kiln::Etl
