#pragma once

#include "service/etl/comm/etlcomm.h"

#include <QHash>
#include <QString>

namespace Kiln::Etl {

class IoProcessPool;

// io://: each object runs the ETL's program once, the object on its stdin and the result from
// its stdout (see IoTransform). The processes come from one IoProcessPool per ETL, which starts
// a few ahead of their objects; a pool is replaced when the ETL's instance is (a new run or a
// restart). Lives on the target's main thread, a child of the Communicator.
class IoComm final : public EtlComm
{
    Q_OBJECT
public:
    explicit IoComm(const CommDeps &deps);

    void transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                   Communicator::Done done) override;
    // Processes started and waiting for an object of this ETL (diagnostics and tests).
    int waitingProcesses(const QString &etl) const;

private:
    IoProcessPool *poolFor(const QString &etl, EtlEntry &entry);

    CommDeps m_deps;
    QHash<QString, IoProcessPool *> m_pools; // by ETL name; children
};

} // namespace Kiln::Etl
