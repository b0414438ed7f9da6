#include "service/proxy/etlcontrol.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/proxy/jobcontrol.h"
#include "shared/api/json.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"
#include "shared/etl/etlname.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <algorithm>
#include <memory>

namespace Kiln::Proxy {
namespace {

QString randomId(int length)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QString id;
    for (int i = 0; i < length; ++i)
        id += QChar(alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet) - 1)]);
    return id;
}

// The message of a target's AIS error body, or its raw text.
QString replyMessage(const Node::IntraReply &r)
{
    if (r.status == 0)
        return QStringLiteral("target %1 did not answer: %2").arg(r.node.id, r.error);
    const auto json = Api::parseObject(r.body, "error");
    if (json && json->contains("message"))
        return json->value("message").toString();
    return QString::fromUtf8(r.body.left(2000)).trimmed();
}

QByteArray jsonArray(const QJsonArray &a)
{
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

// Why a target could not give its part of an aggregate (logs, metrics), or empty when it did or
// simply does not hold the ETL (404). The AIS error body's message when there is one.
QString targetError(const Node::IntraReply &rep)
{
    if (rep.ok() || rep.status == 404)
        return {};
    if (rep.status == 0)
        return rep.error;
    const QString message = QJsonDocument::fromJson(rep.body).object().value("message").toString();
    return message.isEmpty() ? QString::fromUtf8(rep.body.left(500)) : message;
}

} // namespace

EtlControl::EtlControl(QNetworkAccessManager &nam, const Cluster::Smap &smap, QString dataDir,
                       QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_smap(smap)
    , m_dataDir(std::move(dataDir))
{ }

Result<void> EtlControl::load()
{
    auto saved = readWholeFile(m_dataDir + "/etlmd.json");
    if (!saved)
        return {};
    auto json = Api::parseObject(*saved, "saved ETL metadata");
    auto md = json ? Etl::EtlMd::fromJson(*json) : Result<Etl::EtlMd>(json.error());
    if (!md)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("%1/etlmd.json: %2").arg(m_dataDir, md.error().message));
    m_md = *md;
    // An init cut short by a proxy restart never completed: it is Aborted, as AIS leaves it.
    for (const QString &name : m_md.records().keys()) {
        Etl::EtlRecord *r = m_md.find(name);
        if (r->stage == Etl::Stage::Initializing) {
            r->stage = Etl::Stage::Aborted;
            r->error = QStringLiteral("the proxy restarted during the ETL's initialization");
            m_md.touch();
        }
    }
    return {};
}

void EtlControl::registerRoutes(Http::Router &r)
{
    auto bind = [this](void (EtlControl::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    r.add({"PUT"}, "/v1/etl", bind(&EtlControl::onInit));
    r.add({"GET"}, "/v1/etl", bind(&EtlControl::onList));
    // Seed-era forms: POST /v1/etl/init (pod YAML body), /v1/etl/build (code JSON),
    // GET /v1/etl/list, DELETE /v1/etl/stop/<name>. "init", "build", "list" and "stop" are too
    // short to be ETL names, so they never clash with /v1/etl/<name>.
    r.add({"POST", "PUT"}, "/v1/etl/init", bind(&EtlControl::onInitYaml));
    r.add({"POST", "PUT"}, "/v1/etl/build", bind(&EtlControl::onInit));
    r.add({"GET"}, "/v1/etl/list", bind(&EtlControl::onList));
    r.add({"DELETE", "POST"}, "/v1/etl/stop/{etl}", bind(&EtlControl::onStop));
    r.add({"GET"}, "/v1/etl/{etl}", bind(&EtlControl::onDetails));
    r.add({"DELETE"}, "/v1/etl/{etl}", bind(&EtlControl::onDelete));
    r.add({"POST"}, "/v1/etl/{etl}/stop", bind(&EtlControl::onStop));
    r.add({"POST"}, "/v1/etl/{etl}/start", bind(&EtlControl::onStart));
    r.add({"GET"}, "/v1/etl/{etl}/logs", bind(&EtlControl::onLogs));
    r.add({"GET"}, "/v1/etl/{etl}/logs/{target}", bind(&EtlControl::onLogs));
    r.add({"GET"}, "/v1/etl/{etl}/health", bind(&EtlControl::onHealth));
    r.add({"GET"}, "/v1/etl/{etl}/metrics", bind(&EtlControl::onMetrics));
    r.add({"POST"}, "/v1/etl/{etl}/_failed", bind(&EtlControl::onFailed));
}

QString EtlControl::notFound(const QString &name) const
{
    return QStringLiteral("%1: etl job %2 does not exist").arg(m_tag, name);
}

Etl::EtlRecord *EtlControl::record(Http::Exchange &ex, const QString &nameParam)
{
    const QString name = ex.param(nameParam);
    if (auto valid = Etl::EtlName::parse(name); !valid) {
        // AIS's words where its rule refuses the name too (k8s.ValidateEtlName, 400).
        const QString ais = Etl::EtlName::aisRuleError(name);
        ex.fail(ais.isEmpty() ? valid.error() : makeError(ErrorCode::InvalidArgument, ais));
        return nullptr;
    }
    Etl::EtlRecord *r = m_md.find(name);
    if (!r)
        ex.fail(makeError(ErrorCode::NotFound, notFound(name), "ErrNotFound")); // cos.ErrNotFound
    return r;
}

void EtlControl::changed()
{
    if (auto saved = writeFileAtomically(m_dataDir + "/etlmd.json", Api::compact(m_md.toJson()));
        !saved)
        Log::etl().error("saving ETL metadata: {}", saved.error().message);
    const Node::IntraRequest push{
        "PUT", "/v1/daemon/etlmd", Api::compact(m_md.toJson()), {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), push, this, [](const QList<Node::IntraReply> &) {});
}

void EtlControl::onInit(Http::Exchange ex)
{
    auto msg = Etl::InitMsg::fromJson(ex.body());
    if (!msg)
        return ex.fail(msg.error());
    // An SDK init_class pickle refers to the SDK's own classes: remember which SDK sent it
    // ("ais/python/1.25.0") so the runtime installs the same one.
    const QByteArray agent = ex.request().header("user-agent");
    const bool pickled
        = std::any_of(msg->runtimeEnv.begin(), msg->runtimeEnv.end(),
                      [](const Etl::EnvVar &v) { return v.name == "ETL_CLASS_PAYLOAD"; });
    if (pickled && agent.startsWith("ais/python/")) {
        const QString version = QString::fromLatin1(agent.mid(11)).section(' ', 0, 0);
        const bool given
            = std::any_of(msg->runtimeEnv.begin(), msg->runtimeEnv.end(),
                          [](const Etl::EnvVar &v) { return v.name == "KILN_SDK_VERSION"; });
        if (!given && !version.isEmpty())
            msg->runtimeEnv.append(Etl::EnvVar{"KILN_SDK_VERSION", version, false});
    }
    initialize(ex, *msg);
}

void EtlControl::onInitYaml(Http::Exchange ex)
{
    const QByteArray body = ex.body(); // stored as sent, byte for byte
    if (body.trimmed().startsWith('{'))
        return onInit(ex); // JSON sent to the seed path
    const Http::Request &req = ex.request();
    QString name = req.queryValue("name");
    if (name.isEmpty())
        name = req.queryValue("id");
    auto msg = Etl::InitMsg::fromPodYaml(body, name, req.queryValue("communication"));
    if (!msg)
        return ex.fail(msg.error());
    initialize(ex, *msg);
}

void EtlControl::initialize(Http::Exchange ex, const Etl::InitMsg &msg)
{
    if (m_md.find(msg.name))
        return ex.fail(
            makeError(ErrorCode::AlreadyExists,
                      QStringLiteral("%1: etl job %2 already exists").arg(m_tag, msg.name)));
    if (m_smap.targets().isEmpty())
        return ex.fail(
            makeError(ErrorCode::Unavailable, "no targets in the cluster to run the ETL"));
    Etl::EtlRecord record;
    record.msg = msg;
    record.createdNs = QDateTime::currentMSecsSinceEpoch() * 1000000;
    m_md.put(record);
    runInit(ex, msg.name);
}

void EtlControl::runInit(Http::Exchange ex, const QString &name)
{
    Etl::EtlRecord *r = m_md.find(name);
    r->stage = Etl::Stage::Initializing;
    r->xid = QStringLiteral("etl-") + randomId(10);
    r->secret = randomId(10);
    r->error.clear();
    r->targetErrors.clear();
    m_md.touch();
    const QString xid = r->xid;
    Log::etl().info("etl[{}] init {} on {} targets ({}, {})", name, xid, m_smap.targets().size(),
                    r->msg.kindName(), Etl::commTypeName(r->msg.comm));
    // Phase 1: every target starts its instance and answers once it is ready (or failed).
    Node::IntraRequest begin{"POST", "/v1/etl/_begin", Api::compact(r->toJson())};
    begin.timeoutMs = int(std::min<qint64>(r->msg.initTimeout.count() + 15000, INT_MAX));
    const QList<Cluster::Snode> targets = m_smap.targets();
    Node::callNodes(
        m_nam, targets, begin, this,
        [this, ex, name, xid, targets](QList<Node::IntraReply> replies) mutable {
            Etl::EtlRecord *r = m_md.find(name);
            if (!r || r->xid != xid) {
                return ex.fail(makeError(
                    ErrorCode::Conflict,
                    QStringLiteral("etl job %1 was stopped or deleted during its init").arg(name)));
            }
            const bool allReady = std::all_of(replies.begin(), replies.end(),
                                              [](const Node::IntraReply &rep) { return rep.ok(); });
            if (!allReady)
                return abortInit(ex, name, xid, replies);
            // Phase 2: commit.
            const Node::IntraRequest commit{
                "POST", QStringLiteral("/v1/etl/%1/_commit?xid=%2").arg(name, xid), {}, {}, 10000};
            Node::callNodes(
                m_nam, targets, commit, this,
                [this, ex, name, xid](QList<Node::IntraReply> replies) mutable {
                    Etl::EtlRecord *r = m_md.find(name);
                    if (!r || r->xid != xid)
                        return ex.fail(makeError(
                            ErrorCode::Conflict,
                            QStringLiteral("etl job %1 was stopped or deleted during its init")
                                .arg(name)));
                    for (const Node::IntraReply &rep : replies) {
                        if (!rep.ok())
                            return abortInit(ex, name, xid, replies);
                    }
                    r->stage = Etl::Stage::Running;
                    m_md.touch();
                    changed();
                    Log::etl().info("etl[{}] running ({})", name, xid);
                    ex.respond(200, xid.toUtf8(), "text/plain; charset=utf-8");
                });
        });
}

void EtlControl::abortInit(Http::Exchange ex, const QString &name, const QString &xid,
                           const QList<Node::IntraReply> &replies)
{
    Etl::EtlRecord *r = m_md.find(name);
    // The first real error: a target's own 4xx first, then any other failure.
    QString first;
    for (const Node::IntraReply &rep : replies) {
        if (!rep.ok())
            r->targetErrors.insert(rep.node.id, replyMessage(rep));
        if (first.isEmpty() && rep.status >= 400 && rep.status < 500)
            first = replyMessage(rep);
    }
    for (const Node::IntraReply &rep : replies) {
        if (first.isEmpty() && !rep.ok())
            first = replyMessage(rep);
    }
    r->stage = Etl::Stage::Aborted;
    r->error = first;
    m_md.touch();
    Log::etl().warn("etl[{}] init {} failed: {}", name, xid, first);
    // Every target stops and cleans up what it started; then the caller hears why.
    const Node::IntraRequest abort{"POST",
                                   QStringLiteral("/v1/etl/%1/_abort?xid=%2").arg(name, xid),
                                   first.toUtf8(),
                                   {{"Content-Type", "text/plain"}},
                                   15000};
    Node::callNodes(m_nam, m_smap.targets(), abort, this,
                    [this, ex, first](const QList<Node::IntraReply> &) mutable {
                        changed();
                        // 400, never 5xx: clients retry 5xx answers to PUT for minutes.
                        ex.fail(400, makeError(ErrorCode::InvalidArgument, first));
                    });
}

void EtlControl::onList(Http::Exchange ex)
{
    const Node::IntraRequest list{"GET", "/v1/etl/_list", {}, {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), list, this,
                    [this, ex](const QList<Node::IntraReply> &replies) mutable {
                        struct Counts
                        {
                            qint64 objs = 0, in = 0, out = 0;
                        };
                        QHash<QString, Counts> counts;
                        for (const Node::IntraReply &rep : replies) {
                            if (!rep.ok())
                                continue;
                            for (const QJsonValue &v : QJsonDocument::fromJson(rep.body).array()) {
                                const QJsonObject o = v.toObject();
                                const QString name = o.value("name").toString();
                                const Etl::EtlRecord *r = m_md.find(name);
                                if (!r || r->xid != o.value("xid").toString())
                                    continue;
                                Counts &c = counts[name];
                                c.objs += o.value("obj_count").toInteger();
                                c.in += o.value("in_bytes").toInteger();
                                c.out += o.value("out_bytes").toInteger();
                            }
                        }
                        QJsonArray out;
                        for (const Etl::EtlRecord &r : m_md.records()) {
                            const Counts c = counts.value(r.msg.name);
                            out.append(QJsonObject{{"id", r.msg.name},
                                                   {"stage", Etl::stageName(r.stage)},
                                                   {"xaction_id", r.xid},
                                                   {"obj_count", c.objs},
                                                   {"in_bytes", c.in},
                                                   {"out_bytes", c.out}});
                        }
                        ex.json(jsonArray(out));
                    });
}

void EtlControl::onDetails(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    const QString name = r->msg.name;
    const QString jobId = ex.request().queryValue("uuid");
    if (!jobId.isEmpty() && m_jobs) {
        // The errors of one offline job (SDK Etl.view(job_id), CLI `ais etl show errors`).
        m_jobs->jobErrors(jobId, this, [this, ex, name](Result<QJsonArray> errors) mutable {
            const Etl::EtlRecord *r = m_md.find(name);
            if (!r)
                return ex.fail(makeError(ErrorCode::NotFound, notFound(name), "ErrNotFound"));
            // AIS answers an unknown job with no errors (its targets hold none for it).
            if (!errors && errors.error().code != ErrorCode::NotFound)
                return ex.fail(errors.error());
            QJsonObject out{{"init_msg", r->msg.toJson()}, {"stage", Etl::stageName(r->stage)}};
            if (errors && !errors->isEmpty())
                out.insert("obj_errors", *errors);
            ex.json(Api::compact(out));
        });
        return;
    }
    const Node::IntraRequest details{
        "GET", QStringLiteral("/v1/etl/%1/_details").arg(name), {}, {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), details, this,
                    [this, ex, name](const QList<Node::IntraReply> &replies) mutable {
                        const Etl::EtlRecord *r = m_md.find(name);
                        if (!r)
                            return ex.fail(
                                makeError(ErrorCode::NotFound, notFound(name), "ErrNotFound"));
                        QJsonArray objErrors;
                        QJsonObject targetErrors;
                        for (auto it = r->targetErrors.begin(); it != r->targetErrors.end(); ++it)
                            targetErrors.insert(it.key(), it.value());
                        for (const Node::IntraReply &rep : replies) {
                            if (!rep.ok())
                                continue;
                            const auto json = Api::parseObject(rep.body, "details");
                            if (!json)
                                continue;
                            for (const QJsonValue &e : json->value("obj_errors").toArray()) {
                                if (objErrors.size() < Etl::MaxObjErrors)
                                    objErrors.append(e);
                            }
                            const QString err = json->value("error").toString();
                            if (!err.isEmpty() && !targetErrors.contains(rep.node.id))
                                targetErrors.insert(rep.node.id, err);
                        }
                        QJsonObject out{{"init_msg", r->msg.toJson()},
                                        {"stage", Etl::stageName(r->stage)},
                                        {"xaction_id", r->xid}};
                        if (!objErrors.isEmpty())
                            out.insert("obj_errors", objErrors);
                        if (!r->error.isEmpty())
                            out.insert("error", r->error);
                        if (!targetErrors.isEmpty())
                            out.insert("target_errors", targetErrors);
                        ex.json(Api::compact(out));
                    });
}

void EtlControl::onStop(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    const QString name = r->msg.name;
    r->stage = Etl::Stage::Aborted;
    r->error.clear();
    m_md.touch();
    if (m_jobs)
        m_jobs->abortJobsOf(name, QStringLiteral("ETL %1 was stopped").arg(name));
    const Node::IntraRequest stop{
        "POST", QStringLiteral("/v1/etl/%1/_stop").arg(name), {}, {}, 15000};
    Node::callNodes(m_nam, m_smap.targets(), stop, this,
                    [this, ex, name](const QList<Node::IntraReply> &) mutable {
                        changed();
                        Log::etl().info("etl[{}] stopped", name);
                        ex.ok();
                    });
}

void EtlControl::onStart(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    if (r->stage != Etl::Stage::Aborted) // AIS answers it through writeErrAct
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("invalid action \"can't start ETL[%1] during %2 "
                                                "stage\"")
                                     .arg(r->msg.name, Etl::stageName(r->stage))));
    if (m_smap.targets().isEmpty())
        return ex.fail(
            makeError(ErrorCode::Unavailable, "no targets in the cluster to run the ETL"));
    runInit(ex, r->msg.name);
}

void EtlControl::onDelete(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    const QString name = r->msg.name;
    const Node::IntraRequest del{
        "DELETE", QStringLiteral("/v1/etl/%1/_delete").arg(name), {}, {}, 15000};
    Node::callNodes(m_nam, m_smap.targets(), del, this,
                    [this, ex, name](const QList<Node::IntraReply> &) mutable {
                        m_md.remove(name);
                        changed();
                        Log::etl().info("etl[{}] deleted", name);
                        ex.ok();
                    });
}

void EtlControl::onLogs(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    QList<Cluster::Snode> targets = m_smap.targets();
    const QString only = ex.param("target");
    if (!only.isEmpty()) {
        const Cluster::Snode *t = m_smap.target(only);
        if (!t)
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     QStringLiteral("unknown target \"%1\"").arg(only)));
        targets = {*t};
    }
    const Node::IntraRequest logs{
        "GET", QStringLiteral("/v1/etl/%1/logs").arg(r->msg.name), {}, {}, 15000};
    Node::callNodes(
        m_nam, targets, logs, this, [ex](const QList<Node::IntraReply> &replies) mutable {
            QJsonArray out;
            for (const Node::IntraReply &rep : replies) {
                // Each entry says which target its lines come from; a target without the ETL has
                // none.
                QJsonObject o{
                    {"target_id", rep.node.id},
                    {"logs", QString::fromLatin1((rep.ok() ? rep.body : QByteArray()).toBase64())}};
                // A runtime that could not read them (e.g. the Kubernetes log API) says why.
                if (const QString why = targetError(rep); !why.isEmpty())
                    o.insert("error", why);
                out.append(o);
            }
            ex.json(jsonArray(out));
        });
}

void EtlControl::onHealth(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    const Node::IntraRequest health{
        "GET", QStringLiteral("/v1/etl/%1/health").arg(r->msg.name), {}, {}, 10000};
    Node::callNodes(
        m_nam, m_smap.targets(), health, this,
        [ex](const QList<Node::IntraReply> &replies) mutable {
            QJsonArray out;
            for (const Node::IntraReply &rep : replies) {
                const QString status = rep.ok() ? QString::fromUtf8(rep.body).trimmed()
                    : rep.status == 404         ? QStringLiteral("Unknown")
                                                : QStringLiteral("Unreachable");
                out.append(QJsonObject{{"target_id", rep.node.id}, {"health_status", status}});
            }
            ex.json(jsonArray(out));
        });
}

void EtlControl::onMetrics(Http::Exchange ex)
{
    Etl::EtlRecord *r = record(ex);
    if (!r)
        return;
    const Node::IntraRequest metrics{
        "GET", QStringLiteral("/v1/etl/%1/metrics").arg(r->msg.name), {}, {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), metrics, this,
                    [ex](QList<Node::IntraReply> replies) mutable {
                        std::sort(replies.begin(), replies.end(),
                                  [](const Node::IntraReply &a, const Node::IntraReply &b) {
                                      return a.node.id < b.node.id;
                                  });
                        QJsonArray out;
                        for (const Node::IntraReply &rep : replies) {
                            QJsonObject o{{"target_id", rep.node.id}, {"cpu", 0.0}, {"mem", 0}};
                            if (rep.ok()) {
                                const auto json = Api::parseObject(rep.body, "metrics");
                                if (json) {
                                    for (auto it = json->begin(); it != json->end(); ++it)
                                        o.insert(it.key(), it.value());
                                }
                            }
                            if (const QString why = targetError(rep); !why.isEmpty())
                                o.insert("error", why);
                            out.append(o);
                        }
                        ex.json(jsonArray(out));
                    });
}

void EtlControl::onFailed(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "etl failure report");
    if (!json)
        return ex.fail(json.error());
    Etl::EtlRecord *r = m_md.find(ex.param("etl"));
    const QString xid = json->value("xid").toString();
    if (!r || r->xid != xid || r->stage != Etl::Stage::Running)
        return ex.ok(); // an old run, or already stopped
    const QString target = json->value("target").toString();
    const QString error = json->value("error").toString();
    r->stage = Etl::Stage::Aborted;
    r->error = QStringLiteral("target %1: %2").arg(target, error);
    r->targetErrors.insert(target, error);
    m_md.touch();
    Log::etl().warn("etl[{}] aborted: {}", r->msg.name, r->error);
    const Node::IntraRequest abort{"POST",
                                   QStringLiteral("/v1/etl/%1/_abort?xid=%2").arg(r->msg.name, xid),
                                   r->error.toUtf8(),
                                   {{"Content-Type", "text/plain"}},
                                   15000};
    Node::callNodes(m_nam, m_smap.targets(), abort, this,
                    [this](const QList<Node::IntraReply> &) { changed(); });
    ex.ok();
}

} // namespace Kiln::Proxy
