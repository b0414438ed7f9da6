#include "service/proxy/jobcontrol.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "shared/api/jobwire.h"
#include "shared/api/json.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <memory>

namespace Kiln::Proxy {
namespace {

constexpr int MaxJobs = 256; // finished jobs kept for status queries

QByteArray jsonArray(const QJsonArray &a)
{
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

} // namespace

JobControl::JobControl(QNetworkAccessManager &nam, const Cluster::Smap &smap, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_smap(smap)
{ }

QString JobControl::newJobId()
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QString id;
    for (int i = 0; i < 10; ++i)
        id += QChar(alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet) - 1)]);
    return id;
}

void JobControl::registerRoutes(Http::Router &r)
{
    r.add({"POST"}, Api::Route::XactionFailed,
          [this](Http::Exchange ex) { onFailed(std::move(ex)); });
    r.add({"POST"}, Api::Route::XactionFinished,
          [this](Http::Exchange ex) { onFinished(std::move(ex)); });
}

void JobControl::start(Http::Exchange ex, const Xact::JobSpec &spec, Completion onComplete)
{
    Job job{spec, m_smap.targets(), QDateTime::currentDateTimeUtc(), std::move(onComplete), {}};
    job.pendingCompletion = bool(job.onComplete);
    m_jobs.insert(spec.id, job);
    m_order.append(spec.id);
    while (m_order.size() > MaxJobs)
        m_jobs.remove(m_order.takeFirst());
    const Node::IntraRequest request{
        "POST", Api::Route::XactionStart, Api::compact(spec.toJson()), {}, 30000};
    Node::callNodes(
        m_nam, job.targets, request, this,
        [this, ex, id = spec.id](const QList<Node::IntraReply> &replies) mutable {
            for (const Node::IntraReply &r : replies) {
                if (r.ok())
                    continue;
                const QString why
                    = QStringLiteral("target %1 could not start the job: %2")
                          .arg(r.node.id, r.status ? QString::fromUtf8(r.body.left(500)) : r.error);
                abortJob(id, why, [] {});
                // Not every target runs it, so not every target will report its end.
                if (const auto it = m_jobs.find(id); it != m_jobs.end()) {
                    it->pendingCompletion = false;
                    if (Completion done = std::exchange(it->onComplete, nullptr))
                        done(false);
                }
                return ex.fail(makeError(ErrorCode::Unavailable, why));
            }
            Log::proxy().info("job {} started on {} targets", id, replies.size());
            ex.respond(200, id.toUtf8(), "text/plain; charset=utf-8");
        });
}

void JobControl::collect(const Job &job, QObject *context,
                         std::function<void(JobSnaps)> done)
{
    const Node::IntraRequest request{
        "GET", Api::routePath(Api::Route::Xaction, {job.spec.id}), {}, {}, 10000};
    const QString id = job.spec.id;
    Node::callNodes(
        m_nam, job.targets, request, context,
        [done, id, kind = job.spec.kind](const QList<Node::IntraReply> &replies) {
            JobSnaps snaps;
            for (const Node::IntraReply &r : replies) {
                auto json = r.ok() ? Api::parseObject(r.body, "job snapshot")
                                   : Result<QJsonObject>(QJsonObject{});
                if (r.ok() && json) {
                    snaps.append({r.node.id, *json});
                    continue;
                }
                // A target that restarted (or left) lost its part of the job: the job is aborted.
                const QString why = r.status == 404
                    ? QStringLiteral("target %1 no longer runs job %2 (it restarted)")
                          .arg(r.node.id, id)
                    : QStringLiteral("target %1 did not answer: %2").arg(r.node.id, r.error);
                Api::JobSnap lost{id, kind, true, why, why, true, 1, {}};
                snaps.append({r.node.id, Api::encodeJobSnap(lost)});
            }
            done(snaps);
        });
}

Api::JobStatus JobControl::statusOf(const Job &job, const JobSnaps &snaps) const
{
    bool aborted = false;
    bool finished = true;
    qint64 end = 0;
    QString err;
    QString objErr; // a target's object errors: the job finished, but not successfully
    for (const auto &[tid, json] : snaps) {
        const Api::JobSnap snap = Api::decodeJobSnap(json);
        aborted = aborted || snap.aborted;
        if (err.isEmpty())
            err = snap.abortErr;
        if (objErr.isEmpty())
            objErr = snap.err;
        finished = finished && snap.endNs > 0 && !job.pendingCompletion;
        end = std::max(end, snap.endNs);
    }
    Api::JobStatus status{job.spec.kind, job.spec.id, err.isEmpty() ? objErr : err,
                          finished ? end : 0, aborted, std::nullopt};
    if (job.spec.isListRange()) // idle kinds: waited for by their idleness
        status.idle = finished;
    return status;
}

Result<QList<JobControl::Job>> JobControl::selectJobs(const QString &what,
                                                    const QJsonObject &query) const
{
    const QString id = Api::valueCi(query, u"id").toString();
    const QString kind = Api::valueCi(query, u"kind").toString();
    QList<Job> selected;
    if (!id.isEmpty()) {
        if (!m_jobs.contains(id))
            return makeError(ErrorCode::NotFound,
                             QStringLiteral("%1: xaction \"%2\" not found").arg(m_tag, id));
        const Job &job = m_jobs[id];
        if (!kind.isEmpty() && kind != job.spec.kind && what == "status")
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("xaction %1 is of kind %2, not %3").arg(id, job.spec.kind, kind));
        selected.append(job);
    } else {
        for (const QString &jid : m_order) {
            const Job &job = m_jobs[jid];
            if (kind.isEmpty() || kind == job.spec.kind)
                selected.append(job);
        }
    }
    if (what == "status" && id.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "what=status needs an xaction id");
    return selected;
}

bool JobControl::answerQuery(Http::Exchange &ex, const QString &what)
{
    static const QStringList queries{"status", "qryxstats", "status_all", "running_all"};
    if (!queries.contains(what))
        return false;
    auto body = Api::parseObject(ex.body(), "xaction query");
    if (!body) {
        ex.fail(body.error());
        return true;
    }
    auto selected = selectJobs(what, *body);
    if (!selected) {
        ex.fail(selected.error());
        return true;
    }
    if (selected->isEmpty()) {
        if (what == "status_all" || what == "running_all")
            ex.json("[]");
        else
            ex.fail(
                makeError(ErrorCode::NotFound,
                          QStringLiteral("\"%1\" not found").arg(QString::fromUtf8(ex.body()))));
        return true;
    }
    // Ask every target about every selected job, then answer.
    auto gather = std::make_shared<Gathered>();
    auto pending = std::make_shared<qsizetype>(selected->size());
    for (const Job &job : *selected) {
        collect(job, this,
                [this, ex, what, gather, pending, job](JobSnaps snaps) mutable {
                    gather->append({job, snaps});
                    if (--*pending == 0)
                        answerGathered(ex, what, *gather);
                });
    }
    return true;
}

void JobControl::answerGathered(Http::Exchange &ex, const QString &what,
                                const Gathered &results) const
{
    if (what == "status")
        return ex.json(Api::compact(
            Api::encodeJobStatus(statusOf(results.first().first, results.first().second))));
    QJsonArray out;
    if (what == "status_all") {
        for (const auto &[j, s] : results)
            out.append(Api::encodeJobStatus(statusOf(j, s)));
        return ex.json(jsonArray(out));
    }
    if (what == "running_all") {
        for (const auto &[j, s] : results) {
            if (!statusOf(j, s).finished())
                out.append(QStringLiteral("%1[%2]").arg(j.spec.kind, j.spec.id));
        }
        return ex.json(jsonArray(out));
    }
    QJsonObject byTarget; // qryxstats
    for (const auto &[j, s] : results) {
        for (const auto &[tid, snap] : s) {
            QJsonArray list = byTarget.value(tid).toArray();
            list.append(snap);
            byTarget.insert(tid, list);
        }
    }
    ex.json(Api::compact(byTarget));
}

void JobControl::onClusterPut(Http::Exchange ex)
{
    auto act = Api::parseObject(ex.body(), "cluster action");
    if (!act)
        return ex.fail(act.error());
    const QString action = Api::valueCi(*act, u"action").toString();
    if (action != "stop")
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("unsupported cluster action \"%1\"").arg(action)));
    const QJsonObject value = Api::valueCi(*act, u"value").toObject();
    const QString id = Api::valueCi(value, u"id").toString();
    const QString kind = Api::valueCi(value, u"kind").toString();
    QStringList ids;
    if (!id.isEmpty()) {
        if (!m_jobs.contains(id))
            return ex.fail(
                makeError(ErrorCode::NotFound, QStringLiteral("xaction \"%1\" not found").arg(id)));
        ids.append(id);
    } else {
        for (const QString &jid : m_order) {
            if (kind.isEmpty() || m_jobs[jid].spec.kind == kind)
                ids.append(jid);
        }
    }
    auto pending = std::make_shared<int>(int(ids.size()));
    if (ids.isEmpty())
        return ex.ok();
    for (const QString &jid : ids) {
        abortJob(jid, QStringLiteral("stopped by the user"), [ex, pending]() mutable {
            if (--*pending == 0)
                ex.ok();
        });
    }
}

void JobControl::abortJob(const QString &id, const QString &why, std::function<void()> done)
{
    const auto it = m_jobs.constFind(id);
    if (it == m_jobs.constEnd())
        return done();
    Log::proxy().info("job {}: aborting: {}", id, why);
    const Node::IntraRequest request{"POST",
                                     Api::routePath(Api::Route::XactionAbort, {id}),
                                     why.toUtf8(),
                                     {{"Content-Type", "text/plain"}},
                                     15000};
    Node::callNodes(m_nam, it->targets, request, this,
                    [done](const QList<Node::IntraReply> &) { done(); });
}

void JobControl::onFinished(Http::Exchange ex)
{
    ex.ok();
    auto body = Api::parseObject(ex.body(), "job end");
    const auto it = m_jobs.find(ex.param("id"));
    if (!body || it == m_jobs.end())
        return;
    const Api::JobEnd end = Api::decodeJobEnd(*body);
    it->finished.insert(end.target);
    it->aborted = it->aborted || end.aborted;
    for (const Cluster::Snode &t : std::as_const(it->targets)) {
        if (!it->finished.contains(t.id))
            return;
    }
    if (Completion done = std::exchange(it->onComplete, nullptr)) {
        Log::proxy().info("job {} finished on all {} targets{}", it->spec.id, it->targets.size(),
                          it->aborted ? " (aborted)" : "");
        done(!it->aborted);
        // done may have changed m_jobs; look the job up again.
        if (const auto again = m_jobs.find(ex.param("id")); again != m_jobs.end())
            again->pendingCompletion = false;
    }
}

void JobControl::onFailed(Http::Exchange ex)
{
    abortJob(ex.param("id"), QString::fromUtf8(ex.body()), [] {});
    ex.ok();
}

void JobControl::jobErrors(const QString &id, QObject *context,
                           std::function<void(Result<QJsonArray>)> done)
{
    const auto it = m_jobs.constFind(id);
    if (it == m_jobs.constEnd())
        return done(makeError(ErrorCode::NotFound,
                              QStringLiteral("%1: xaction \"%2\" not found").arg(m_tag, id)));
    collect(*it, context, [done](const JobSnaps &snaps) {
        QJsonArray errors;
        for (const auto &[tid, snap] : snaps) {
            for (const QJsonValue &e : snap.value("obj_errors").toArray()) {
                if (errors.size() < 128)
                    errors.append(e);
            }
        }
        done(errors);
    });
}

void JobControl::abortJobsOf(const QString &etlName, const QString &why)
{
    for (const Job &job : std::as_const(m_jobs)) {
        if (job.spec.msg.etlName == etlName)
            abortJob(job.spec.id, why, [] {});
    }
}

void JobControl::abortRunning(const QString &why)
{
    for (const Job &job : std::as_const(m_jobs)) {
        if (!job.aborted && job.finished.size() < job.targets.size())
            abortJob(job.spec.id, why, [] {});
    }
}

} // namespace Kiln::Proxy
