#include "service/etl/communicator.h"

#include "service/etl/etlmanager.h"
#include "service/etl/pipeline.h"
#include "service/etl/transformsources.h"
#include "service/etl/wscommunicator.h"
#include "service/http/httpclient.h"
#include "service/runtime/instance.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QLocalSocket>
#include <QProcess>
#include <QTimer>
#include <QUrlQuery>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace Kiln::Etl {
namespace {

constexpr qint64 MaxErrorBody = 64 * 1024;
constexpr qint64 SmallObject = 1024 * 1024; // sent from memory, larger ones streamed from the file
constexpr qint64 IoReadBuffer = 1024 * 1024; // an io:// program's output waiting for the client
// AIS direct put (protocol §1.5): an instance that could not forward a one-shot PUT body answers
// 503 with the header Ais-Etl-Retry-Reason: direct-put-transient, and the target replays the PUT.
constexpr char DirectPutTransient[] = "direct-put-transient";
// AIS's budget of "soft" errors per object (ext/etl: retryConnSoftErr), shared by those replays
// and by connections refused: 10 more tries after the first, 1 s apart at first, then 0.5 s more
// each time up to its max keepalive (5 s): ~32 s in all. Then the error goes to the client.
constexpr int SoftRetries = 10;
constexpr int FirstRetryDelayMs = 1000;
constexpr int RetryDelayStepMs = 500;
constexpr int MaxRetryDelayMs = 5000;
// What AIS answers when the ETL gave no status at all (a timeout, a connection that failed): its
// error with no code, which becomes 400. Never a 5xx: the SDK would retry that for ~90 s.
constexpr int NoAnswerStatus = 400;

int retryDelayMs(int retry)
{
    return std::min(FirstRetryDelayMs + retry * RetryDelayStepMs, MaxRetryDelayMs);
}

// Go's spelling of the method in its client errors ("Put", "Get").
QString goMethod(const QByteArray &method)
{
    return QString::fromLatin1(method.left(1) + method.mid(1).toLower());
}

QString escapedUname(const TransformJob &job)
{
    // The whole uname travels as one path segment: '/' -> %2F, '#' -> %23, '@' kept.
    return QString::fromLatin1(QUrl::toPercentEncoding(
        QString::fromUtf8(Cluster::objectUname(job.bucket, job.object)), "@"));
}

} // namespace

Communicator::Communicator(EtlManager *manager, QObject *parent)
    : QObject(parent)
    , m_manager(manager)
    , m_http(new Http::HttpClient(this))
    , m_ws(new WsCommunicator(this))
    , m_pipeline(new Pipeline(manager, this, this))
{ }

bool Communicator::fqnMode(const InitMsg &msg)
{
    bool fqn = msg.argType == ArgType::Fqn;
    for (const EnvVar &v : msg.allEnv())
        fqn = fqn || (v.name == "ETL_DIRECT_FQN" && v.value.toLower() == "true");
    return fqn;
}

void Communicator::account(const QString &etl, qint64 in, qint64 out, bool ok)
{
    if (EtlEntry *e = m_manager->find(etl); e && ok) {
        ++e->objCount;
        e->inBytes += in;
        e->outBytes += out;
    }
}

void Communicator::recordError(const TransformJob &job, const QString &message, int status)
{
    if (!job.inlineRequest)
        return; // the job keeps its own errors
    if (EtlEntry *e = m_manager->find(job.etlName))
        e->addError(ObjError{Api::objectCname(job.bucket, job.object), message, status});
}

QUrl Communicator::pullUrl(const TransformJob &job) const
{
    EtlEntry *entry = m_manager->find(job.etlName);
    if (!entry || !entry->instance)
        return {};
    QUrl url = entry->instance->endpoint();
    url.setPath('/' + escapedUname(job), QUrl::StrictMode);
    QUrlQuery q;
    if (!job.etlArgs.isEmpty())
        q.addQueryItem("etl_args", QString::fromLatin1(QUrl::toPercentEncoding(job.etlArgs)));
    url.setQuery(q);
    return url;
}

void Communicator::transform(const TransformJob &job, QObject *context, Done done)
{
    if (!job.pipeline.isEmpty())
        return m_pipeline->transform(job, context, std::move(done));
    EtlEntry *entry = m_manager->find(job.etlName);
    if (!entry || !entry->isRunning())
        return done(nullptr, 404,
                    makeError(ErrorCode::NotFound,
                              QStringLiteral("%1 does not exist - try starting new ETL with "
                                             "\"/v1/etl/init\" endpoint")
                                  .arg(job.etlName)));
    Runtime::Instance *instance = entry->instance;
    if (instance->phase() != QStringLiteral("Running")) {
        // Restarted with its target and not ready yet: clients retry a 503.
        return done(nullptr, 503,
                    makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is starting on this target; try again shortly")
                                  .arg(job.etlName)));
    }
    switch (entry->record.msg.comm) {
    case CommType::Io:
        return transformIo(job, instance, context, std::move(done));
    case CommType::Ws:
        return m_ws->transform(job, *entry, context, std::move(done));
    case CommType::Hpull:
    case CommType::Hrev:
        if (job.pushBody)
            return transformHttp(job, instance, CommType::Hpush, false, context, std::move(done));
        return transformHttp(job, instance, CommType::Hrev, false, context, std::move(done));
    case CommType::Hpush:
        return transformHttp(job, instance, CommType::Hpush, m_postOnly.contains(job.etlName),
                             context, std::move(done));
    }
}

void Communicator::transformHttp(const TransformJob &job, Runtime::Instance *instance,
                                 CommType comm, bool usePost, QObject *context, Done done,
                                 int replay)
{
    EtlEntry *entry = m_manager->find(job.etlName);
    if (!entry || !entry->isRunning() || entry->instance != instance) {
        // A second try (POST fallback, retry) after the ETL was stopped, deleted or aborted
        // (its instance died) meanwhile: instance may be gone, so it is only compared.
        const QString why = entry && !entry->error.isEmpty()
            ? QStringLiteral(": %1").arg(entry->error)
            : QString();
        const Error error
            = makeError(ErrorCode::Aborted,
                        QStringLiteral("ETL %1 stopped while the object was in flight%2")
                            .arg(job.etlName, why));
        recordError(job, error.message, NoAnswerStatus);
        return done(nullptr, NoAnswerStatus, error);
    }
    const InitMsg &msg = entry->record.msg;
    QUrl url = instance->endpoint();
    QUrlQuery query;
    if (!job.etlArgs.isEmpty())
        query.addQueryItem("etl_args", QString::fromLatin1(QUrl::toPercentEncoding(job.etlArgs)));
    // FQN mode: the instance shares this machine's disk, so a path replaces the bytes.
    const bool fqnMode = Communicator::fqnMode(msg);

    Http::ClientRequest request;
    if (comm == CommType::Hpush) {
        request.method = usePost ? "POST" : "PUT";
        url.setPath('/' + job.bucket + '/' + job.object);
        if (fqnMode)
            query.addQueryItem("etl_fqn", QString::fromLatin1(QUrl::toPercentEncoding(job.fqn)));
        url.setQuery(query);
        request.headers.append(
            qMakePair(QByteArray("Content-Type"), QByteArray("application/octet-stream")));
        if (!fqnMode) {
            auto file = std::make_unique<QFile>(job.fqn);
            if (!file->open(QIODevice::ReadOnly))
                return done(nullptr, 404,
                            makeError(ErrorCode::NotFound, QStringLiteral("object not found")));
            if (job.size <= SmallObject) {
                // Small objects go out with the request head in one write.
                request.body = file->readAll();
            } else {
                request.bodyDevice = std::move(file);
                request.bodySize = job.size;
            }
        }
    } else {
        url.setPath('/' + escapedUname(job), QUrl::StrictMode);
        if (fqnMode)
            query.addQueryItem("etl_fqn", QString::fromLatin1(QUrl::toPercentEncoding(job.fqn)));
        url.setQuery(query);
    }
    request.url = url;
    // As Go's client names a request in its errors, AIS's errors for a failed one.
    const QString what = QStringLiteral("%1 \"%2\"").arg(goMethod(request.method), url.toString());
    Http::ClientCall *call = m_http->send(std::move(request), this);

    struct State
    {
        bool answered = false;
        QByteArray errorBody;
        QTimer timer;
    };
    auto state = std::make_shared<State>();
    state->timer.setSingleShot(true);
    state->timer.setInterval(
        int(std::min<qint64>(job.effectiveTimeout(msg.objTimeout).count(), INT_MAX)));
    QPointer<QObject> ctx(context);
    const QString etl = job.etlName;
    const qint64 inBytes = job.size;
    const std::chrono::milliseconds timeout = job.effectiveTimeout(msg.objTimeout);

    // Ends the exchange without an answer for the client; the call is done with.
    auto drop = [state, call] {
        state->answered = true;
        state->timer.stop();
        call->abort();
        call->deleteLater();
    };
    auto fail = [this, job, state, done, ctx, drop](int status, const Error &error) {
        if (state->answered)
            return;
        drop();
        recordError(job, error.message, status);
        if (ctx)
            done(nullptr, status, error);
    };
    // AIS's client gives up on an object at obj_timeout and does not try it again.
    connect(&state->timer, &QTimer::timeout, call, [fail, etl, timeout, what] {
        fail(NoAnswerStatus,
             makeError(ErrorCode::Timeout,
                       QStringLiteral("ETL %1: %2: context deadline exceeded (Client.Timeout "
                                      "exceeded while awaiting headers): no answer within "
                                      "obj_timeout %3")
                           .arg(etl, what, formatDuration(timeout))));
    });
    state->timer.start();

    connect(call, &Http::ClientCall::headersArrived, this,
            [this, call, state, done, ctx, etl, inBytes, job, comm, usePost, instance, timeout,
             context, replay, drop] {
                if (state->answered)
                    return;
                const int status = call->status();
                if (comm == CommType::Hpush && !usePost && (status == 501 || status == 405)) {
                    // A seed-era server (python http.server with do_POST only): ask again with
                    // POST.
                    drop();
                    m_postOnly.insert(etl);
                    Log::etl().info("etl[{}] refuses PUT ({}); using POST from now on", etl,
                                    status);
                    if (ctx)
                        transformHttp(job, instance, comm, true, context, done, replay);
                    return;
                }
                if (comm == CommType::Hpush && !usePost)
                    m_putWorks.insert(etl); // a server that answers PUT, whatever it says
                if (status >= 400 || status == 204)
                    return; // an error body to collect, or nothing: see finished
                if (comm == CommType::Hpush && (status == 503))
                    return;
                if (comm == CommType::Hpush && usePost)
                    m_postOnly.insert(etl); // POST works where PUT did not: keep to it
                state->answered = true;
                QPointer<Communicator> self(this);
                auto source = std::make_unique<CallBodySource>(
                    call, call->contentLength(), [self, etl, inBytes, state](qint64 out, bool ok) {
                        state->timer.stop();
                        if (self)
                            self->account(etl, inBytes, out, ok);
                    });
                // The timeout covers the whole exchange (as AIS's client timeout does).
                CallBodySource *raw = source.get();
                connect(&state->timer, &QTimer::timeout, raw, [raw, etl, timeout] {
                    raw->fail(QStringLiteral("ETL %1: object timeout (%2) while streaming")
                                  .arg(etl, formatDuration(timeout)));
                });
                if (ctx)
                    done(std::move(source), 200, {});
            });
    connect(call, &Http::ClientCall::readyRead, this, [call, state] {
        if (!state->answered && state->errorBody.size() < MaxErrorBody)
            state->errorBody += call->read(MaxErrorBody - state->errorBody.size());
        else if (!state->answered)
            call->read(call->bytesAvailable()); // past the cap: drop, keep the exchange moving
    });
    connect(call, &Http::ClientCall::finished, this,
            [this, call, state, fail, done, ctx, etl, inBytes, comm, usePost, job, instance,
             context, replay, drop, what] {
                if (state->answered)
                    return;
                const int status = call->status();
                if (!call->error().isEmpty() && status == 0) {
                    const bool refused = call->connectionRefused();
                    const QString why = call->error();
                    drop();
                    if (ctx)
                        noAnswer(job, instance, comm, usePost, context, done, replay,
                                 {refused, QStringLiteral("%1: %2").arg(what, why)});
                    return;
                }
                if (status == 204) {
                    // Delivered elsewhere by direct put: nothing to stream.
                    state->answered = true;
                    state->timer.stop();
                    account(etl, inBytes, 0, true);
                    auto empty = std::make_unique<CallBodySource>(call, 0, nullptr);
                    if (ctx)
                        done(std::move(empty), 200, {});
                    return;
                }
                const bool transient = comm == CommType::Hpush && status == 503
                    && call->header("ais-etl-retry-reason").trimmed() == DirectPutTransient;
                if (transient && replay < SoftRetries) {
                    // The instance could not pass the object on and cannot replay our body.
                    drop();
                    return retryLater(job, instance, comm, usePost, ctx, done, replay);
                }
                if (state->errorBody.size() < MaxErrorBody)
                    state->errorBody += call->read(MaxErrorBody - state->errorBody.size());
                QString message = QStringLiteral("ETL error: %1")
                                      .arg(QString::fromUtf8(state->errorBody).trimmed());
                if (transient)
                    message += QStringLiteral(" (503 %1 on every one of %2 tries)")
                                   .arg(QLatin1String(DirectPutTransient))
                                   .arg(replay + 1);
                fail(status,
                     makeError(status == 404 ? ErrorCode::NotFound : ErrorCode::InvalidArgument,
                               message));
            });
}

void Communicator::noAnswer(const TransformJob &job, Runtime::Instance *instance, CommType comm,
                            bool usePost, QObject *context, Done done, int replay,
                            const NoAnswer &failure)
{
    EtlEntry *entry = m_manager->find(job.etlName);
    const bool alive = entry && entry->isRunning() && entry->instance == instance
        && instance->phase() == QStringLiteral("Running");
    if (alive && comm == CommType::Hpush && !usePost && !m_putWorks.contains(job.etlName)) {
        // A seed-era server that only does POST may hang up on a PUT without an answer: ask
        // once more with POST (never for a server that has answered a PUT before).
        Log::etl().debug("etl[{}] PUT failed without an answer ({}); trying POST", job.etlName,
                         failure.why);
        return transformHttp(job, instance, comm, true, context, std::move(done), replay);
    }
    if (alive && failure.refused && replay < SoftRetries)
        return retryLater(job, instance, comm, usePost, context, std::move(done), replay);
    // A server that hung up, or refuses past AIS's budget, or has died: the client learns it now
    // (AIS: a hard error ends the tries at once), with why the instance died when it did.
    QString message = QStringLiteral("ETL %1: %2").arg(job.etlName, failure.why);
    if (entry && !entry->error.isEmpty() && !alive)
        message += QStringLiteral("; %1").arg(entry->error);
    const Error error = makeError(ErrorCode::Unavailable, message);
    recordError(job, error.message, NoAnswerStatus);
    done(nullptr, NoAnswerStatus, error);
}

void Communicator::retryLater(const TransformJob &job, Runtime::Instance *instance, CommType comm,
                              bool usePost, QObject *context, Done done, int replay)
{
    const int delay = retryDelayMs(replay);
    Log::etl().debug("etl[{}] {}/{}: a soft error (direct put failed transiently, or the "
                     "connection was refused); trying again in {} ms ({} of {})",
                     job.etlName, job.bucket, job.object, delay, replay + 1, SoftRetries);
    QPointer<QObject> ctx(context);
    QPointer<Runtime::Instance> same(instance);
    QTimer::singleShot(delay, this, [this, job, same, comm, usePost, ctx, done, replay] {
        if (!ctx)
            return;
        // transformHttp checks that the ETL still runs on this very instance.
        transformHttp(job, same, comm, usePost, ctx, done, replay + 1);
    });
}

void Communicator::transformIo(const TransformJob &job, Runtime::Instance *instance,
                               QObject *context, Done done)
{
    const auto command = instance->ioCommand();
    if (!command)
        return done(nullptr, 503,
                    makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is not ready").arg(job.etlName)));
    EtlEntry *entry = m_manager->find(job.etlName);
    const std::chrono::milliseconds timeout = job.effectiveTimeout(entry->record.msg.objTimeout);
    auto file = std::make_shared<QFile>(job.fqn);
    if (!file->open(QIODevice::ReadOnly))
        return done(nullptr, 404,
                    makeError(ErrorCode::NotFound, QStringLiteral("object not found")));

    // stdout goes to a socket pair instead of QProcess's pipe: QProcess reads a pipe as fast as
    // the program writes, whatever the client takes, but a socket's read buffer can be capped,
    // so a program faster than its client waits instead of growing the target.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return done(nullptr, 500,
                    makeError(ErrorCode::Internal,
                              QStringLiteral("ETL %1: cannot make a socket pair: %2")
                                  .arg(job.etlName, QString::fromLocal8Bit(::strerror(errno)))));

    // One process per object: the seeds' io:// programs read stdin to the end and exit, so
    // nothing can be reused between objects.
    auto *process = new QProcess(this);
    QProcessEnvironment env = command->environment;
    if (!job.etlArgs.isEmpty())
        env.insert("ETL_ARGS", job.etlArgs);
    process->setProcessEnvironment(env);
    process->setWorkingDirectory(command->workDir);
    process->setStandardOutputFile(QProcess::nullDevice());
    const int childOut = pair[1];
    process->setChildProcessModifier([childOut] {
        ::setpgid(0, 0);
        ::dup2(childOut, STDOUT_FILENO); // the copy on fd 1 survives exec, the pair's ends do not
    });
    auto *out = new QLocalSocket(process);
    out->setSocketDescriptor(pair[0], QLocalSocket::ConnectedState, QIODevice::ReadOnly);
    out->setReadBufferSize(IoReadBuffer);

    struct State
    {
        bool answered = false;
        QByteArray stderrTail;
        QTimer timer;
    };
    auto state = std::make_shared<State>();
    QPointer<QObject> ctx(context);
    const QString etl = job.etlName;
    const qint64 inBytes = job.size;
    auto fail = [this, job, state, done, ctx, process](int status, const Error &error) {
        if (std::exchange(state->answered, true))
            return;
        state->timer.stop();
        recordError(job, error.message, status);
        if (process->state() != QProcess::NotRunning)
            ::kill(-pid_t(process->processId()), SIGKILL);
        if (ctx)
            done(nullptr, status, error);
    };
    state->timer.setSingleShot(true);
    state->timer.setInterval(int(std::min<qint64>(timeout.count(), INT_MAX)));
    connect(&state->timer, &QTimer::timeout, process, [fail, etl, timeout] {
        fail(NoAnswerStatus,
             makeError(ErrorCode::Timeout,
                       QStringLiteral("ETL %1: the io:// process did not finish "
                                      "within obj_timeout %2")
                           .arg(etl, formatDuration(timeout))));
    });
    connect(process, &QProcess::readyReadStandardError, process, [process, state] {
        state->stderrTail += process->readAllStandardError();
        if (state->stderrTail.size() > 8192)
            state->stderrTail.remove(0, state->stderrTail.size() - 8192);
    });
    // Feed stdin in chunks as the pipe drains, so a large object never sits in memory.
    auto feed = [process, file] {
        while (process->bytesToWrite() < 1024 * 1024 && !file->atEnd()) {
            const QByteArray chunk = file->read(256 * 1024);
            if (chunk.isEmpty())
                break;
            process->write(chunk);
        }
        if (file->atEnd() && process->bytesToWrite() == 0 && file->isOpen()) {
            file->close();
            process->closeWriteChannel();
        }
    };
    connect(process, &QProcess::bytesWritten, process, feed);
    connect(process, &QProcess::started, process, feed);
    auto startStream = [this, process, out, state, done, ctx, etl, inBytes] {
        if (std::exchange(state->answered, true))
            return;
        QPointer<Communicator> self(this);
        out->disconnect(out, &QLocalSocket::readyRead, nullptr, nullptr);
        auto source = std::make_unique<ProcessBodySource>(
            process, out, [self, etl, inBytes, state](qint64 out, bool ok) {
                state->timer.stop();
                if (self)
                    self->account(etl, inBytes, out, ok);
            });
        ProcessBodySource *raw = source.get();
        connect(&state->timer, &QTimer::timeout, raw,
                [raw] { raw->fail("object timeout while streaming"); });
        if (ctx)
            done(std::move(source), 200, {});
    };
    connect(out, &QLocalSocket::readyRead, process, startStream);
    connect(process, &QProcess::finished, process,
            [this, process, state, fail, startStream, etl](int code, QProcess::ExitStatus status) {
                if (state->answered) {
                    if (process->parent() == this) // failed before streaming (timeout)
                        process->deleteLater();
                    return;
                }
                if (status == QProcess::NormalExit && code == 0)
                    return startStream(); // the output (maybe empty) is still to be read
                fail(500,
                     makeError(ErrorCode::InvalidArgument,
                               QStringLiteral("ETL error: the io:// process exited with status "
                                              "%1: %2")
                                   .arg(code)
                                   .arg(QString::fromUtf8(state->stderrTail).trimmed())));
                process->deleteLater();
            });
    connect(process, &QProcess::errorOccurred, process,
            [process, fail, etl](QProcess::ProcessError e) {
                if (e == QProcess::FailedToStart) {
                    fail(500,
                         makeError(ErrorCode::Internal,
                                   QStringLiteral("ETL %1: cannot start the io:// "
                                                  "process: %2")
                                       .arg(etl, process->errorString())));
                    process->deleteLater();
                }
            });
    state->timer.start();
    process->start(command->program, command->arguments);
    ::close(pair[1]); // the child has its copy; the end of its output is the end of the stream
}

} // namespace Kiln::Etl
