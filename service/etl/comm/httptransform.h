#pragma once

#include "service/etl/comm/etlcomm.h"
#include "service/etl/communicator.h"
#include "service/http/httpclient.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QString>
#include <QTimer>

#include <chrono>
#include <memory>

namespace Kiln::Runtime {
class Instance;
}

namespace Kiln::Etl {

class CallBodySource;

// What an HTTP communicator has learnt about its ETLs' servers across objects.
struct PutSupport
{
    // Servers that refused PUT with 501/405 (seed-era servers that only do POST).
    QSet<QString> postOnly;
    // Servers that have answered a PUT: a hang-up is then never taken for a POST-only one.
    QSet<QString> putWorks;
};

// One object through an ETL's HTTP server (hpush://; hpull:// and hrev:// when the target reads
// the result itself). Sends the request and answers done once: the answer's body streaming in,
// or a typed error. Owns what one object needs: its obj_timeout timer (restarted for each try,
// covering the whole exchange as AIS's client timeout does), the error body it collects, and
// AIS's soft-error budget (replays after a 503 direct-put-transient or a refused connection),
// plus the one POST fallback for a server that refuses PUT. Deletes itself once it failed; after
// a body it lives as that body's child, its timer bounding the stream. Lives on the target's
// main thread.
class HttpTransform final : public QObject
{
    Q_OBJECT
public:
    struct Setup
    {
        TransformJob job;
        QPointer<Runtime::Instance> instance; // the ETL must still run on this very instance
        bool push = false; // PUT (or POST) the object; else the instance GETs it (hrev)
        bool usePost = false; // the server is known to refuse PUT
        bool fqn = false; // the instance reads the object's file itself (see fqnMode)
        std::chrono::milliseconds timeout{0}; // obj_timeout, or the job's own
    };

    HttpTransform(Setup setup, const CommDeps &deps, PutSupport *put, QObject *context,
                  Communicator::Done done, QObject *parent);
    Q_DISABLE_COPY_MOVE(HttpTransform)

    // Sends the first try. done may run before this returns (a file that cannot be read).
    void start();

private:
    Result<Http::ClientRequest> request() const;
    void onHeaders();
    void onReadyRead();
    void onFinished();
    void onTimeout();
    // A try that got no status at all: asked again with POST (seed-era servers), tried again
    // later (a refused connection, while the instance runs), or the client's error at once.
    void noAnswer(bool refused, const QString &why);
    // Sends the request again after AIS's backoff (its soft-error retries, protocol §1.5).
    void retryLater();
    bool instanceAlive() const;
    void dropCall();
    // Hands the answer's body to the caller; counted: the ETL's counters take it once streamed.
    void succeed(qint64 size, bool counted);
    void fail(const Kiln::Error &error, bool record = true);

    Setup m_setup;
    CommDeps m_deps;
    PutSupport *m_put; // the communicator's, which outlives its transforms
    QPointer<QObject> m_context; // nobody to answer once it is gone
    Communicator::Done m_done;
    QTimer m_timer; // obj_timeout
    Http::ClientCall *m_call = nullptr; // the current try
    QString m_what; // the request as Go's client names it in its errors
    QByteArray m_errorBody;
    QPointer<CallBodySource> m_body; // handed to the caller
    int m_replay = 0; // soft errors spent on this object
    bool m_answered = false; // the current try is over for us
};

} // namespace Kiln::Etl
