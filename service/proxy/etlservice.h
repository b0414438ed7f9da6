#pragma once

#include "shared/api/etlwire.h"
#include "shared/cluster/smap.h"
#include "shared/core/result.h"
#include "shared/etl/etlmd.h"

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Node {
struct IntraReply;
class SnapshotWriter;
} // namespace Kiln::Node

namespace Kiln::Proxy {

class JobControl;

// The proxy's ETL domain: init in two phases across every target (begin: each target starts
// its instance and answers once it is ready; commit, or abort everywhere on the first failure),
// stop, start, delete, the aggregates of the targets' answers (list, details, logs, health,
// metrics), and the ETL metadata, saved to <data>/etlmd.json off the event loop and pushed to
// the targets after each change. Knows nothing of HTTP exchanges: every call answers a Result
// through its callback, on the proxy's main thread, where the service lives.
class EtlService final : public QObject
{
    Q_OBJECT
public:
    template<typename T> using Done = std::function<void(Result<T>)>;

    EtlService(QNetworkAccessManager &nam, const Cluster::Smap &smap, QString dataDir,
               QObject *parent = nullptr);
    ~EtlService() override;

    Result<void> load();
    void setNodeTag(const QString &tag) { m_tag = tag; }
    void setJobs(JobControl *jobs) { m_jobs = jobs; }
    const Etl::EtlMd &md() const { return m_md; }
    // Blocks until the metadata saved so far is on disk: shutdown and tests only.
    void waitForSaved();

    // The ETL of that name: InvalidArgument for a bad name, NotFound when there is none.
    Result<const Etl::EtlRecord *> find(const QString &name) const;

    void init(const Etl::InitMsg &msg, Done<QString> done); // answers the xaction id
    void start(const QString &name, Done<QString> done);
    void stop(const QString &name, Done<void> done);
    void remove(const QString &name, Done<void> done);
    // A target's instance failed after the commit: the ETL is aborted everywhere.
    void instanceFailed(const QString &name, const Api::EtlFailureReport &report);

    void list(Done<QList<Api::EtlSummary>> done);
    void details(const QString &name, Done<Api::EtlDetails> done);
    // The errors of one offline job of this ETL (SDK Etl.view(job_id)).
    void jobDetails(const QString &name, const QString &jobId, Done<Api::EtlDetails> done);
    void logs(const QString &name, const QString &targetId, Done<QList<Api::TargetLog>> done);
    void health(const QString &name, Done<QList<Api::TargetHealth>> done);
    void metrics(const QString &name, Done<QList<Api::TargetMetrics>> done);

private:
    Error notFound(const QString &name) const;
    Error stoppedDuringInit(const QString &name) const;
    void runInit(const QString &name, Done<QString> done);
    void commitInit(const QString &name, const QString &xid, Done<QString> done);
    // After a phase: next() when every target succeeded and the run is still current.
    void afterPhase(const QString &name, const QString &xid,
                    const QList<Node::IntraReply> &replies, const Done<QString> &done,
                    const std::function<void()> &next);
    void commit(const QString &name, const QString &xid, const Done<QString> &done);
    void abortInit(const QString &name, const QString &xid,
                   const QList<Node::IntraReply> &replies, Done<QString> done);
    // Saves and pushes the metadata; done (if any) hears how the save went.
    void changed(std::function<void(const Result<void> &)> done = {});
    void callTargets(const QString &method, const QString &tail, const QString &name,
                     std::function<void(QList<Node::IntraReply>)> done, int timeoutMs = 10000);

    QNetworkAccessManager &m_nam;
    const Cluster::Smap &m_smap;
    QString m_dataDir;
    QString m_tag; // p[<id>]
    Etl::EtlMd m_md;
    JobControl *m_jobs = nullptr; // offline jobs: stopped with their ETL, errors in details
    Node::SnapshotWriter *m_writer; // etlmd.json, a child
};

} // namespace Kiln::Proxy
