#pragma once

#include "service/http/bodysource.h"
#include "shared/core/error.h"
#include "shared/core/result.h"
#include "shared/etl/commtype.h"

#include <QObject>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace Kiln::Runtime {
class Instance;
}

namespace Kiln::Http {
class HttpClient;
}

namespace Kiln::Etl {

class EtlComm;
class EtlManager;
class Pipeline;
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

// Hands objects to ETL instances over their communication type and streams the results back.
// One EtlComm per comm type does the work (hpush, hpull, hrev, io, ws under service/etl/comm,
// made by makeEtlComm), a Pipeline chains ETLs; this front checks that the ETL runs here, picks
// the communicator by the ETL's comm type, and keeps the ETL's counters and error list. An hpull
// inline GET is a redirect the caller answers itself (see pullUrl). Lives on the target's main
// thread.
class Communicator final : public QObject
{
    Q_OBJECT
public:
    explicit Communicator(EtlManager *manager, QObject *parent = nullptr);
    ~Communicator() override;

    // Exactly one call of done (unless context is gone by then): a body to stream (status 200),
    // or a typed error whose code alone gives the client's status (Http::statusFor): the
    // instance's own status for its errors (EtlStatus); 400, as AIS answers, when the instance
    // gave none (EtlTimeout, EtlNoAnswer). The entry point for the transformed body of an object
    // through one ETL or, with job.pipeline, a chain of them (see Pipeline).
    using Output = Result<std::unique_ptr<Http::BodySource>>;
    using Done = std::function<void(Output)>;
    void transform(const TransformJob &job, QObject *context, Done done);
    Pipeline *pipeline() const { return m_pipeline; }

    // The instance URL an hpull client is redirected to for this object.
    QUrl pullUrl(const TransformJob &job) const;

    // Whether the instance gets the object's path instead of its bytes: the ETL said it reads
    // files (arg type fqn, or the SDK's ETL_DIRECT_FQN=true).
    static bool fqnMode(const InitMsg &msg);
    // Counters and the error list of the ETL's entry (fed by the communicators).
    void account(const QString &etl, qint64 in, qint64 out, bool ok);
    void recordError(const TransformJob &job, const Kiln::Error &error);

private:
    // done, observed by the ETL metrics (latency, errors) on its way back.
    static Done timed(const TransformJob &job, CommType comm, Done done);

    EtlManager *m_manager;
    Http::HttpClient *m_http; // child: keep-alive connections to the instances
    Pipeline *m_pipeline; // child: jobs with more than one ETL
    std::map<CommType, std::unique_ptr<EtlComm>> m_comms; // one per comm type
};

} // namespace Kiln::Etl
