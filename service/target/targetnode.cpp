#include "service/target/targetnode.h"

#include "service/etl/pipeline.h"
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/runtime/runtimefactory.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <QDir>
#include <QJsonDocument>
#include <QUrl>

namespace Kiln::Target {

TargetNode::TargetNode(Node::NodeConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_store(m_config.effectiveMountpaths())
    , m_runtime(Runtime::makeRuntime(m_config))
    , m_etl(m_runtime.get(), m_config.dataDir, m_config.id)
    , m_comm(&m_etl)
    , m_delivery({&m_store, &m_nam, &m_smap, &m_self})
    , m_ctx{m_store, m_smap, m_bmd, m_self, m_nam, m_comm, m_delivery}
    , m_copy(m_ctx)
    , m_append(m_ctx)
    , m_customMd(m_ctx)
    , m_archive(m_ctx)
    , m_promote(m_ctx, m_config.effectivePromoteRoot())
    , m_report(m_config.effectiveMountpaths())
{
    connect(&m_etl, &Etl::EtlManager::instanceFailed, this, &TargetNode::reportEtlFailure);
    const QUrl proxyUrl(m_config.proxyUrl);
    m_proxy = Cluster::Snode::make(QStringLiteral("primary"), Cluster::NodeType::Proxy,
                                   proxyUrl.host(), quint16(proxyUrl.port()));
    m_keepaliveTimer.setInterval(int(m_config.keepaliveInterval.count()));
    connect(&m_keepaliveTimer, &QTimer::timeout, this, &TargetNode::sendKeepalive);
    m_joinRetryTimer.setSingleShot(true);
    m_joinRetryTimer.setInterval(1000);
    connect(&m_joinRetryTimer, &QTimer::timeout, this, &TargetNode::join);
}

TargetNode::~TargetNode() = default;

Result<void> TargetNode::start()
{
    if (!QDir().mkpath(m_config.dataDir))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot create data folder %1").arg(m_config.dataDir));
    if (auto opened = m_store.open(); !opened)
        return opened;
    if (auto saved = readWholeFile(m_config.dataDir + "/bmd.json")) {
        auto json = Api::parseObject(*saved, "saved bucket metadata");
        auto bmd = json ? Api::Bmd::fromJson(*json) : Result<Api::Bmd>(json.error());
        if (!bmd)
            return makeError(
                ErrorCode::Internal,
                QStringLiteral("%1/bmd.json: %2").arg(m_config.dataDir, bmd.error().message));
        m_bmd = *bmd;
        applyWriteSettings();
    }
    auto port = m_server.listen(QHostAddress(m_config.host), m_config.effectivePort());
    if (!port)
        return port.error();
    m_self = Cluster::Snode::make(m_config.id, Cluster::NodeType::Target, m_config.host, *port);
    m_server.setNodeName(m_self.tag());
    Log::setNodeTag(m_self.tag().toStdString());
    registerRoutes();
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
    auto bind = [this](void (TargetNode::*method)(Http::Exchange)) {
        return Http::bindHandler(this, method);
    };
    r.add({"GET", "HEAD"}, "/v1/health", bind(&TargetNode::onHealth));
    r.add({"GET"}, "/v1/daemon", bind(&TargetNode::onDaemonGet));
    r.add({"PUT"}, "/v1/daemon/{what}", bind(&TargetNode::onDaemonPut));
    r.add({"GET"}, "/v1/buckets/{bucket}", bind(&TargetNode::onBucketList));
    r.add({"HEAD"}, "/v1/buckets/{bucket}", bind(&TargetNode::onBucketHead));
    r.add({"GET"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectGet));
    r.add({"HEAD"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectHead));
    r.add({"DELETE"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectDelete));
    r.add({"PUT"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectPut),
          Http::RouteOptions{.streamBody = true});
    r.add({"POST"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectPost));
    r.add({"PATCH"}, "/v1/objects/{bucket}/{*object}", bind(&TargetNode::onObjectPatch));
    m_promote.registerRoutes(r);
    r.add({"GET"}, "/v1/txn/summary", bind(&TargetNode::onSummary));
    registerEtlRoutes();
    registerJobRoutes();
}

void TargetNode::join()
{
    Node::IntraRequest request{"POST", "/v1/cluster/join", Api::compact(m_self.toJson())};
    request.timeoutMs = 5000;
    Node::callNode(m_nam, m_proxy, request, this, [this](Node::IntraReply reply) {
        if (!reply.ok()) {
            const QString why = reply.status ? QStringLiteral("HTTP %1: %2")
                                                   .arg(reply.status)
                                                   .arg(QString::fromUtf8(reply.body.left(300)))
                                             : reply.error;
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
    Node::IntraRequest request{"POST", "/v1/cluster/keepalive", Api::compact(body)};
    request.timeoutMs = int(m_config.keepaliveInterval.count()) * 2;
    Node::callNode(m_nam, m_proxy, request, this, [this](Node::IntraReply reply) {
        m_keepaliveInFlight = false;
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

void TargetNode::applyClusterState(const QJsonObject &json)
{
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
        if (auto bmd = Api::Bmd::fromJson(json.value("bmd").toObject()))
            applyBmd(*bmd);
        else
            Log::target().error("bad bmd from proxy: {}", bmd.error().message);
    }
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
    m_proxy.id = smap.primary().id;
}

void TargetNode::applyWriteSettings()
{
    QHash<QString, WriteSettings> settings;
    for (const Api::BucketProps &props : m_bmd.buckets())
        settings.insert(props.name, WriteSettings{props.checksumType, props.versioning});
    m_store.setWriteSettings(settings);
}

void TargetNode::applyBmd(const Api::Bmd &bmd)
{
    if (bmd.version() == m_bmd.version() && bmd.buckets().keys() == m_bmd.buckets().keys())
        return;
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
    m_bmd = bmd;
    applyWriteSettings();
    if (auto saved
        = writeFileAtomically(m_config.dataDir + "/bmd.json", Api::compact(bmd.toJson()));
        !saved)
        Log::target().error("saving bucket metadata: {}", saved.error().message);
}

void TargetNode::onHealth(Http::Exchange ex)
{
    ex.respond(200);
}

void TargetNode::onDaemonGet(Http::Exchange ex)
{
    const QString what = ex.request().queryValue(Api::Query::What);
    if (what == Api::What::Smap)
        return ex.json(Api::compact(m_smap.toJson()));
    if (what == Api::What::Bmd)
        return ex.json(Api::compact(m_bmd.toJson()));
    if (what == Api::What::Snode)
        return ex.json(Api::compact(m_self.toJson()));
    if (m_report.answer(ex, what, {m_self, m_smap, m_bmd.version(), m_etlMdVersion, m_joined}))
        return;
    ex.fail(makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("invalid GET /v1/daemon request: unrecognized what=%1").arg(what)));
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
    applyClusterState(QJsonObject{{what, *json}});
    ex.ok();
}

} // namespace Kiln::Target
