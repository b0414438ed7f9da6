#pragma once

#include "service/etl/comm/httpcomm.h"

namespace Kiln::Etl {

// hrev://: the target reverse-proxies the object's GET to the ETL's server, which reads the
// object from the target itself (or its file, in FQN mode). A pipeline stage after the first
// gets its input by PUT instead: the server could not fetch an intermediate result back.
class HrevComm : public HttpComm
{
    Q_OBJECT
public:
    using HttpComm::HttpComm;

protected:
    bool pushes(const TransformJob &job) const override;
};

} // namespace Kiln::Etl
