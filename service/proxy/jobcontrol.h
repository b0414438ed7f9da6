#pragma once

#include "service/xact/offlinejob.h"
#include "shared/api/jobwire.h"
#include "shared/cluster/smap.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Proxy {

// The proxy's side of offline transform jobs (AIS xactions of kind etl-bck and etl-listrange):
// starts a job on every target, answers the job API the SDK and CLI wait with
// (GET /v1/cluster?what=status|qryxstats|status_all|running_all, PUT /v1/cluster stop) by asking
// the targets, and aborts a job everywhere when one target stops it. Lives on the proxy's thread.
class JobControl final : public QObject
{
    Q_OBJECT
public:
    JobControl(QNetworkAccessManager &nam, const Cluster::Smap &smap, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);
    void setNodeTag(const QString &tag) { m_tag = tag; }

    // Called once every target has finished the job (ok: none aborted it).
    using Completion = std::function<void(bool ok)>;
    // Starts a validated job on every target and answers the caller with its id.
    void start(Http::Exchange ex, const Xact::JobSpec &spec, Completion onComplete = {});
    // Answers the cluster query `what` (status, qryxstats, status_all, running_all); false when
    // `what` is not a job query.
    bool answerQuery(Http::Exchange &ex, const QString &what);
    void onClusterPut(Http::Exchange ex);
    // The first errors of one job, for GET /v1/etl/<name>?uuid=<job>.
    void jobErrors(const QString &id, QObject *context,
                   std::function<void(Result<QJsonArray>)> done);
    // Stops the running jobs of an ETL (the ETL is being stopped).
    void abortJobsOf(const QString &etlName, const QString &why);
    // Stops every running job (the cluster map changed under it: its objects' owners moved).
    void abortRunning(const QString &why);
    static QString newJobId();

private:
    struct Job
    {
        Xact::JobSpec spec;
        QList<Cluster::Snode> targets;
        QDateTime created;
        Completion onComplete;
        QSet<QString> finished; // targets that reported the end of their part
        bool aborted = false;
        // A job with a completion ends when it has run (a move: once the source is gone).
        bool pendingCompletion = false;
    };
    using JobSnaps = QList<QPair<QString, QJsonObject>>; // target id, its snapshot of a job
    using Gathered = QList<QPair<Job, JobSnaps>>;
    // The jobs a query names (by id, else by kind, else all), or AIS's error for it.
    Result<QList<Job>> selectJobs(const QString &what, const QJsonObject &query) const;
    void answerGathered(Http::Exchange &ex, const QString &what, const Gathered &results) const;
    void onFailed(Http::Exchange ex);
    void onFinished(Http::Exchange ex);
    void abortJob(const QString &id, const QString &why, std::function<void()> done);
    // Every target's snapshot of the job (a target that does not know it counts as aborted).
    void collect(const Job &job, QObject *context, std::function<void(JobSnaps)> done);
    Api::JobStatus statusOf(const Job &job, const JobSnaps &snaps) const;

    QNetworkAccessManager &m_nam;
    const Cluster::Smap &m_smap;
    QString m_tag;
    QHash<QString, Job> m_jobs;
    QStringList m_order; // job ids, oldest first (bounded)
};

} // namespace Kiln::Proxy
