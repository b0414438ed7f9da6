#pragma once

#include "service/etl/comm/hrevcomm.h"

namespace Kiln::Etl {

// hpull://: an inline client is redirected to the ETL's server (Communicator::pullUrl) and
// fetches the result there, so only what the target transforms itself (offline jobs, pipeline
// stages) comes here, and goes exactly as with hrev://: the server GETs the object, or is PUT
// an intermediate result. Its own class, so that the factory stays one class per comm type.
class HpullComm final : public HrevComm
{
    Q_OBJECT
public:
    using HrevComm::HrevComm;
};

} // namespace Kiln::Etl
