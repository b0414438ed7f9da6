#pragma once

#include "service/ec/ecmanager.h"
#include "service/ec/sliceroutes.h"
#include "service/etl/communicator.h"
#include "service/etl/etlmanager.h"
#include "service/mirror/resilver.h"
#include "service/node/nodebase.h"
#include "service/runtime/instance.h"
#include "service/target/bucketroutes.h"
#include "service/target/gracefulleave.h"
#include "service/target/jobroutes.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectroutes.h"
#include "service/target/objectstore.h"
#include "service/target/promoteroutes.h"
#include "service/target/rebalancer.h"
#include "service/target/targetcontext.h"
#include "service/target/workerreads.h"
#include "shared/core/result.h"

#include <QTimer>

#include <memory>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

// A storage target: owns the objects HRW places on it, serves them over the AIS object API
// (redirected to it by the proxy, or asked directly), registers with the primary proxy and
// keeps its copies of the cluster map (Smap) and bucket metadata (BMD) current through
// keepalives. Its route classes answer the requests; the node wires them. Lives on the main
// thread.
class TargetNode final : public Node::NodeBase
{
    Q_OBJECT
public:
    explicit TargetNode(Node::NodeConfig config, QObject *parent = nullptr);
    ~TargetNode() override;

    Result<void> start();
    bool isJoined() const { return m_joined; }
    // SIGTERM: sends every object to its new owner, leaves the map, then runs done.
    void leave(std::function<void()> done) override;

Q_SIGNALS:
    void joined();
    // The process may exit: the proxy refused this target for good (decommissioned), or told it
    // to shut down (shutdown-node, its objects already sent off).
    void stopRequested(const QString &why);

private:
    // Control plane (targetnode.cpp).
    void registerRoutes();
    void join();
    void sendKeepalive();
    // applied runs once what json carries is in effect, a new BMD saved included.
    void applyClusterState(const QJsonObject &json, std::function<void()> applied = {});
    void applySmap(const Cluster::Smap &smap);
    void applyBmd(const Api::Bmd &bmd, std::function<void()> saved);
    void applyWriteSettings();
    void onDaemonPut(Http::Exchange ex);
    void onDaemonAction(Http::Exchange ex);
    bool isReady() const override { return m_joined; }
    qint64 etlMdVersion() const override { return m_etlMdVersion; }
    void collectMetrics() override;
    QJsonObject rebalanceSnapshot() const override { return m_rebalancer.snapshotIfStarted(); }
    // "t[<id>]: ais://b/o does not exist".
    QString notFoundMessage(const QString &bucket, const QString &object) const;

    // ETLs (targetetl.cpp).
    void registerEtlRoutes();
    void onEtlBegin(Http::Exchange ex);
    void onEtlCommit(Http::Exchange ex);
    void onEtlAbort(Http::Exchange ex);
    void onEtlDelete(Http::Exchange ex);
    void onEtlList(Http::Exchange ex);
    void onEtlDetails(Http::Exchange ex);
    void onEtlLogs(Http::Exchange ex);
    void onEtlHealth(Http::Exchange ex);
    void onEtlMetrics(Http::Exchange ex);
    void onEtlObject(Http::Exchange ex);
    void onInlineTransform(Http::Exchange ex, const QString &etlName, const QString &bucket,
                           const QString &object);
    // The AIS error of an inline request the ETL layer refuses before the object is read (ETL or
    // pipeline stage not running here, a pipeline behind hpull://), if any.
    std::optional<std::pair<int, Error>> refuseInline(const Etl::TransformJob &job);
    void reportEtlFailure(const QString &name, const QString &xid, const QString &error);
    Etl::EtlEntry *findEtl(Http::Exchange &ex);

    Cluster::Snode m_proxy; // where joins and keepalives go
    ObjectStore m_store;
    Mirror::Resilver m_resilver; // copies restored at start (mirrored buckets)
    qint64 m_etlMdVersion = -1;
    std::unique_ptr<Runtime::Runtime> m_runtime;
    Etl::EtlManager m_etl;
    Etl::Communicator m_comm;
    ObjectDelivery m_delivery;
    TargetContext m_ctx; // what the route classes below share
    Ec::EcManager m_ec; // slices of erasure-coded buckets
    Ec::SliceRoutes m_slices;
    JobRoutes m_jobs;
    ObjectRoutes m_objects;
    BucketRoutes m_buckets;
    PromoteRoutes m_promote;
    HttpRebalanceSender m_rebalanceSender;
    Rebalancer m_rebalancer; // moves objects whose owner a new map changed
    GracefulLeave m_leave;
    std::unique_ptr<WorkerReads> m_workerReads; // the routes of the HTTP worker threads
    QTimer m_keepaliveTimer;
    QTimer m_joinRetryTimer;
    bool m_joined = false;
    bool m_keepaliveInFlight = false;
    int m_failedKeepalives = 0;
};

} // namespace Kiln::Target
