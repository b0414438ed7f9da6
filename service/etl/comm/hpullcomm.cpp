#include "service/etl/comm/hpullcomm.h"

namespace Kiln::Etl {

bool HpullComm::pushes(const TransformJob &job) const
{
    return job.pushBody;
}

} // namespace Kiln::Etl
