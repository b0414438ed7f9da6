#include "service/target/targetnode.h"

#include "service/metrics/rebalancemetrics.h"
#include "service/metrics/registry.h"

#include "service/etl/pipeline.h"
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/runtime/runtimefactory.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QJsonDocument>
#include <QUrl>

namespace Kiln::Target {
namespace {

// How long a stopping target sends its objects off before it exits anyway.
constexpr int LeaveDeadlineMs = 120000;

} // namespace

TargetNode::TargetNode(Node::NodeConfig config, QObject *parent)
    : Node::NodeBase(std::move(config), Cluster::NodeType::Target, parent)
    , m_store(m_config.effectiveMountpaths())
    , m_resilver(m_store)
    , m_runtime(Runtime::makeRuntime(m_config))
    , m_etl(m_runtime.get(), m_config.dataDir, m_config.id)
    , m_comm(&m_etl)
    , m_delivery({&m_store, &m_nam, &m_smap, &m_self})
    , m_ctx{m_store, m_smap, m_bmd, m_self, m_nam, m_comm, m_delivery}
    , m_ec(m_ctx)
    , m_slices(m_ctx)
    , m_jobs(m_ctx, m_proxy)
    , m_objects(m_ctx,
                {[this](Http::Exchange ex, const QString &etlName, const QString &bucket,
                        const QString &object) {
                     onInlineTransform(std::move(ex), etlName, bucket, object);
                 },
                 [this](const QString &jobId, qint64 bytes) { m_jobs.countIncoming(jobId, bytes); },
                 [this](qint64 bytes) { m_rebalancer.countReceived(bytes); },
                 [this](const QString &bucket, const QString &object, QObject *context,
                        std::function<void(const Result<ObjectInfo> &)> done) {
                     return m_ec.rebuild(bucket, object, context, std::move(done));
                 }})
    , m_buckets(m_ctx)
    , m_promote(m_ctx, m_config.effectivePromoteRoot())
    , m_rebalanceSender(m_nam)
    , m_rebalancer(m_store, m_smap, m_self, m_rebalanceSender)
    , m_leave({m_nam, m_proxy, m_self, m_smap, m_rebalancer,
               [this](const QJsonObject &state) { applyClusterState(state); }},
              LeaveDeadlineMs)
{
    connect(&m_etl, &Etl::EtlManager::instanceFailed, this, &TargetNode::reportEtlFailure);
    m_jobs.setEcEncode([this](const ObjectInfo &info, QObject *context,
                              std::function<void(bool)> done) {
        m_ec.protect(info, context, std::move(done));
    });
    const QUrl proxyUrl(m_config.proxyUrl);
    m_proxy = Cluster::Snode::make(QStringLiteral("primary"), Cluster::NodeType::Proxy,
                                   proxyUrl.host(), quint16(proxyUrl.port()));
    m_keepaliveTimer.setInterval(int(m_config.keepaliveInterval.count()));
    connect(&m_keepaliveTimer, &QTimer::timeout, this, &TargetNode::sendKeepalive);
    m_joinRetryTimer.setSingleShot(true);
    m_joinRetryTimer.setInterval(1000);
    connect(&m_joinRetryTimer, &QTimer::timeout, this, &TargetNode::join);
}

TargetNode::~TargetNode()
{
    stopServing();
}

Result<void> TargetNode::start()
{
    if (auto made = makeDataDir(); !made)
        return made;
    if (auto opened = m_store.open(); !opened)
        return opened;
    m_rebalancer.restore(m_config.dataDir + QStringLiteral("/rebalance.json"));
    if (auto loaded = loadBmd(); !loaded)
        return loaded;
    applyWriteSettings();
    if (auto listening = listen(); !listening)
        return listening;
    registerRoutes();
    m_workerReads = std::make_unique<WorkerReads>(m_store, bmdSnapshot(), m_self.tag());
    startWorkers([this](Http::Router &r) { m_workerReads->registerRoutes(r); });
    m_etl.setTargetUrl(m_self.url());
    // Intermediate results of ETL pipelines: a folder the store clears at start-up.
    m_comm.pipeline()->setSpoolDir(m_store.mountpaths().first() + QStringLiteral("/tmp"));
    m_comm.pipeline()->setNodeTag(m_self.tag());
    m_etl.restore();
    Log::target().info("target {} serving {} on {} (mountpaths: {})", m_self.id, m_self.url(),
                       m_config.dataDir, m_store.mountpaths().join(", "));
    join();
    return {};
}

void TargetNode::registerRoutes()
{
    Http::Router &r = m_server.router();
    registerNodeRoutes(r);
    r.add({"PUT"}, Api::Route::DaemonWhat, Http::bindHandler(this, &TargetNode::onDaemonPut));
    r.add({"PUT"}, Api::Route::Daemon, Http::bindHandler(this, &TargetNode::onDaemonAction));
    m_buckets.registerRoutes(r);
    m_objects.registerRoutes(r);
    m_slices.registerRoutes(r);
    m_promote.registerRoutes(r);
    registerEtlRoutes();
    m_jobs.registerRoutes(r);
    r.add({"GET"}, Api::Route::TargetRebalance,
          [this](Http::Exchange ex) { ex.json(Api::compact(m_rebalancer.snapshot())); });
    r.add({"DELETE"}, Api::Route::TargetRebalance, [this](Http::Exchange ex) {
        m_rebalancer.stop();
        ex.ok();
    });
}

void TargetNode::leave(std::function<void()> done)
{
    if (!m_joined) // never placed anything here, or the proxy is out of reach
        return done();
    m_joinRetryTimer.stop();
    m_leave.start(std::move(done));
}

void TargetNode::join()
{
    Node::IntraRequest request{"POST", Api::Route::ClusterJoin, Api::compact(m_self.toJson())};
    request.timeoutMs = 5000;
    Node::callNode(m_nam, m_proxy, request, this, [this](Node::IntraReply reply) {
        if (!reply.ok()) {
            const QString why = reply.status ? QStringLiteral("HTTP %1: %2")
                                                   .arg(reply.status)
                                                   .arg(QString::fromUtf8(reply.body.left(300)))
                                             : reply.error;
            if (reply.body.contains("ErrDecommissioned")) {
                Log::target().error("this target was decommissioned: not joining again ({})", why);
                Q_EMIT stopRequested(QStringLiteral("decommissioned"));
                return;
            }
            Log::target().warn("join via {} failed ({}); retrying", m_proxy.url(), why);
            m_joinRetryTimer.start();
            return;
        }
        auto json = Api::parseObject(reply.body, "join reply");
        if (!json) {
            m_joinRetryTimer.start();
            return;
        }
        applyClusterState(*json);
        const bool first = !m_joined;
        m_joined = true;
        m_failedKeepalives = 0;
        m_keepaliveTimer.start();
        Log::target().info("joined cluster {} (smap v{})", m_smap.uuid(), m_smap.version());
        if (first)
            Q_EMIT joined();
    });
}

void TargetNode::sendKeepalive()
{
    if (m_keepaliveInFlight)
        return;
    m_keepaliveInFlight = true;
    const QJsonObject body{
        {"id", m_self.id}, {"smap_version", m_smap.version()}, {"bmd_version", m_bmd.version()}};
    Node::IntraRequest request{"POST", Api::Route::ClusterKeepalive, Api::compact(body)};
    request.timeoutMs = int(m_config.keepaliveInterval.count()) * 2;
    Node::callNode(m_nam, m_proxy, request, this, [this](Node::IntraReply reply) {
        m_keepaliveInFlight = false;
        if (m_leave.isLeaving() && !reply.ok()) {
            m_leave.proxyGone(reply.status == 404 ? QStringLiteral("the proxy removed this target")
                                                  : QStringLiteral("the proxy does not answer"));
            return;
        }
        if (reply.status == 404) {
            // The proxy dropped us (we were away too long) or restarted without us: join again.
            Log::target().warn("proxy does not know this target any more; joining again");
            m_keepaliveTimer.stop();
            join();
            return;
        }
        if (!reply.ok()) {
            if (++m_failedKeepalives == 3)
                Log::target().warn("proxy {} is not answering keepalives ({})", m_proxy.url(),
                                   reply.status ? QString::number(reply.status) : reply.error);
            return;
        }
        if (m_failedKeepalives >= 3)
            Log::target().info("proxy {} answers again", m_proxy.url());
        m_failedKeepalives = 0;
        if (auto json = Api::parseObject(reply.body, "keepalive reply"))
            applyClusterState(*json);
    });
}

void TargetNode::applyClusterState(const QJsonObject &json, std::function<void()> applied)
{
    if (json.contains("revoked"))
        applyRevokedTokens(json.value("revoked").toArray());
    if (json.contains("smap")) {
        if (auto smap = Cluster::Smap::fromJson(json.value("smap").toObject()))
            applySmap(*smap);
        else
            Log::target().error("bad smap from proxy: {}", smap.error().message);
    }
    if (json.contains("etlmd")) {
        if (auto md = Etl::EtlMd::fromJson(json.value("etlmd").toObject())) {
            m_etlMdVersion = md->version();
            m_etl.reconcile(*md);
        } else {
            Log::target().error("bad etl metadata from proxy: {}", md.error().message);
        }
    }
    if (json.contains("bmd")) {
        auto bmd = Api::Bmd::fromJson(json.value("bmd").toObject());
        if (bmd)
            return applyBmd(*bmd, std::move(applied));
        Log::target().error("bad bmd from proxy: {}", bmd.error().message);
    }
    if (applied)
        applied();
}

void TargetNode::applySmap(const Cluster::Smap &smap)
{
    // A new primary (restarted proxy with a fresh map) starts its versions over: accept a map
    // of another cluster uuid as well as a newer one of ours.
    if (smap.uuid() == m_smap.uuid() && smap.version() <= m_smap.version())
        return;
    Log::target().info("smap v{} -> v{} ({} targets)", m_smap.version(), smap.version(),
                       smap.targets().size());
    m_smap = smap;
    publishSmap();
    m_proxy.id = smap.primary().id;
    // Every new map may move objects: a join, a leave, a return, a maintenance change.
    m_rebalancer.onSmapChanged();
    m_ec.onSmapChanged();
}

void TargetNode::applyWriteSettings()
{
    QHash<QString, WriteSettings> settings;
    for (const Api::BucketProps &props : m_bmd.buckets())
        settings.insert(props.name, WriteSettings{props.checksumType, props.versioning,
                                                  props.effectiveCopies()});
    m_store.setWriteSettings(settings);
    m_resilver.onSettings(settings);
}

void TargetNode::applyBmd(const Api::Bmd &bmd, std::function<void()> saved)
{
    if (bmd.version() == m_bmd.version() && bmd.buckets().keys() == m_bmd.buckets().keys()) {
        if (saved)
            saved();
        return;
    }
    for (const QString &name : bmd.buckets().keys()) {
        if (auto created = m_store.createBucket(name); !created)
            Log::target().error("bucket {}: {}", name, created.error().message);
    }
    // Buckets on disk the cluster no longer has were destroyed while we were away.
    for (const QString &name : m_store.localBuckets()) {
        if (!bmd.contains(name)) {
            Log::target().info("bucket {} was destroyed; removing its objects", name);
            if (auto destroyed = m_store.destroyBucket(name); !destroyed)
                Log::target().error("bucket {}: {}", name, destroyed.error().message);
        }
    }
    m_ec.keepBuckets(bmd.buckets().keys());
    m_bmd = bmd;
    applyWriteSettings();
    saveBmd(std::move(saved));
}

QString TargetNode::notFoundMessage(const QString &bucket, const QString &object) const
{
    return m_ctx.objectNotFound(bucket, object).message;
}

void TargetNode::onDaemonPut(Http::Exchange ex)
{
    auto json = Api::parseObject(ex.body(), "cluster metadata");
    if (!json)
        return ex.fail(json.error());
    const QString what = ex.param("what");
    if (what != Api::What::Smap && what != Api::What::Bmd && what != "etlmd")
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("invalid route PUT /v1/daemon/%1").arg(what)));
    // The proxy acknowledges a bucket change once every target holds it: answer when it is saved.
    applyClusterState(QJsonObject{{what, *json}}, [ex]() mutable { ex.ok(); });
}

void TargetNode::onDaemonAction(Http::Exchange ex)
{
    // PUT /v1/daemon {"action": "shutdown-node"}: from the primary only, once this target's
    // objects are with their new owners.
    if (ex.request().header(QByteArray(Node::IntraHeader).toLower()).isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("PUT /v1/daemon: intra-cluster only")));
    auto act = Api::parseObject(ex.body(), "daemon action");
    if (!act)
        return ex.fail(act.error());
    const QString action = act->value("action").toString();
    if (action != QLatin1String(Api::Action::ShutdownNode))
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("invalid action \"%1\"").arg(action)));
    ex.ok();
    QTimer::singleShot(0, this, [this] { Q_EMIT stopRequested(QStringLiteral("shutdown-node")); });
}

void TargetNode::collectMetrics()
{
    m_etl.publishUsage();
    Metrics::setRebalanceStats(Metrics::Registry::global(), m_rebalancer.snapshot());
}

} // namespace Kiln::Target
