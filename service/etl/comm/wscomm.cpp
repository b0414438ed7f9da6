#include "service/etl/comm/wscomm.h"

#include "service/etl/comm/wspool.h"
#include "service/etl/etlmanager.h"

namespace Kiln::Etl {

WsComm::WsComm(const CommDeps &deps)
    : m_comm(deps.comm)
{ }

WsComm::~WsComm() = default;

void WsComm::transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                       Communicator::Done done)
{
    if (quint64(job.size) > WsPool::AisReadLimit) {
        const Error error = makeError(
            ErrorCode::TooLarge,
            QStringLiteral("ETL %1: the object has %2 bytes, more than a ws:// message may carry "
                           "(%3); use hpush:// for it")
                .arg(job.etlName)
                .arg(job.size)
                .arg(WsPool::AisReadLimit));
        m_comm->recordError(job, error);
        return done(error);
    }
    WsPool *pool = m_pools.value(job.etlName);
    if (pool && !pool->serves(entry)) {
        // A new run or a restarted instance: the old sockets lead nowhere useful.
        pool->shutdown(QStringLiteral("the ETL's instance was replaced"));
        pool = nullptr;
    }
    if (!pool) {
        pool = new WsPool(m_comm, entry, this);
        connect(pool, &WsPool::closed, this, [this, pool] { forget(pool); });
        m_pools.insert(job.etlName, pool);
    }
    auto request = std::make_shared<WsRequest>();
    request->job = job;
    request->context = context;
    request->done = std::move(done);
    pool->submit(std::move(request));
}

int WsComm::connectionCount(const QString &etl) const
{
    const WsPool *pool = m_pools.value(etl);
    return pool ? pool->connectionCount() : 0;
}

void WsComm::forget(WsPool *pool)
{
    for (auto it = m_pools.begin(); it != m_pools.end(); ++it) {
        if (it.value() == pool) {
            m_pools.erase(it);
            break;
        }
    }
    pool->deleteLater();
}

} // namespace Kiln::Etl
