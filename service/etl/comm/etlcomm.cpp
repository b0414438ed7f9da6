#include "service/etl/comm/etlcomm.h"

#include "service/etl/comm/hpullcomm.h"
#include "service/etl/comm/hpushcomm.h"
#include "service/etl/comm/hrevcomm.h"
#include "service/etl/comm/iocomm.h"
#include "service/etl/comm/wscomm.h"

namespace Kiln::Etl {

std::unique_ptr<EtlComm> makeEtlComm(CommType type, const CommDeps &deps)
{
    // No default: the compiler names a comm type without a communicator.
    switch (type) {
    case CommType::Hpush:
        return std::make_unique<HpushComm>(deps);
    case CommType::Hpull:
        return std::make_unique<HpullComm>(deps);
    case CommType::Hrev:
        return std::make_unique<HrevComm>(deps);
    case CommType::Io:
        return std::make_unique<IoComm>(deps);
    case CommType::Ws:
        return std::make_unique<WsComm>(deps);
    }
    return nullptr;
}

} // namespace Kiln::Etl
