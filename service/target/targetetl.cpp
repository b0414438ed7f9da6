// ETL requests on a target: the proxy's 2-phase init and lifecycle calls, per-target health,
// metrics and logs, the object endpoint ETL instances read from, and inline transforms.
#include "service/etl/comm/instanceurl.h"
#include "service/etl/pipeline.h"
#include "service/http/errors.h"
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/target/targetnode.h"
#include "shared/api/etlwire.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"
#include "shared/etl/etlname.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>

namespace Kiln::Target {

void TargetNode::registerEtlRoutes()
{
    Http::Router &r = m_server.router();
    auto bind = [this](void (TargetNode::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    // Intra-cluster calls from the proxy. ETL names start with a letter, so "_..." never clashes.
    using namespace Api;
    const QString etl = QStringLiteral("{etl}");
    r.add({"POST"}, etlPath(EtlPath::Begin), bind(&TargetNode::onEtlBegin));
    r.add({"GET"}, etlPath(EtlPath::TargetList), bind(&TargetNode::onEtlList));
    r.add({"GET", "HEAD"}, etlPath(EtlPath::Object, QStringLiteral("{etl}/{secret}/{*uname}")),
          bind(&TargetNode::onEtlObject));
    r.add({"POST"}, etlPath(etl, EtlPath::Commit), bind(&TargetNode::onEtlCommit));
    r.add({"POST"}, etlPath(etl, EtlPath::Abort), bind(&TargetNode::onEtlAbort));
    r.add({"POST"}, etlPath(etl, EtlPath::TargetStop), bind(&TargetNode::onEtlAbort));
    r.add({"DELETE"}, etlPath(etl, EtlPath::Delete), bind(&TargetNode::onEtlDelete));
    r.add({"GET"}, etlPath(etl, EtlPath::Details), bind(&TargetNode::onEtlDetails));
    r.add({"GET"}, etlPath(etl, EtlPath::Logs), bind(&TargetNode::onEtlLogs));
    r.add({"GET"}, etlPath(etl, EtlPath::Health), bind(&TargetNode::onEtlHealth));
    r.add({"GET"}, etlPath(etl, EtlPath::Metrics), bind(&TargetNode::onEtlMetrics));
}

Etl::EtlEntry *TargetNode::findEtl(Http::Exchange &ex)
{
    const QString name = ex.param("etl");
    Etl::EtlEntry *entry = m_etl.find(name);
    if (!entry)
        ex.fail(makeError(ErrorCode::NotFound,
                          QStringLiteral("%1: etl job %2 does not exist").arg(m_self.tag(), name)));
    return entry;
}

void TargetNode::onEtlBegin(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "etl begin");
    if (!json)
        return ex.fail(json.error());
    auto record = Etl::EtlRecord::fromJson(*json);
    if (!record)
        return ex.fail(record.error());
    m_etl.begin(*record, this, [ex](Result<void> started) mutable {
        if (started)
            return ex.ok();
        ex.fail(started.error().code == ErrorCode::Internal ? 500 : 400, started.error());
    });
}

void TargetNode::onEtlCommit(Http::Exchange ex)
{
    const auto committed = m_etl.commit(ex.param("etl"), ex.request().queryValue(Api::Query::Xid));
    if (!committed)
        return ex.fail(committed.error());
    ex.ok();
}

void TargetNode::onEtlAbort(Http::Exchange ex)
{
    const QString name = ex.param("etl");
    const QString xid = ex.request().queryValue(Api::Query::Xid);
    Etl::EtlEntry *entry = m_etl.find(name);
    if (!entry || (!xid.isEmpty() && entry->record.xid != xid))
        return ex.ok(); // already gone (or a newer run): nothing to stop
    // The reason (another target's failure, or the user) is the proxy's to keep: this target's
    // own error stays empty unless its instance failed.
    Log::etl().info("etl[{}] aborted by the proxy: {}", name,
                    QString::fromUtf8(ex.body().left(300)));
    m_etl.stop(name, {}, this, [ex]() mutable { ex.ok(); });
}

void TargetNode::onEtlDelete(Http::Exchange ex)
{
    m_etl.remove(ex.param("etl"), this, [ex]() mutable { ex.ok(); });
}

void TargetNode::onEtlList(Http::Exchange ex)
{
    QList<Api::TargetEtlStat> list;
    for (const Etl::EtlEntry &e : m_etl.entries()) {
        const Api::EtlSummary etl{e.record.msg.name, e.record.stage, e.record.xid,
                                  e.objCount,        e.inBytes,      e.outBytes};
        list.append({etl, e.error, e.instance ? e.instance->pids() : QList<qint64>()});
    }
    ex.json(Api::encodeTargetEtlStats(list));
}

void TargetNode::onEtlDetails(Http::Exchange ex)
{
    Etl::EtlEntry *entry = findEtl(ex);
    if (!entry)
        return;
    ex.json(Api::encodeTargetEtlDetails({entry->record.stage, entry->error, entry->objErrors}));
}

void TargetNode::onEtlLogs(Http::Exchange ex)
{
    Etl::EtlEntry *entry = findEtl(ex);
    if (!entry)
        return;
    if (!entry->instance)
        return ex.respond(200, QByteArray(), "text/plain; charset=utf-8");
    entry->instance->fetchLogs(this, [ex](const Result<QByteArray> &logs) mutable {
        if (!logs)
            return ex.fail(logs.error());
        ex.respond(200, *logs, "text/plain; charset=utf-8");
    });
}

void TargetNode::onEtlHealth(Http::Exchange ex)
{
    Etl::EtlEntry *entry = findEtl(ex);
    if (!entry)
        return;
    const QString phase = entry->instance ? entry->instance->phase() : QStringLiteral("Unknown");
    ex.respond(200, phase.toUtf8(), "text/plain; charset=utf-8");
}

void TargetNode::onEtlMetrics(Http::Exchange ex)
{
    Etl::EtlEntry *entry = findEtl(ex);
    if (!entry)
        return;
    auto answer = [ex](const Result<Runtime::Usage> &u) mutable {
        if (!u)
            return ex.fail(u.error());
        ex.json(Api::encodeEtlUsage({u->cpuCores, u->memBytes, u->cpuLimit, u->memLimit}));
    };
    if (!entry->instance)
        return answer(Runtime::Usage{});
    entry->instance->fetchUsage(this, answer);
}

void TargetNode::onEtlObject(Http::Exchange ex)
{
    // The instances' way back to the objects (hpull, hrev): authorised by the run's secret only.
    // A stopped ETL's secret is void: the next start issues a new one.
    Etl::EtlEntry *entry = m_etl.find(ex.param("etl"));
    if (!entry || !entry->isRunning() || entry->record.secret != ex.param("secret"))
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("%1: unknown ETL or secret").arg(m_self.tag())));
    // "ais/@#/bucket/object" (the uname arrives escaped as one segment and is decoded already).
    const QString uname = ex.param("uname");
    const QStringList parts = uname.split('/');
    if (parts.size() < 4 || parts[0] != "ais")
        return ex.fail(
            makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("bad object reference \"%1\" (expected ais/@#/bucket/object)")
                          .arg(uname)));
    const QString bucket = parts[2];
    const QString object = parts.mid(3).join('/');
    if (auto known = m_bmd.check({}, bucket); !known)
        return ex.fail(known.error());
    if (auto valid = Api::validateObjectName(object); !valid)
        return ex.fail(valid.error());
    auto info = m_store.stat(bucket, object);
    if (!info)
        return ex.fail(makeError(ErrorCode::NotFound, notFoundMessage(bucket, object)));
    if (ex.request().isHead())
        return ex.respond(200, {}, "application/octet-stream",
                          {{"Content-Length", QByteArray::number(info->size)}});
    auto file = m_store.openForRead(*info);
    if (!file)
        return ex.fail(file.error());
    ex.respondStream(200, std::make_unique<Http::FileBodySource>(std::move(*file), 0, info->size),
                     "application/octet-stream");
}

std::optional<std::pair<int, Error>> TargetNode::refuseInline(const Etl::TransformJob &job)
{
    Etl::EtlEntry *entry = m_etl.find(job.etlName);
    if (!entry || !entry->isRunning()) {
        // AIS still names the seed-era init path here, with the primary's public URL.
        return std::pair{404,
                         makeError(ErrorCode::NotFound,
                                   QStringLiteral("%1: %2 does not exist - try starting new "
                                                  "ETL with \"%3%4\" endpoint")
                                       .arg(m_self.tag(), job.etlName, m_smap.primary().url(),
                                            Api::etlPath(Api::EtlPath::Init)))};
    }
    if (const auto missing = m_comm.pipeline()->missingStage(job))
        return std::pair{400, m_comm.pipeline()->missingStageError(*missing)};
    // AIS: an hpull:// client is redirected to the instance, and a redirect cannot carry the
    // rest of the pipeline.
    if (!job.pipeline.isEmpty() && entry->record.msg.comm == Etl::CommType::Hpull)
        return std::pair{400,
                         makeError(ErrorCode::InvalidArgument,
                                   QStringLiteral("inline transform pipeline not supported "
                                                  "for %1")
                                       .arg(Etl::commTypeName(entry->record.msg.comm)))};
    return std::nullopt;
}

void TargetNode::onInlineTransform(Http::Exchange ex, const QString &etlName, const QString &bucket,
                                   const QString &object)
{
    const Http::Request &req = ex.request();
    Etl::TransformJob job;
    job.etlName = etlName;
    job.bucket = bucket;
    job.object = object;
    job.etlArgs = req.queryValue("etl_args");
    if (job.etlArgs.isEmpty())
        job.etlArgs = req.queryValue("etl_meta"); // the short-lived earlier name
    // The SDK sends etl_pipeline= (empty) with every ETL it names: no pipeline then.
    if (const QString stages = req.queryValue("etl_pipeline"); !stages.isEmpty())
        job.pipeline = stages.split(',');
    if (const auto refused = refuseInline(job))
        return ex.fail(refused->first, refused->second);
    Etl::EtlEntry *entry = m_etl.find(etlName);
    auto info = m_store.stat(bucket, object);
    if (!info) {
        // As AIS records it: the message it keeps, and the code its LOM load returned (202).
        entry->addError(Etl::ObjError{Api::objectCname(bucket, object), "object not found", 202});
        return ex.fail(
            404, makeError(ErrorCode::NotFound, notFoundMessage(bucket, object), "ErrNotFound"));
    }
    job.fqn = info->path;
    job.size = info->size;
    if (entry->record.msg.comm == Etl::CommType::Hpull && job.pipeline.isEmpty()) {
        // hpull: the client fetches the result from the instance itself, as AIS redirects it,
        // when it can reach the instance's URL; a client on another host cannot reach an
        // instance on this host's loopback, so then the target reads the result (as hrev://).
        const QUrl url = m_comm.pullUrl(job);
        if (Etl::reachableFrom(url, req.peer)) {
            // The client reads the result from the instance: only what goes in is seen here.
            ++entry->objCount;
            entry->inBytes += info->size;
            return ex.redirect(307, url.toEncoded());
        }
    }
    const QString tag = m_self.tag();
    m_comm.transform(job, this, [ex, tag](Etl::Communicator::Output output) mutable {
        if (!output) {
            Error e = output.error();
            if (Http::statusFor(e) == 404 && !e.message.startsWith("ETL error"))
                e.message = QStringLiteral("%1: %2").arg(tag, e.message);
            return ex.fail(e);
        }
        ex.respondStream(200, std::move(output).value(), "application/octet-stream");
    });
}

void TargetNode::reportEtlFailure(const QString &name, const QString &xid, const QString &error)
{
    Node::IntraRequest request{"POST", Api::etlPath(name, Api::EtlPath::Failed),
                               Api::encodeEtlFailureReport({m_self.id, xid, error})};
    request.timeoutMs = 10000;
    Node::callNode(m_nam, m_proxy, request, this, [name](Node::IntraReply reply) {
        if (!reply.ok())
            Log::etl().warn("etl[{}]: could not tell the proxy about the failure ({})", name,
                            reply.status ? QString::number(reply.status) : reply.error);
    });
}

} // namespace Kiln::Target
