#include "service/proxy/proxynode.h"

#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "shared/api/clusterconfig.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <QDateTime>
#include <QDir>
#include <QUuid>

namespace Kiln::Proxy {

ProxyNode::ProxyNode(Node::NodeConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_etl(m_nam, m_smap, m_config.dataDir)
    , m_etlRoutes(m_etl)
    , m_jobs(m_nam, m_smap)
    , m_objects({m_smap, m_bmd, m_self, m_nam,
                 [this](const QString &name) { return m_etl.md().find(name) != nullptr; },
                 m_config.effectivePromoteRoot()})
    , m_buckets(
          {m_bmd, m_jobs, [this](std::function<void()> done) { bmdUpdated(std::move(done)); }})
    , m_summary(m_smap, m_bmd, m_nam)
    , m_clusterInfo(
          m_nam, m_smap, [this](Http::Exchange ex) { onDaemonGet(std::move(ex)); },
          [this] { return clusterConfig(); })
{
    m_etl.setJobs(&m_jobs);
    m_checkTimer.setInterval(int(std::max<qint64>(100, m_config.keepaliveInterval.count() / 2)));
    connect(&m_checkTimer, &QTimer::timeout, this, &ProxyNode::checkTargets);
}

ProxyNode::~ProxyNode() = default;

Result<void> ProxyNode::start()
{
    m_uptime.start();
    if (!QDir().mkpath(m_config.dataDir))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot create data folder %1").arg(m_config.dataDir));
    auto port = m_server.listen(QHostAddress(m_config.host), m_config.effectivePort());
    if (!port)
        return port.error();
    m_self = Cluster::Snode::make(m_config.id, Cluster::NodeType::Proxy, m_config.host, *port);
    m_server.setNodeName(m_self.tag());
    Log::setNodeTag(m_self.tag().toStdString());

    // Restore the map (targets get a full keepalive timeout to show up again) and the buckets.
    if (auto saved = readWholeFile(m_config.dataDir + "/smap.json")) {
        auto json = Api::parseObject(*saved, "saved cluster map");
        auto smap = json ? Cluster::Smap::fromJson(*json) : Result<Cluster::Smap>(json.error());
        if (!smap)
            return makeError(
                ErrorCode::Internal,
                QStringLiteral("%1/smap.json: %2").arg(m_config.dataDir, smap.error().message));
        m_smap = *smap;
        for (const Cluster::Snode &t : m_smap.targets())
            m_lastSeen[t.id].start();
    } else {
        m_smap.setIdentity(QUuid::createUuid().toString(QUuid::WithoutBraces).left(12),
                           QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    }
    m_smap.setPrimary(m_self);
    m_smap.setVersion(m_smap.version() + 1);
    saveSmap();
    if (auto saved = readWholeFile(m_config.dataDir + "/bmd.json")) {
        auto json = Api::parseObject(*saved, "saved bucket metadata");
        auto bmd = json ? Api::Bmd::fromJson(*json) : Result<Api::Bmd>(json.error());
        if (!bmd)
            return makeError(
                ErrorCode::Internal,
                QStringLiteral("%1/bmd.json: %2").arg(m_config.dataDir, bmd.error().message));
        m_bmd = *bmd;
    }
    if (auto loaded = m_etl.load(); !loaded)
        return loaded;
    m_etl.setNodeTag(m_self.tag());
    m_jobs.setNodeTag(m_self.tag());
    m_clusterInfo.setNodeTag(m_self.tag());
    registerRoutes();
    m_checkTimer.start();
    Log::proxy().info("primary proxy {} serving {} (cluster {}, smap v{}, {} buckets)", m_self.id,
                      m_self.url(), m_smap.uuid(), m_smap.version(), m_bmd.buckets().size());
    return {};
}

void ProxyNode::registerRoutes()
{
    Http::Router &r = m_server.router();
    auto bind = [this](void (ProxyNode::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    r.add({"GET", "HEAD"}, "/v1/health", bind(&ProxyNode::onHealth));
    r.add({"GET"}, "/v1/daemon", bind(&ProxyNode::onDaemonGet));
    r.add({"GET"}, "/v1/cluster", bind(&ProxyNode::onClusterGet));
    r.add({"POST"}, "/v1/cluster/join", bind(&ProxyNode::onJoin));
    r.add({"POST"}, "/v1/cluster/keepalive", bind(&ProxyNode::onKeepalive));
    r.add({"GET"}, "/v1/buckets", bind(&ProxyNode::onBucketsGet));
    r.add({"GET"}, "/v1/buckets/{bucket}", bind(&ProxyNode::onBucketsGet));
    r.add({"POST"}, "/v1/buckets/{bucket}", bind(&ProxyNode::onBucketPost));
    r.add({"DELETE"}, "/v1/buckets/{bucket}", bind(&ProxyNode::onBucketDelete));
    r.add({"HEAD"}, "/v1/buckets/{bucket}", bind(&ProxyNode::onBucketHead));
    r.add({"HEAD"}, "/v1/buckets/{bucket}/{*prefix}", bind(&ProxyNode::onBucketHead));
    // Streaming so a redirected PUT's body is never buffered here, only drained.
    r.add({"GET", "HEAD", "PUT", "DELETE"}, "/v1/objects/{bucket}/{*object}",
          bind(&ProxyNode::onObject), Http::RouteOptions{.streamBody = true});
    m_objects.registerRoutes(r);
    m_buckets.registerRoutes(r);
    m_etlRoutes.registerRoutes(r);
    m_jobs.registerRoutes(r);
    m_clusterInfo.registerRoutes(r);
    r.add({"PUT"}, "/v1/cluster",
          [this](Http::Exchange ex) { m_jobs.onClusterPut(std::move(ex)); });
}

void ProxyNode::onHealth(Http::Exchange ex)
{
    const Http::Request &req = ex.request();
    const bool wantsReady
        = req.queryFlag(Api::Query::Readiness) || req.queryFlag(Api::Query::PrimaryReady);
    Http::Headers headers{
        {Api::Header::NodeUptime, QByteArray::number(m_uptime.nsecsElapsed())},
        {Api::Header::ClusterUptime, QByteArray::number(m_uptime.nsecsElapsed())}};
    ex.respond(wantsReady && !isReady() ? 503 : 200, {}, {}, headers);
}

void ProxyNode::onDaemonGet(Http::Exchange ex)
{
    const QString what = ex.request().queryValue(Api::Query::What);
    if (what == Api::What::Smap)
        return ex.json(Api::compact(m_smap.toJson()));
    if (what == Api::What::Bmd)
        return ex.json(Api::compact(m_bmd.toJson()));
    if (what == Api::What::Snode)
        return ex.json(Api::compact(m_self.toJson()));
    if (m_report.answer(ex, what,
                        {m_self, m_smap, m_bmd.version(), m_etl.md().version(), isReady()}))
        return;
    ex.fail(makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("invalid GET /v1/daemon request: unrecognized what=%1").arg(what)));
}

QByteArray ProxyNode::clusterConfig() const
{
    Api::ClusterConfigInfo info;
    info.uuid = m_smap.uuid();
    info.primaryUrl = m_self.url();
    info.keepaliveInterval = m_config.keepaliveInterval;
    info.keepaliveTimeout = m_config.keepaliveTimeout;
    info.logLevel = m_config.logLevels.join(',');
    return Api::compact(Api::clusterConfigJson(info));
}

void ProxyNode::onClusterGet(Http::Exchange ex)
{
    const QString what = ex.request().queryValue(Api::Query::What);
    if (m_jobs.answerQuery(ex, what))
        return;
    if (what == Api::What::Smap)
        return ex.json(Api::compact(m_smap.toJson()));
    if (what == Api::What::Bmd)
        return ex.json(Api::compact(m_bmd.toJson()));
    if (m_clusterInfo.answerClusterQuery(ex, what))
        return;
    ex.fail(makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("invalid GET /v1/cluster request: unrecognized what=%1").arg(what)));
}

void ProxyNode::onJoin(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "join request");
    if (!json)
        return ex.fail(json.error());
    auto node = Cluster::Snode::fromJson(*json);
    if (!node)
        return ex.fail(node.error());
    if (node->type != Cluster::NodeType::Target)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 "only targets join this way: Kiln runs one proxy per cluster"));
    m_lastSeen[node->id].start();
    if (m_smap.upsertTarget(*node)) {
        Log::proxy().info("target {} joined at {} (smap v{})", node->id, node->url(),
                          m_smap.version());
        smapUpdated();
    }
    ex.json(Api::compact(QJsonObject{
        {"smap", m_smap.toJson()}, {"bmd", m_bmd.toJson()}, {"etlmd", m_etl.md().toJson()}}));
}

void ProxyNode::onKeepalive(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "keepalive");
    if (!json)
        return ex.fail(json.error());
    const QString id = json->value("id").toString();
    if (!m_smap.hasTarget(id))
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("target %1 is not in the cluster map").arg(id)));
    m_lastSeen[id].start();
    QJsonObject reply;
    if (json->value("smap_version").toInteger() != m_smap.version())
        reply.insert("smap", m_smap.toJson());
    if (json->value("bmd_version").toInteger() != m_bmd.version())
        reply.insert("bmd", m_bmd.toJson());
    if (json->value("etlmd_version").toInteger(-1) != m_etl.md().version())
        reply.insert("etlmd", m_etl.md().toJson());
    ex.json(Api::compact(reply));
}

void ProxyNode::checkTargets()
{
    const qint64 timeout = m_config.keepaliveTimeout.count();
    QStringList dropped;
    for (const Cluster::Snode &t : m_smap.targets()) {
        const auto it = m_lastSeen.constFind(t.id);
        if (it == m_lastSeen.constEnd() || it->elapsed() > timeout)
            dropped.append(t.id);
    }
    for (const QString &id : dropped) {
        m_smap.removeTarget(id);
        m_lastSeen.remove(id);
        Log::proxy().warn("target {} missed keepalives for {} ms: removed (smap v{})", id, timeout,
                          m_smap.version());
    }
    if (!dropped.isEmpty())
        smapUpdated();
}

void ProxyNode::smapUpdated()
{
    saveSmap();
    Q_EMIT smapChanged(m_smap.version(), int(m_smap.targets().size()));
    const Node::IntraRequest push{
        "PUT", "/v1/daemon/smap", Api::compact(m_smap.toJson()), {}, 5000};
    Node::callNodes(m_nam, m_smap.targets(), push, this, [](const QList<Node::IntraReply> &) {});
}

void ProxyNode::bmdUpdated(std::function<void()> done)
{
    if (auto saved
        = writeFileAtomically(m_config.dataDir + "/bmd.json", Api::compact(m_bmd.toJson()));
        !saved)
        Log::proxy().error("saving bucket metadata: {}", saved.error().message);
    // Every target must know the change before the client hears "done" and sends objects.
    const Node::IntraRequest push{"PUT", "/v1/daemon/bmd", Api::compact(m_bmd.toJson()), {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), push, this,
                    [done = std::move(done)](const QList<Node::IntraReply> &replies) {
                        for (const Node::IntraReply &r : replies) {
                            if (!r.ok())
                                Log::proxy().warn("target {} did not take the new bucket metadata "
                                                  "({}); it gets it with its next keepalive",
                                                  r.node.id,
                                                  r.status ? QString::number(r.status) : r.error);
                        }
                        done();
                    });
}

void ProxyNode::saveSmap()
{
    if (auto saved
        = writeFileAtomically(m_config.dataDir + "/smap.json", Api::compact(m_smap.toJson()));
        !saved)
        Log::proxy().error("saving the cluster map: {}", saved.error().message);
}

} // namespace Kiln::Proxy
