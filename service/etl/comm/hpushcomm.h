#pragma once

#include "service/etl/comm/httpcomm.h"

namespace Kiln::Etl {

// hpush://: the target PUTs the object (or, in FQN mode, its path) to the ETL's server and
// streams the answer back; POST for a seed-era server that refuses PUT.
class HpushComm final : public HttpComm
{
    Q_OBJECT
public:
    using HttpComm::HttpComm;

protected:
    bool pushes(const TransformJob &job) const override;
    bool startsWithPost(const TransformJob &job) const override;
};

} // namespace Kiln::Etl
