#include "service/etl/comm/hpushcomm.h"

namespace Kiln::Etl {

bool HpushComm::pushes(const TransformJob &job) const
{
    Q_UNUSED(job)
    return true;
}

bool HpushComm::startsWithPost(const TransformJob &job) const
{
    return putSupport().postOnly.contains(job.etlName);
}

} // namespace Kiln::Etl
