#pragma once

#include "service/http/bodysource.h"
#include "shared/core/error.h"
#include "shared/etl/commtype.h"

#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <functional>
#include <memory>

namespace Kiln::Runtime {
class Instance;
}

namespace Kiln::Http {
class HttpClient;
}

namespace Kiln::Etl {

class EtlManager;
class Pipeline;
class WsCommunicator;
struct InitMsg;

// One object to transform inline.
struct TransformJob
{
    QString etlName;
    QString bucket;
    QString object;
    QString fqn; // the object's file on this target
    qint64 size = 0;
    QString etlArgs; // passed through as AIS does (query etl_args)
    // Offline jobs: their own per-object timeout (0: the ETL's obj_timeout), and their errors
    // belong to the job, not to the ETL's inline error list.
    std::chrono::milliseconds timeout{0};
    bool inlineRequest = true;
    // The ETLs after etlName, in order (AIS's etl_pipeline): the object goes through all of them.
    QStringList pipeline;
    // A pipeline stage after the first: its input is the previous stage's output, PUT to the
    // instance whatever its comm type (hpull://, hrev:// cannot fetch it back from the target).
    bool pushBody = false;

    std::chrono::milliseconds effectiveTimeout(std::chrono::milliseconds etlTimeout) const
    {
        return timeout.count() > 0 ? timeout : etlTimeout;
    }
};

// Hands objects to ETL instances over their communication type and streams the results back:
// hpush (PUT the bytes, or the path in FQN mode), hrev (the target GETs the object through the
// instance), io (a process per object, object on stdin), ws (a pool of websockets per ETL, see
// WsCommunicator). hpull is a redirect the caller answers itself (see pullUrl). Counts objects
// and bytes and records errors on the ETL's entry. Lives on the target's main thread.
class Communicator final : public QObject
{
    Q_OBJECT
public:
    explicit Communicator(EtlManager *manager, QObject *parent = nullptr);

    // Exactly one call of done: a body to stream (status 200), or an error with the status the
    // client should get: the instance's own status for its errors; 400, as AIS answers, when the
    // instance gave none (obj_timeout, a connection that failed, an instance that died). The
    // entry point for the transformed body of an object through one ETL or, with job.pipeline,
    // a chain of them (see Pipeline).
    using Done = std::function<void(std::unique_ptr<Http::BodySource> body, int status,
                                    Kiln::Error error)>;
    void transform(const TransformJob &job, QObject *context, Done done);
    Pipeline *pipeline() const { return m_pipeline; }

    // The instance URL an hpull client is redirected to for this object.
    QUrl pullUrl(const TransformJob &job) const;

    // Whether the instance gets the object's path instead of its bytes: the ETL said it reads
    // files (arg type fqn, or the SDK's ETL_DIRECT_FQN=true).
    static bool fqnMode(const InitMsg &msg);
    // Counters and the error list of the ETL's entry (also fed by the ws:// pools).
    void account(const QString &etl, qint64 in, qint64 out, bool ok);
    void recordError(const TransformJob &job, const QString &message, int status);

private:
    // replay counts the tries already spent on soft errors (a 503 with Ais-Etl-Retry-Reason:
    // direct-put-transient, a connection refused), AIS's budget for one object.
    void transformHttp(const TransformJob &job, Runtime::Instance *instance, CommType comm,
                       bool usePost, QObject *context, Done done, int replay = 0);
    struct NoAnswer
    {
        bool refused = false; // nothing accepted the connection
        QString why; // the request and its failure
    };
    // A try that got no status at all: asked again with POST (seed-era servers), tried again
    // later (a refused connection, while the instance runs), or the client's error at once.
    void noAnswer(const TransformJob &job, Runtime::Instance *instance, CommType comm,
                  bool usePost, QObject *context, Done done, int replay, const NoAnswer &failure);
    // Sends the request again after AIS's backoff (its soft-error retries, protocol §1.5).
    void retryLater(const TransformJob &job, Runtime::Instance *instance, CommType comm,
                    bool usePost, QObject *context, Done done, int replay);
    void transformIo(const TransformJob &job, Runtime::Instance *instance, QObject *context,
                     Done done);

    EtlManager *m_manager;
    Http::HttpClient *m_http; // child: keep-alive connections to the instances
    WsCommunicator *m_ws; // child
    Pipeline *m_pipeline; // child: jobs with more than one ETL
    // ETLs whose servers refused PUT with 501/405 (seed-era servers that only do POST).
    QSet<QString> m_postOnly;
    // ETLs whose servers have answered a PUT: a hang-up is then never taken for a POST-only one.
    QSet<QString> m_putWorks;
};

} // namespace Kiln::Etl
