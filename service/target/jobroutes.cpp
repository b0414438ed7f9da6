#include "service/target/jobroutes.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/xact/offlinejob.h"
#include "shared/api/jobwire.h"
#include "shared/api/json.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Kiln::Target {
namespace {

constexpr int MaxJobs = 256; // finished jobs kept for status queries

} // namespace

JobRoutes::JobRoutes(TargetContext ctx, const Cluster::Snode &proxy, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_proxy(proxy)
{
}

void JobRoutes::registerRoutes(Http::Router &r)
{
    r.add({"POST"}, Api::Route::XactionStart, Http::bindHandler(this, &JobRoutes::onStart));
    r.add({"GET"}, Api::Route::Xactions, Http::bindHandler(this, &JobRoutes::onList));
    r.add({"GET"}, Api::Route::Xaction, Http::bindHandler(this, &JobRoutes::onGet));
    r.add({"POST"}, Api::Route::XactionAbort, Http::bindHandler(this, &JobRoutes::onAbort));
}

void JobRoutes::onStart(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "job");
    if (!json)
        return ex.fail(json.error());
    auto spec = Xact::JobSpec::fromJson(*json);
    if (!spec)
        return ex.fail(spec.error());
    if (m_jobs.contains(spec->id))
        return ex.fail(makeError(ErrorCode::AlreadyExists,
                                 QStringLiteral("job %1 already runs here").arg(spec->id)));
    if (auto known = m_ctx.bmd.check({}, spec->srcBucket); !known)
        return ex.fail(known.error());
    Xact::OfflineJob::Deps deps{&m_ctx.store, &m_ctx.delivery, &m_ctx.comm,
                                &m_ctx.nam,   &m_ctx.smap,     m_ctx.self, m_ecEncode};
    auto *job = new Xact::OfflineJob(*spec, deps, this);
    const QString id = spec->id;
    connect(job, &Xact::OfflineJob::failed, this, [this, id](const QString &why) {
        // Without continue-on-error the first error stops the job on every target.
        report(Api::Route::XactionFailed, id, why.toUtf8(), "text/plain");
    });
    // The proxy completes some jobs once every target is done (a move drops its source).
    connect(job, &Xact::OfflineJob::finished, this, [this, job, id] {
        const Api::JobEnd end{m_ctx.self.id, Api::decodeJobSnap(job->snap()).aborted};
        report(Api::Route::XactionFinished, id, Api::compact(Api::encodeJobEnd(end)), {});
    });
    keep(id, job);
    job->start();
    ex.ok();
}

void JobRoutes::report(const char *route, const QString &id, QByteArray body,
                       QByteArray contentType)
{
    Node::IntraRequest request{"POST", Api::routePath(route, {id}),
                               std::move(body), {}, 10000};
    if (!contentType.isEmpty())
        request.headers.append({"Content-Type", std::move(contentType)});
    Node::callNodes(m_ctx.nam, {m_proxy}, request, this, [](const QList<Node::IntraReply> &) {});
}

void JobRoutes::keep(const QString &id, Xact::OfflineJob *job)
{
    m_jobs.insert(id, job);
    m_jobOrder.append(id);
    while (m_jobOrder.size() > MaxJobs) {
        Xact::OfflineJob *old = m_jobs.value(m_jobOrder.first());
        if (old && !old->isFinished())
            break; // never drop a running job
        m_jobs.remove(m_jobOrder.takeFirst());
        if (old)
            old->deleteLater();
    }
}

void JobRoutes::onAbort(Http::Exchange ex)
{
    if (Xact::OfflineJob *job = m_jobs.value(ex.param("id")))
        job->abort(QString::fromUtf8(ex.body()));
    ex.ok();
}

void JobRoutes::onGet(Http::Exchange ex)
{
    Xact::OfflineJob *job = m_jobs.value(ex.param("id"));
    if (!job)
        return ex.fail(makeError(
            ErrorCode::NotFound,
            QStringLiteral("%1: job %2 not found").arg(m_ctx.self.tag(), ex.param("id"))));
    ex.json(Api::compact(job->snap()));
}

void JobRoutes::onList(Http::Exchange ex)
{
    QJsonArray list;
    for (const QString &id : m_jobOrder) {
        if (Xact::OfflineJob *job = m_jobs.value(id))
            list.append(job->snap());
    }
    ex.json(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

void JobRoutes::countIncoming(const QString &jobId, qint64 bytes)
{
    if (Xact::OfflineJob *job = m_jobs.value(jobId))
        job->countIncoming(bytes);
}

} // namespace Kiln::Target
