#pragma once

#include "service/etl/comm/httpcomm.h"

namespace Kiln::Etl {

// hpull://: an inline client is redirected to the ETL's server (Communicator::pullUrl) and
// fetches the result there, so only what the target transforms itself (offline jobs, pipeline
// stages) comes here, and goes as with hrev://: the server GETs the object, or is PUT an
// intermediate result.
class HpullComm final : public HttpComm
{
    Q_OBJECT
public:
    using HttpComm::HttpComm;

protected:
    bool pushes(const TransformJob &job) const override;
};

} // namespace Kiln::Etl
