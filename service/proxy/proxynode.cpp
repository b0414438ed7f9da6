#include "service/proxy/proxynode.h"

#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "shared/api/clusterconfig.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QDateTime>
#include <QUuid>

namespace Kiln::Proxy {

ProxyNode::ProxyNode(Node::NodeConfig config, QObject *parent)
    : Node::NodeBase(std::move(config), Cluster::NodeType::Proxy, parent)
    , m_smapWriter(m_config.dataDir + QStringLiteral("/smap.json"))
    , m_etl(m_nam, m_smap, m_config.dataDir)
    , m_etlRoutes(m_etl)
    , m_jobs(m_nam, m_smap)
    , m_rebalance({m_nam, m_smap,
                   [this](const QString &sid, quint64 flags) { return setTargetFlags(sid, flags); },
                   [this] {
                       m_smap.setVersion(m_smap.version() + 1);
                       smapUpdated();
                   },
                   [this](const QString &sid) { removeTarget(sid); }})
    , m_objects({m_smap, m_bmd, m_self, m_nam,
                 [this](const QString &name) { return m_etl.md().find(name) != nullptr; },
                 m_config.effectivePromoteRoot()})
    , m_buckets(
          {m_bmd, m_jobs, m_nam, m_smap,
           [this](std::function<void()> done) { bmdUpdated(std::move(done)); }})
    , m_summary(m_smap, m_bmd, m_nam)
    , m_clusterInfo(
          m_nam, m_smap, [this](Http::Exchange ex) { onDaemonGet(std::move(ex)); },
          [this] { return clusterConfig(); })
{
    m_etl.setJobs(&m_jobs);
    m_checkTimer.setInterval(int(std::max<qint64>(100, m_config.keepaliveInterval.count() / 2)));
    connect(&m_checkTimer, &QTimer::timeout, this, &ProxyNode::checkTargets);
}

ProxyNode::~ProxyNode()
{
    stopServing();
}

Result<void> ProxyNode::start()
{
    m_uptime.start();
    if (auto made = makeDataDir(); !made)
        return made;
    if (auto listening = listen(); !listening)
        return listening;
    // Restore the map (targets get a full keepalive timeout to show up again) and the buckets.
    if (auto loaded = loadSmap(); !loaded)
        return loaded;
    if (auto loaded = loadBmd(); !loaded)
        return loaded;
    if (auto loaded = m_etl.load(); !loaded)
        return loaded;
    m_etl.setNodeTag(m_self.tag());
    m_jobs.setNodeTag(m_self.tag());
    m_clusterInfo.setNodeTag(m_self.tag());
    registerRoutes();
    m_workerRedirects = std::make_unique<WorkerRedirects>(smapSnapshot(), bmdSnapshot(), m_self.id);
    startWorkers([this](Http::Router &r) { m_workerRedirects->registerRoutes(r); });
    m_checkTimer.start();
    Log::proxy().info("primary proxy {} serving {} (cluster {}, smap v{}, {} buckets)", m_self.id,
                      m_self.url(), m_smap.uuid(), m_smap.version(), m_bmd.buckets().size());
    return {};
}

Result<void> ProxyNode::loadSmap()
{
    auto found = loadSaved(QStringLiteral("smap.json"), "saved cluster map", &m_smap);
    if (!found)
        return found.error();
    if (*found) {
        for (const Cluster::Snode &t : m_smap.targets())
            m_lastSeen[t.id].start();
    } else {
        m_smap.setIdentity(QUuid::createUuid().toString(QUuid::WithoutBraces).left(12),
                           QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    }
    m_smap.setPrimary(m_self);
    m_smap.setVersion(m_smap.version() + 1);
    saveSmap();
    return {};
}

void ProxyNode::registerRoutes()
{
    Http::Router &r = m_server.router();
    auto bind = [this](void (ProxyNode::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    registerNodeRoutes(r);
    r.add({"GET"}, Api::Route::Cluster, bind(&ProxyNode::onClusterGet));
    r.add({"POST"}, Api::Route::ClusterJoin, bind(&ProxyNode::onJoin));
    r.add({"POST"}, Api::Route::ClusterKeepalive, bind(&ProxyNode::onKeepalive));
    r.add({"POST"}, Api::Route::ClusterLeave,
          [this](Http::Exchange ex) { m_rebalance.onLeave(ex); });
    r.add({"DELETE"}, Api::Route::ClusterDaemon,
          [this](Http::Exchange ex) { m_rebalance.onSelfRemove(ex, ex.param("id")); });
    r.add({"GET"}, Api::Route::Buckets, bind(&ProxyNode::onBucketsGet));
    r.add({"GET"}, Api::Route::Bucket, bind(&ProxyNode::onBucketsGet));
    r.add({"POST"}, Api::Route::Bucket, bind(&ProxyNode::onBucketPost));
    r.add({"DELETE"}, Api::Route::Bucket, bind(&ProxyNode::onBucketDelete));
    r.add({"HEAD"}, Api::Route::Bucket, bind(&ProxyNode::onBucketHead));
    r.add({"HEAD"}, Api::Route::BucketPrefix, bind(&ProxyNode::onBucketHead));
    // Streaming so a redirected PUT's body is never buffered here, only drained.
    r.add({"GET", "HEAD", "PUT", "DELETE"}, Api::Route::Object, bind(&ProxyNode::onObject),
          Http::RouteOptions{.streamBody = true});
    m_objects.registerRoutes(r);
    m_buckets.registerRoutes(r);
    m_etlRoutes.registerRoutes(r);
    m_jobs.registerRoutes(r);
    m_clusterInfo.registerRoutes(r);
    r.add({"PUT"}, Api::Route::Cluster, bind(&ProxyNode::onClusterPut));
}

void ProxyNode::onTokensRevoked(const QByteArray &body)
{
    const Node::IntraRequest revoke{"DELETE", QStringLiteral("/v1/tokens"), body};
    Node::callNodes(m_nam, m_smap.targets(), revoke, this, [](const QList<Node::IntraReply> &replies) {
        for (const Node::IntraReply &r : replies) {
            if (!r.ok())
                Log::proxy().warn("revoking tokens on {}: {} {}", r.node.tag(), r.status, r.error);
        }
    });
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

qint64 ProxyNode::etlMdVersion() const
{
    return m_etl.md().version();
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
    if (m_rebalance.answerQuery(ex, what) || m_jobs.answerQuery(ex, what))
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
    if (m_rebalance.isDecommissioned(node->id) && !m_smap.hasTarget(node->id))
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("target %1 was decommissioned").arg(node->id),
                                 QStringLiteral("ErrDecommissioned")));
    // A target in maintenance that restarts stays in maintenance until stop-maintenance; one
    // that was leaving (stopped, or killed while it drained) is back in placement.
    if (const Cluster::Snode *known = m_smap.target(node->id)) {
        node->flags = known->flags;
        if (node->flags & Cluster::Snode::FlagLeaving)
            node->flags &= ~(Cluster::Snode::FlagLeaving | Cluster::Snode::FlagMaintenance);
    }
    // One shutdown-node stopped returns in maintenance, also when it was dropped meanwhile.
    if (m_rebalance.takeShutDown(node->id))
        node->flags |= Cluster::Snode::FlagMaintenance;
    m_lastSeen[node->id].start();
    if (m_smap.upsertTarget(*node)) {
        Log::proxy().info("target {} joined at {} (smap v{})", node->id, node->url(),
                          m_smap.version());
        smapUpdated();
    }
    QJsonObject reply{
        {"smap", m_smap.toJson()}, {"bmd", m_bmd.toJson()}, {"etlmd", m_etl.md().toJson()}};
    // Tokens revoked before it joined: it refuses them too (revocations after this go to every
    // target, see onTokensRevoked).
    if (const QJsonArray revoked = revokedTokens(); !revoked.isEmpty())
        reply.insert("revoked", revoked);
    ex.json(Api::compact(reply));
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
    // A job's targets split its objects by the map it started with; under a new map some would
    // be done twice or not at all. Fail them clearly instead (AIS aborts them too).
    m_jobs.abortRunning(QStringLiteral("the cluster map changed (v%1) while the job ran; run it "
                                       "again once the rebalance is done")
                            .arg(m_smap.version()));
    Q_EMIT smapChanged(m_smap.version(), int(m_smap.targets().size()));
    const Node::IntraRequest push{
        "PUT", Api::Route::DaemonSmap, Api::compact(m_smap.toJson()), {}, 5000};
    Node::callNodes(m_nam, m_smap.targets(), push, this, [](const QList<Node::IntraReply> &) {});
}

void ProxyNode::onClusterPut(Http::Exchange ex)
{
    auto act = Api::parseObject(ex.body(), "cluster action");
    if (!act)
        return ex.fail(act.error());
    if (m_rebalance.onClusterPut(ex, *act))
        return;
    m_jobs.onClusterPut(std::move(ex));
}

Result<void> ProxyNode::setTargetFlags(const QString &sid, quint64 flags)
{
    const Cluster::Snode *known = m_smap.target(sid);
    if (!known)
        return makeError(ErrorCode::NotFound, QStringLiteral("node \"%1\" does not exist").arg(sid));
    Cluster::Snode node = *known;
    node.flags = flags;
    if (m_smap.upsertTarget(node))
        smapUpdated();
    return {};
}

void ProxyNode::removeTarget(const QString &sid)
{
    if (!m_smap.removeTarget(sid))
        return;
    m_lastSeen.remove(sid);
    // The removed target still hears of it, so it stops placing anything.
    smapUpdated();
}

void ProxyNode::bmdUpdated(std::function<void()> done)
{
    // Saved first, then every target must know the change before the client hears "done" and
    // sends objects. The push carries the metadata as it is then (a newer change included).
    saveBmd([this, done = std::move(done)]() mutable {
        const Node::IntraRequest push{
            "PUT", Api::Route::DaemonBmd, Api::compact(m_bmd.toJson()), {}, 10000};
        Node::callNodes(m_nam, m_smap.targets(), push, this,
                        [done = std::move(done)](const QList<Node::IntraReply> &replies) {
                            for (const Node::IntraReply &r : replies) {
                                if (!r.ok())
                                    Log::proxy().warn(
                                        "target {} did not take the new bucket metadata ({}); it "
                                        "gets it with its next keepalive",
                                        r.node.id, r.status ? QString::number(r.status) : r.error);
                            }
                            done();
                        });
    });
}

void ProxyNode::saveSmap()
{
    publishSmap(); // every change of the map is saved: the worker threads see it from here on
    m_smapWriter.save(Api::compact(m_smap.toJson()), [](const Result<void> &saved) {
        if (!saved)
            Log::proxy().error("saving the cluster map: {}", saved.error().message);
    });
}

} // namespace Kiln::Proxy
