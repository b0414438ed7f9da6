#include "service/node/nodebase.h"

#include "service/auth/accessguard.h"
#include "service/auth/clustersecret.h"

#include "service/http/exchange.h"
#include "service/tls/certreloader.h"
#include "service/tls/nodetls.h"
#include "shared/cluster/urlscheme.h"
#include "service/http/router.h"
#include "service/metrics/diskmetrics.h"
#include "service/metrics/nodemetrics.h"
#include "service/metrics/registry.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"

#include <QDir>
#include <QHostAddress>

namespace Kiln::Node {

bool checkProvider(Http::Exchange &ex)
{
    auto ok = Api::checkProvider(ex.request().queryValue(Api::Query::Provider));
    if (!ok)
        ex.fail(ok.error());
    return bool(ok);
}

bool checkBucket(Http::Exchange &ex, const Api::Bmd &bmd, const QString &bucket)
{
    auto ok = bmd.check(ex.request().queryValue(Api::Query::Provider), bucket);
    if (!ok)
        ex.fail(ok.error());
    return bool(ok);
}

bool checkObject(Http::Exchange &ex, const Api::Bmd &bmd, const QString &bucket,
                 const QString &object, bool writing)
{
    auto ok = bmd.check(ex.request().queryValue(Api::Query::Provider), bucket);
    if (ok)
        ok = Api::validateObjectName(object);
    if (ok && writing)
        ok = bmd.checkWritable(bucket);
    if (!ok)
        ex.fail(ok.error());
    return bool(ok);
}

NodeBase::NodeBase(NodeConfig config, Cluster::NodeType type, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_type(type)
    , m_report(type == Cluster::NodeType::Target ? m_config.effectiveMountpaths() : QStringList{})
    , m_bmdWriter(m_config.dataDir + QStringLiteral("/bmd.json"))
{
    if (m_config.authEnabled) {
        // Every route is checked from here on (service/auth/routepolicy says what each needs).
        const QByteArray secret = m_config.authSecret.toUtf8();
        Auth::ClusterSecret::install(secret);
        m_guard = std::make_unique<Auth::AccessGuard>(
            std::make_shared<Auth::TokenVerifier>(secret), Auth::RoutePolicy::standard(),
            [this] { return m_smapSnapshot.get()->uuid(); });
        m_guard->install(m_server.router());
    }
}

NodeBase::~NodeBase() = default;

Result<void> NodeBase::makeDataDir() const
{
    if (!QDir().mkpath(m_config.dataDir))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot create data folder %1").arg(m_config.dataDir));
    return {};
}

Result<void> NodeBase::listen()
{
    if (auto tls = setUpTls(); !tls)
        return tls;
    auto port = m_server.listen(QHostAddress(m_config.host), m_config.effectivePort());
    if (!port)
        return port.error();
    m_self = Cluster::Snode::make(m_config.id, m_type, m_config.host, *port);
    m_server.setNodeName(m_self.tag());
    Log::setNodeTag(m_self.tag().toStdString());
    if (Metrics::enabled()) {
        const bool target = m_type == Cluster::NodeType::Target;
        Metrics::instrumentNode(m_server, m_self.id, target ? "target" : "proxy",
                                target ? m_config.effectiveMountpaths() : QStringList{});
    }
    return {};
}

Result<void> NodeBase::setUpTls()
{
    if (!m_config.tlsCa.isEmpty()) {
        if (auto trusted = Tls::trustCa(m_config.tlsCa); !trusted)
            return trusted;
    }
    if (m_config.tlsCert.isEmpty())
        return {};
    auto conf = Tls::serverConfiguration(m_config.tlsCert, m_config.tlsKey, m_config.tlsClientCa);
    if (!conf)
        return conf.error();
    m_server.setTls(*conf);
    // This node's calls to its peers show the same certificate: a mutual-TLS peer asks for it.
    Tls::presentOnCalls(*conf);
    new Tls::CertReloader(
        m_config.tlsCert, m_config.tlsKey, m_config.tlsClientCa,
        [this](const QSslConfiguration &renewed) {
            m_server.setTlsConfiguration(renewed);
            Tls::presentOnCalls(renewed);
        },
        this);
    Cluster::setUrlScheme(QStringLiteral("https")); // every node of the cluster: one setting
    return {};
}

QJsonArray NodeBase::revokedTokens() const
{
    QJsonArray out;
    if (m_guard) {
        m_guard->verifier().prune();
        for (const QByteArray &t : m_guard->verifier().revoked())
            out.append(QString::fromLatin1(t));
    }
    return out;
}

void NodeBase::applyRevokedTokens(const QJsonArray &tokens)
{
    if (!m_guard)
        return;
    for (const QJsonValue &t : tokens)
        m_guard->verifier().revoke(t.toString().toLatin1());
    if (!tokens.isEmpty())
        Log::http().info("auth: {} token(s) revoked before this node joined", tokens.size());
}

void NodeBase::registerNodeRoutes(Http::Router &r)
{
    r.add({"GET", "HEAD"}, Api::Route::Health, Http::bindHandler(this, &NodeBase::onHealth));
    r.add({"GET"}, Api::Route::Daemon, Http::bindHandler(this, &NodeBase::onDaemonGet));
    if (Metrics::enabled()) // KILN_METRICS=off: no route, so a scrape gets 404
        r.add({"GET"}, QStringLiteral("/metrics"),
              [this](Http::Exchange ex) {
                  if (m_type == Cluster::NodeType::Target)
                      Metrics::setDiskStats(Metrics::Registry::global(), m_report.diskStats());
                  collectMetrics();
                  Metrics::serveMetrics(std::move(ex), this);
              });
    if (m_guard)
        m_guard->registerRoutes(r, [this](const QByteArray &body) { onTokensRevoked(body); });
}

Result<QJsonObject> NodeBase::readSaved(const QString &file, const char *what, bool *found) const
{
    auto saved = readWholeFile(m_config.dataDir + '/' + file);
    *found = bool(saved);
    if (!saved)
        return saved.error();
    return Api::parseObject(*saved, what);
}

Result<void> NodeBase::loadBmd()
{
    auto loaded = loadSaved(QStringLiteral("bmd.json"), "saved bucket metadata", &m_bmd);
    if (!loaded)
        return loaded.error();
    m_bmdSnapshot.publish(m_bmd);
    return {};
}

void NodeBase::saveBmd(std::function<void()> done)
{
    m_bmdSnapshot.publish(m_bmd);
    spdlog::logger &log = m_type == Cluster::NodeType::Proxy ? Log::proxy() : Log::target();
    m_bmdWriter.save(Api::compact(m_bmd.toJson()), [&log, done = std::move(done)](const Result<void> &saved) {
        if (!saved)
            log.error("saving bucket metadata: {}", saved.error().message);
        if (done)
            done();
    });
}

void NodeBase::startWorkers(const std::function<void(Http::Router &)> &routes)
{
    m_server.startWorkers(m_config.httpThreads, [this, routes](Http::Router &router) {
        routes(router);
        if (m_guard)
            m_guard->install(router);
    });
}

void NodeBase::onHealth(Http::Exchange ex)
{
    ex.respond(200);
}

void NodeBase::onDaemonGet(Http::Exchange ex)
{
    const QString what = ex.request().queryValue(Api::Query::What);
    if (what == Api::What::Smap)
        return ex.json(Api::compact(m_smap.toJson()));
    if (what == Api::What::Bmd)
        return ex.json(Api::compact(m_bmd.toJson()));
    if (what == Api::What::Snode)
        return ex.json(Api::compact(m_self.toJson()));
    if (m_report.answer(ex, what, {m_self, m_smap, m_bmd.version(), etlMdVersion(), isReady(),
                                rebalanceSnapshot()}))
        return;
    ex.fail(makeError(
        ErrorCode::InvalidArgument,
        QStringLiteral("invalid GET /v1/daemon request: unrecognized what=%1").arg(what)));
}

} // namespace Kiln::Node
