#include "service/etl/communicator.h"

#include "service/etl/comm/etlcomm.h"
#include "service/etl/comm/instanceurl.h"
#include "service/etl/etlmanager.h"
#include "service/etl/pipeline.h"
#include "service/http/errors.h"
#include "service/http/httpclient.h"
#include "service/metrics/etlmetrics.h"
#include "service/metrics/registry.h"
#include "service/runtime/instance.h"
#include "shared/api/names.h"

#include <QElapsedTimer>

namespace Kiln::Etl {

namespace {

// The comm label of the ETL metrics: "hpush", not the wire's "hpush://".
QString commLabel(CommType type)
{
    QString name = commTypeName(type);
    return name.endsWith(QLatin1String("://")) ? name.chopped(3) : name;
}

} // namespace

Communicator::Communicator(EtlManager *manager, QObject *parent)
    : QObject(parent)
    , m_manager(manager)
    , m_http(new Http::HttpClient(this))
    , m_pipeline(new Pipeline(manager, this, this))
{
    const CommDeps deps{manager, this, m_http};
    for (CommType type :
         {CommType::Hpush, CommType::Hpull, CommType::Hrev, CommType::Io, CommType::Ws})
        m_comms.emplace(type, makeEtlComm(type, deps));
}

Communicator::~Communicator() = default;

bool Communicator::fqnMode(const InitMsg &msg)
{
    return msg.readsObjectFiles();
}

void Communicator::account(const QString &etl, qint64 in, qint64 out, bool ok)
{
    EtlEntry *e = m_manager->find(etl);
    if (e && Metrics::enabled())
        Metrics::EtlMetrics::global().streamed(etl, commLabel(e->record.msg.comm), in, out, ok);
    if (e && ok) {
        ++e->objCount;
        e->inBytes += in;
        e->outBytes += out;
    }
}

void Communicator::recordError(const TransformJob &job, const Error &error)
{
    if (!job.inlineRequest)
        return; // the job keeps its own errors
    if (EtlEntry *e = m_manager->find(job.etlName))
        e->addError(ObjError{Api::objectCname(job.bucket, job.object), error.message,
                             Http::statusFor(error)});
}

QUrl Communicator::pullUrl(const TransformJob &job) const
{
    EtlEntry *entry = m_manager->find(job.etlName);
    if (!entry || !entry->instance)
        return {};
    return revUrl(entry->instance->endpoint(), job, false);
}

void Communicator::transform(const TransformJob &job, QObject *context, Done done)
{
    if (!job.pipeline.isEmpty())
        return m_pipeline->transform(job, context, std::move(done));
    EtlEntry *entry = m_manager->find(job.etlName);
    if (!entry || !entry->isRunning())
        return done(makeError(ErrorCode::NotFound,
                              QStringLiteral("%1 does not exist - try starting new ETL with "
                                             "\"/v1/etl/init\" endpoint")
                                  .arg(job.etlName)));
    if (entry->instance->phase() != QStringLiteral("Running")) {
        // Restarted with its target and not ready yet: clients retry a 503.
        return done(makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is starting on this target; try again shortly")
                                  .arg(job.etlName)));
    }
    const CommType comm = entry->record.msg.comm;
    if (Metrics::enabled())
        done = timed(job, comm, std::move(done));
    m_comms.at(comm)->transform(job, *entry, context, std::move(done));
}

Communicator::Done Communicator::timed(const TransformJob &job, CommType comm, Done done)
{
    QElapsedTimer started;
    started.start();
    return [done = std::move(done), started, etl = job.etlName, comm = commLabel(comm),
            inlineRequest = job.inlineRequest](Output output) {
        Metrics::EtlMetrics::global().answered(etl, comm, inlineRequest, bool(output),
                                               double(started.nsecsElapsed()) / 1e9);
        done(std::move(output));
    };
}

} // namespace Kiln::Etl
