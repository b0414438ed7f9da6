#include "service/etl/comm/iocomm.h"

#include "service/etl/comm/ioprocesspool.h"
#include "service/etl/comm/iotransform.h"
#include "service/etl/etlmanager.h"

namespace Kiln::Etl {

IoComm::IoComm(const CommDeps &deps)
    : m_deps(deps)
{ }

void IoComm::transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                       Communicator::Done done)
{
    const auto command = entry.instance->ioCommand();
    if (!command)
        return done(makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is not ready").arg(job.etlName)));
    IoProcessPool *pool = poolFor(job.etlName, entry);
    auto *transform = new IoTransform(job, job.effectiveTimeout(entry.record.msg.objTimeout),
                                      m_deps, context, std::move(done), this);
    transform->start(*pool, *command);
}

IoProcessPool *IoComm::poolFor(const QString &etl, EtlEntry &entry)
{
    IoProcessPool *pool = m_pools.value(etl);
    if (pool && pool->serves(entry.instance))
        return pool;
    delete pool; // a new run or a restarted instance: what waits was started for the old one
    pool = new IoProcessPool(etl, entry.instance, this);
    m_pools.insert(etl, pool);
    connect(entry.instance, &QObject::destroyed, pool, [this, etl, pool] {
        if (m_pools.value(etl) == pool)
            m_pools.remove(etl);
        pool->deleteLater();
    });
    return pool;
}

int IoComm::waitingProcesses(const QString &etl) const
{
    const IoProcessPool *pool = m_pools.value(etl);
    return pool ? pool->waiting() : 0;
}

} // namespace Kiln::Etl
