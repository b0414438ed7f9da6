// Offline transform jobs on a target: start, abort and report, for the proxy.
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/target/targetnode.h"
#include "shared/api/json.h"
#include "shared/core/logging.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Kiln::Target {
namespace {

constexpr int MaxJobs = 256; // finished jobs kept for status queries

} // namespace

void TargetNode::registerJobRoutes()
{
    Http::Router &r = m_server.router();
    r.add({"POST"}, "/v1/xactions/_start",
          [this](Http::Exchange ex) { onJobStart(std::move(ex)); });
    r.add({"GET"}, "/v1/xactions", [this](Http::Exchange ex) { onJobList(std::move(ex)); });
    r.add({"GET"}, "/v1/xactions/{id}", [this](Http::Exchange ex) { onJobGet(std::move(ex)); });
    r.add({"POST"}, "/v1/xactions/{id}/_abort",
          [this](Http::Exchange ex) { onJobAbort(std::move(ex)); });
}

void TargetNode::onJobStart(Http::Exchange ex)
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
    if (auto known = m_bmd.check({}, spec->srcBucket); !known)
        return ex.fail(known.error());
    Xact::OfflineJob::Deps deps{&m_store, &m_delivery, &m_comm, &m_nam, &m_smap, m_self};
    auto *job = new Xact::OfflineJob(*spec, deps, this);
    const QString id = spec->id;
    connect(job, &Xact::OfflineJob::failed, this, [this, id](const QString &why) {
        // Without continue-on-error the first error stops the job on every target.
        Node::IntraRequest request{"POST",
                                   QStringLiteral("/v1/xactions/%1/_failed").arg(id),
                                   why.toUtf8(),
                                   {{"Content-Type", "text/plain"}},
                                   10000};
        Node::callNodes(m_nam, {m_proxy}, request, this, [](const QList<Node::IntraReply> &) {});
    });
    // The proxy completes some jobs once every target is done (a move drops its source).
    connect(job, &Xact::OfflineJob::finished, this, [this, job, id] {
        const QJsonObject snap = job->snap();
        Node::IntraRequest request{
            "POST",
            QStringLiteral("/v1/xactions/%1/_finished").arg(id),
            Api::compact(QJsonObject{{"target", m_self.id}, {"aborted", snap.value("aborted")}}),
            {},
            10000};
        Node::callNodes(m_nam, {m_proxy}, request, this, [](const QList<Node::IntraReply> &) {});
    });
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
    job->start();
    ex.ok();
}

void TargetNode::onJobAbort(Http::Exchange ex)
{
    if (Xact::OfflineJob *job = m_jobs.value(ex.param("id")))
        job->abort(QString::fromUtf8(ex.body()));
    ex.ok();
}

void TargetNode::onJobGet(Http::Exchange ex)
{
    Xact::OfflineJob *job = m_jobs.value(ex.param("id"));
    if (!job)
        return ex.fail(
            makeError(ErrorCode::NotFound,
                      QStringLiteral("%1: job %2 not found").arg(m_self.tag(), ex.param("id"))));
    ex.json(Api::compact(job->snap()));
}

void TargetNode::onJobList(Http::Exchange ex)
{
    QJsonArray list;
    for (const QString &id : m_jobOrder) {
        if (Xact::OfflineJob *job = m_jobs.value(id))
            list.append(job->snap());
    }
    ex.json(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

void TargetNode::countIncoming(const QString &jobId, qint64 bytes)
{
    if (Xact::OfflineJob *job = m_jobs.value(jobId))
        job->countIncoming(bytes);
}

} // namespace Kiln::Target
