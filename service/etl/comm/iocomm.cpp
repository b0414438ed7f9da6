#include "service/etl/comm/iocomm.h"

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
    auto *transform = new IoTransform(job, job.effectiveTimeout(entry.record.msg.objTimeout),
                                      m_deps, context, std::move(done), this);
    transform->start(*command);
}

} // namespace Kiln::Etl
