#pragma once

#include "service/http/httpserver.h"
#include "service/node/nodeconfig.h"
#include "service/node/nodereport.h"
#include "service/node/snapshotwriter.h"
#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"
#include "shared/cluster/snode.h"
#include "shared/core/result.h"
#include "shared/core/snapshot.h"

#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QObject>

#include <functional>
#include <memory>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Auth {
class AccessGuard;
} // namespace Kiln::Auth

namespace Kiln::Node {

// The bucket checks of a request: its provider= alone, and provider plus a bucket the BMD
// knows. Each answers ex with AIS's error when the check fails and then returns false.
bool checkProvider(Http::Exchange &ex);
bool checkBucket(Http::Exchange &ex, const Api::Bmd &bmd, const QString &bucket);
// An object request's bucket and object name, and when writing that the bucket takes writes.
bool checkObject(Http::Exchange &ex, const Api::Bmd &bmd, const QString &bucket,
                 const QString &object, bool writing);

// What a proxy and a target both are: an HTTP server under a node identity, their copies of
// the cluster map (Smap) and the bucket metadata (BMD, kept in <data>/bmd.json and saved off
// the event loop), and the answers to /v1/health and GET /v1/daemon. Lives on the main thread.
class NodeBase : public QObject
{
public:
    ~NodeBase() override;

    const Cluster::Snode &self() const { return m_self; }
    // What the node does on SIGTERM before the process exits; done runs when it may exit.
    virtual void leave(std::function<void()> done) { done(); }

protected:
    NodeBase(NodeConfig config, Cluster::NodeType type, QObject *parent);

    // Creates the data folder.
    Result<void> makeDataDir() const;
    // Listens on the configured address; the node's identity, server name and log tag follow.
    Result<void> listen();
    // /v1/health and GET /v1/daemon (and, with auth on, DELETE /v1/tokens).
    void registerNodeRoutes(Http::Router &router);
    // Tokens AuthN revoked here (the body of DELETE /v1/tokens); the proxy passes them on.
    virtual void onTokensRevoked(const QByteArray &body) { Q_UNUSED(body); }

    // Reads <data>/bmd.json into m_bmd when there is one.
    Result<void> loadBmd();
    // Saves m_bmd as it is now; done runs once that content (or a newer one) is on disk. It is
    // published for the HTTP worker threads (bmdSnapshot) at once.
    void saveBmd(std::function<void()> done = {});
    // For the HTTP worker threads: the BMD and the cluster map as of the latest change.
    const Snapshot<Api::Bmd> &bmdSnapshot() const { return m_bmdSnapshot; }
    const Snapshot<Cluster::Smap> &smapSnapshot() const { return m_smapSnapshot; }
    // Called after every change of m_smap (its uuid is also what tokens are checked against).
    void publishSmap() { m_smapSnapshot.publish(m_smap); }
    // HTTP worker threads (--http-threads) serving the routes `routes` adds, guarded as the
    // node's own routes are.
    void startWorkers(const std::function<void(Http::Router &)> &routes);
    // Closes the listener and drops every connection (in-flight requests abort) while the
    // node's members are still alive: the first thing a node's destructor does.
    void stopServing() { m_server.shutdown(); }

    // Reads <data>/<file> into *into: false when there is no such file, an error when the file
    // is there but does not parse (T::fromJson of its JSON object).
    template<class T>
    Result<bool> loadSaved(const QString &file, const char *what, T *into) const;

    // A target answers health with 200; the proxy adds readiness and uptimes.
    virtual void onHealth(Http::Exchange ex);
    void onDaemonGet(Http::Exchange ex);
    // What GET /v1/daemon reports beyond the maps: ready (node_status's cluster_started) and
    // the version of the ETL metadata this node holds.
    virtual bool isReady() const = 0;
    // Runs on the event loop before a /metrics scrape, for figures only this thread may read.
    virtual void collectMetrics() {}
    virtual qint64 etlMdVersion() const = 0;
    // AIS's core.Snap of this node's latest rebalance (node_status's rebalance_snap), or empty.
    virtual QJsonObject rebalanceSnapshot() const { return {}; }
    // The tokens revoked on this node (auth on), for a target that joins later; and taking
    // such a list from the proxy.
    QJsonArray revokedTokens() const;
    void applyRevokedTokens(const QJsonArray &tokens);

    NodeConfig m_config;
    Cluster::NodeType m_type;
    Cluster::Snode m_self;
    Http::HttpServer m_server;
    QNetworkAccessManager m_nam;
    Cluster::Smap m_smap;
    Api::Bmd m_bmd;
    NodeReport m_report; // node_status, node_stats and the like

private:
    // HTTPS (tls.cert/key) and the CA trusted for calls to other nodes (tls.ca).
    Result<void> setUpTls();
    Result<QJsonObject> readSaved(const QString &file, const char *what, bool *found) const;

    SnapshotWriter m_bmdWriter;
    Snapshot<Api::Bmd> m_bmdSnapshot;
    Snapshot<Cluster::Smap> m_smapSnapshot;
    std::unique_ptr<Auth::AccessGuard> m_guard; // set when auth is enabled
};

template<class T>
Result<bool> NodeBase::loadSaved(const QString &file, const char *what, T *into) const
{
    bool found = false;
    auto json = readSaved(file, what, &found);
    if (!found)
        return false;
    auto value = json ? T::fromJson(*json) : Result<T>(json.error());
    if (!value)
        return makeError(ErrorCode::Internal, QStringLiteral("%1/%2: %3")
                                                  .arg(m_config.dataDir, file, value.error().message));
    *into = std::move(*value);
    return true;
}

} // namespace Kiln::Node
