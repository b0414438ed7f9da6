#include "service/etl/comm/hrevcomm.h"

namespace Kiln::Etl {

bool HrevComm::pushes(const TransformJob &job) const
{
    return job.pushBody;
}

} // namespace Kiln::Etl
