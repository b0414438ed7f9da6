#pragma once

#include "service/etl/communicator.h"
#include "service/etl/etlmanager.h"
#include "service/http/httpserver.h"
#include "service/node/nodeconfig.h"
#include "service/node/nodereport.h"
#include "service/runtime/instance.h"
#include "service/target/appendroutes.h"
#include "service/target/archiveroutes.h"
#include "service/target/copyroutes.h"
#include "service/target/custommdroutes.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectstore.h"
#include "service/target/promoteroutes.h"
#include "service/target/targetcontext.h"
#include "service/xact/offlinejob.h"
#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"
#include "shared/core/result.h"

#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>

#include <memory>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

// A storage target: owns the objects HRW places on it, serves them over the AIS object API
// (redirected to it by the proxy, or asked directly), registers with the primary proxy and
// keeps its copies of the cluster map (Smap) and bucket metadata (BMD) current through
// keepalives. Lives on the main thread.
class TargetNode final : public QObject
{
    Q_OBJECT
public:
    explicit TargetNode(Node::NodeConfig config, QObject *parent = nullptr);
    ~TargetNode() override;

    Result<void> start();
    const Cluster::Snode &self() const { return m_self; }
    bool isJoined() const { return m_joined; }

Q_SIGNALS:
    void joined();

private:
    // Control plane (targetnode.cpp).
    void registerRoutes();
    void join();
    void sendKeepalive();
    void applyClusterState(const QJsonObject &json);
    void applySmap(const Cluster::Smap &smap);
    void applyBmd(const Api::Bmd &bmd);
    void applyWriteSettings();
    void onHealth(Http::Exchange ex);
    void onDaemonGet(Http::Exchange ex);
    void onDaemonPut(Http::Exchange ex);

    // Buckets (targetbuckets.cpp).
    void onBucketList(Http::Exchange ex);
    void onBucketHead(Http::Exchange ex);
    void onSummary(Http::Exchange ex); // GET /v1/txn/summary: this target's share, for the proxy
    // Checks provider and bucket of an object or bucket request; false when it answered already.
    bool checkBucket(Http::Exchange &ex, const QString &bucket);

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

    // Offline jobs (targetjobs.cpp).
    void registerJobRoutes();
    void onJobStart(Http::Exchange ex);
    void onJobAbort(Http::Exchange ex);
    void onJobGet(Http::Exchange ex);
    void onJobList(Http::Exchange ex);
    void countIncoming(const QString &jobId, qint64 bytes);

    // Objects (targetobjects.cpp).
    void onObjectGet(Http::Exchange ex);
    void onObjectHead(Http::Exchange ex);
    void onObjectPut(Http::Exchange ex);
    void onObjectWrite(Http::Exchange ex, const QString &bucket, const QString &object);
    void onObjectPost(Http::Exchange ex);
    void onObjectPatch(Http::Exchange ex);
    void onObjectDelete(Http::Exchange ex);
    bool checkObject(Http::Exchange &ex, QString *bucket, QString *object);
    QString notFoundMessage(const QString &bucket, const QString &object) const;

    Node::NodeConfig m_config;
    Cluster::Snode m_self;
    Cluster::Snode m_proxy; // where joins and keepalives go
    ObjectStore m_store;
    Http::HttpServer m_server;
    QNetworkAccessManager m_nam;
    Cluster::Smap m_smap;
    Api::Bmd m_bmd;
    qint64 m_etlMdVersion = -1;
    std::unique_ptr<Runtime::Runtime> m_runtime;
    Etl::EtlManager m_etl;
    Etl::Communicator m_comm;
    ObjectDelivery m_delivery;
    TargetContext m_ctx; // what the route classes below share
    CopyRoutes m_copy;
    AppendRoutes m_append;
    CustomMdRoutes m_customMd;
    ArchiveRoutes m_archive;
    PromoteRoutes m_promote;
    Node::NodeReport m_report; // node_status, mountpaths, disk
    QHash<QString, Xact::OfflineJob *> m_jobs; // children; the newest MaxJobs kept
    QStringList m_jobOrder;
    QTimer m_keepaliveTimer;
    QTimer m_joinRetryTimer;
    bool m_joined = false;
    bool m_keepaliveInFlight = false;
    int m_failedKeepalives = 0;
};

} // namespace Kiln::Target
