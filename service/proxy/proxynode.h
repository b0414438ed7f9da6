#pragma once

#include "service/node/nodebase.h"
#include "service/node/snapshotwriter.h"
#include "service/proxy/bucketactions.h"
#include "service/proxy/bucketsummary.h"
#include "service/proxy/clusterinfo.h"
#include "service/proxy/etlroutes.h"
#include "service/proxy/etlservice.h"
#include "service/proxy/jobcontrol.h"
#include "service/proxy/objectactions.h"
#include "service/proxy/rebalancecontrol.h"
#include "service/proxy/workerredirects.h"
#include "shared/core/result.h"

#include <QElapsedTimer>
#include <QHash>
#include <QTimer>

#include <memory>

namespace Kiln::Http {
class Exchange;
}
namespace Kiln::Api {
struct ActMsg;
}

namespace Kiln::Proxy {

// The primary proxy: the gateway clients talk to. Keeps the versioned cluster map (targets
// join and keep alive; one that stops answering is dropped), owns the bucket metadata, and
// redirects object requests to the target HRW picks. Never touches object data. Lives on the
// main thread.
class ProxyNode final : public Node::NodeBase
{
    Q_OBJECT
public:
    explicit ProxyNode(Node::NodeConfig config, QObject *parent = nullptr);
    ~ProxyNode() override;

    Result<void> start();
    const Cluster::Smap &smap() const { return m_smap; }

Q_SIGNALS:
    void smapChanged(qint64 version, int targets);

private:
    // Cluster membership (proxynode.cpp).
    void registerRoutes();
    void onHealth(Http::Exchange ex) override;
    void onClusterGet(Http::Exchange ex);
    QByteArray clusterConfig() const;
    void onJoin(Http::Exchange ex);
    void onKeepalive(Http::Exchange ex);
    void checkTargets();
    void smapUpdated();
    void onClusterPut(Http::Exchange ex);
    Result<void> setTargetFlags(const QString &sid, quint64 flags);
    void removeTarget(const QString &sid);
    void bmdUpdated(std::function<void()> done);
    void saveSmap();
    // Restores the saved map, or starts a new cluster's; either way a new version with us as
    // primary.
    Result<void> loadSmap();
    bool isReady() const override { return !m_smap.targets().isEmpty(); }
    qint64 etlMdVersion() const override;
    // AuthN's revocations reach the proxy; every target must refuse those tokens too.
    void onTokensRevoked(const QByteArray &body) override;

    // Buckets (proxybuckets.cpp).
    void onBucketsGet(Http::Exchange ex);
    void onBucketPost(Http::Exchange ex);
    void onBucketDelete(Http::Exchange ex);
    // create-bck with EC props: enough targets for them (see Ec::checkTargets).
    Result<void> checkNewEcProps(const QString &bucket, const QJsonObject &toSet) const;
    void onBucketHead(Http::Exchange ex);
    void startTransform(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act);
    // An offline transform's ETL (or pipeline stage) exists and runs; AIS's errors otherwise.
    Result<void> checkTransformEtl(const QString &name) const;
    void listObjects(Http::Exchange ex, const QString &bucket, const QJsonValue &lsoValue);

    // Objects (proxyobjects.cpp).
    void onObject(Http::Exchange ex);

    Node::SnapshotWriter m_smapWriter; // <data>/smap.json
    QHash<QString, QElapsedTimer> m_lastSeen; // target id -> time since its last keepalive
    EtlService m_etl;
    EtlRoutes m_etlRoutes; // the HTTP face of m_etl
    JobControl m_jobs;
    RebalanceControl m_rebalance;
    ObjectActions m_objects;
    std::unique_ptr<WorkerRedirects> m_workerRedirects; // GET/HEAD on the HTTP worker threads
    BucketActions m_buckets;
    BucketSummary m_summary;
    ClusterInfo m_clusterInfo; // reverse route, cluster_config, backends
    QTimer m_checkTimer;
    QElapsedTimer m_uptime;
};

} // namespace Kiln::Proxy
