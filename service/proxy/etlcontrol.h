#pragma once

#include "shared/cluster/smap.h"
#include "shared/core/result.h"
#include "shared/etl/etlmd.h"

#include <QObject>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Node {
struct IntraReply;
}

namespace Kiln::Proxy {

class JobControl;

// The proxy's ETL API (AIS paths and the seed-era aliases): init in two phases across every
// target, list, details, stop, start, delete, and per-target logs, health and metrics. Owns the
// ETL metadata (persisted in <data>/etlmd.json) and pushes it to the targets after each change.
// Lives on the proxy's main thread.
class EtlControl final : public QObject
{
    Q_OBJECT
public:
    EtlControl(QNetworkAccessManager &nam, const Cluster::Smap &smap, QString dataDir,
               QObject *parent = nullptr);

    Result<void> load();
    void registerRoutes(Http::Router &router);
    void setNodeTag(const QString &tag) { m_tag = tag; }
    const Etl::EtlMd &md() const { return m_md; }
    void setJobs(JobControl *jobs) { m_jobs = jobs; }

private:
    void onInit(Http::Exchange ex);
    void onInitYaml(Http::Exchange ex);
    void onList(Http::Exchange ex);
    void onDetails(Http::Exchange ex);
    void onStop(Http::Exchange ex);
    void onStart(Http::Exchange ex);
    void onDelete(Http::Exchange ex);
    void onLogs(Http::Exchange ex);
    void onHealth(Http::Exchange ex);
    void onMetrics(Http::Exchange ex);
    void onFailed(Http::Exchange ex);

    void initialize(Http::Exchange ex, const Etl::InitMsg &msg);
    void runInit(Http::Exchange ex, const QString &name);
    void abortInit(Http::Exchange ex, const QString &name, const QString &xid,
                   const QList<Node::IntraReply> &replies);
    Etl::EtlRecord *record(Http::Exchange &ex, const QString &nameParam = QStringLiteral("etl"));
    QString notFound(const QString &name) const;
    void changed();

    QNetworkAccessManager &m_nam;
    const Cluster::Smap &m_smap;
    QString m_dataDir;
    QString m_tag; // p[<id>]
    Etl::EtlMd m_md;
    JobControl *m_jobs = nullptr; // offline jobs: stopped with their ETL, errors in details
};

} // namespace Kiln::Proxy
