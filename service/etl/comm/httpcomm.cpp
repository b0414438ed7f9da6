#include "service/etl/comm/httpcomm.h"

#include "service/etl/etlmanager.h"

namespace Kiln::Etl {

HttpComm::HttpComm(const CommDeps &deps)
    : m_deps(deps)
{ }

bool HttpComm::startsWithPost(const TransformJob &job) const
{
    Q_UNUSED(job)
    return false;
}

void HttpComm::transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                         Communicator::Done done)
{
    const InitMsg &msg = entry.record.msg;
    HttpTransform::Setup setup;
    setup.job = job;
    setup.instance = entry.instance;
    setup.push = pushes(job);
    setup.usePost = startsWithPost(job);
    setup.fqn = Communicator::fqnMode(msg);
    setup.timeout = job.effectiveTimeout(msg.objTimeout);
    auto *transform
        = new HttpTransform(std::move(setup), m_deps, &m_put, context, std::move(done), this);
    transform->start();
}

} // namespace Kiln::Etl
