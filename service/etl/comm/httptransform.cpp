#include "service/etl/comm/httptransform.h"

#include "service/etl/comm/instanceurl.h"
#include "service/etl/etlmanager.h"
#include "service/etl/transformsources.h"
#include "service/runtime/instance.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"

#include <QFile>

#include <algorithm>
#include <climits>

namespace Kiln::Etl {
namespace {

constexpr qint64 MaxErrorBody = 64 * 1024;
// Sent from memory with the request head in one write; larger ones go from the file by
// sendfile(2) (HttpClient), which neither reads them into memory nor copies them into a buffer.
constexpr qint64 SmallObject = 64 * 1024;
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

int retryDelayMs(int retry)
{
    return std::min(FirstRetryDelayMs + retry * RetryDelayStepMs, MaxRetryDelayMs);
}

// Go's spelling of the method in its client errors ("Put", "Get").
QString goMethod(const QByteArray &method)
{
    return QString::fromLatin1(method.left(1) + method.mid(1).toLower());
}

} // namespace

HttpTransform::HttpTransform(Setup setup, const CommDeps &deps, PutSupport *put, QObject *context,
                             Communicator::Done done, QObject *parent)
    : QObject(parent)
    , m_setup(std::move(setup))
    , m_deps(deps)
    , m_put(put)
    , m_context(context)
    , m_done(std::move(done))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(int(std::min<qint64>(m_setup.timeout.count(), INT_MAX)));
    connect(&m_timer, &QTimer::timeout, this, &HttpTransform::onTimeout);
}

void HttpTransform::start()
{
    const TransformJob &job = m_setup.job;
    if (!instanceAlive()) {
        // A second try (POST fallback, retry) after the ETL was stopped, deleted or aborted
        // (its instance died) meanwhile: the instance may be gone, so it is only compared.
        const EtlEntry *entry = m_deps.manager->find(job.etlName);
        const QString why = entry && !entry->error.isEmpty()
            ? QStringLiteral(": %1").arg(entry->error)
            : QString();
        return fail(makeError(ErrorCode::EtlNoAnswer,
                              QStringLiteral("ETL %1 stopped while the object was in flight%2")
                                  .arg(job.etlName, why)));
    }
    Result<Http::ClientRequest> built = request();
    if (!built)
        return fail(built.error(), false);
    m_what = QStringLiteral("%1 \"%2\"").arg(goMethod(built->method), built->url.toString());
    m_answered = false;
    m_errorBody.clear();
    m_call = m_deps.http->send(std::move(built).value(), this);
    connect(m_call, &Http::ClientCall::headersArrived, this, &HttpTransform::onHeaders);
    connect(m_call, &Http::ClientCall::readyRead, this, &HttpTransform::onReadyRead);
    connect(m_call, &Http::ClientCall::finished, this, &HttpTransform::onFinished);
    m_timer.start();
}

bool HttpTransform::instanceAlive() const
{
    const EtlEntry *entry = m_deps.manager->find(m_setup.job.etlName);
    return entry && entry->isRunning() && m_setup.instance && entry->instance == m_setup.instance;
}

Result<Http::ClientRequest> HttpTransform::request() const
{
    const TransformJob &job = m_setup.job;
    Http::ClientRequest request;
    const QUrl base = m_setup.instance->endpoint();
    if (!m_setup.push) {
        request.url = revUrl(base, job, m_setup.fqn);
        return request;
    }
    request.method = m_setup.usePost ? "POST" : "PUT";
    request.url = pushUrl(base, job, m_setup.fqn);
    request.headers.append(
        qMakePair(QByteArray("Content-Type"), QByteArray("application/octet-stream")));
    if (m_setup.fqn)
        return request; // FQN mode: the instance shares this machine's disk
    auto file = std::make_unique<QFile>(job.fqn);
    if (!file->open(QIODevice::ReadOnly))
        return makeError(ErrorCode::NotFound, QStringLiteral("object not found"));
    if (job.size <= SmallObject) {
        request.body = file->readAll(); // small objects go out with the request head in one write
    } else {
        request.bodyDevice = std::move(file);
        request.bodySize = job.size;
    }
    return request;
}

void HttpTransform::onHeaders()
{
    if (m_answered)
        return;
    const int status = m_call->status();
    const QString &etl = m_setup.job.etlName;
    const bool triedPut = m_setup.push && !m_setup.usePost;
    if (triedPut && (status == 501 || status == 405)) {
        // A seed-era server (python http.server with do_POST only): ask again with POST.
        dropCall();
        m_put->postOnly.insert(etl);
        Log::etl().info("etl[{}] refuses PUT ({}); using POST from now on", etl, status);
        m_setup.usePost = true;
        return m_context ? start() : deleteLater();
    }
    if (triedPut)
        m_put->putWorks.insert(etl); // a server that answers PUT, whatever it says
    if (status >= 400 || status == 204 || (m_setup.push && status == 503))
        return; // an error body to collect, or nothing: see onFinished
    if (m_setup.push && m_setup.usePost)
        m_put->postOnly.insert(etl); // POST works where PUT did not: keep to it
    m_answered = true;
    succeed(m_call->contentLength(), true);
}

void HttpTransform::onReadyRead()
{
    if (m_answered)
        return;
    if (m_errorBody.size() < MaxErrorBody)
        m_errorBody += m_call->read(MaxErrorBody - m_errorBody.size());
    else
        m_call->read(m_call->bytesAvailable()); // past the cap: drop, keep the exchange moving
}

void HttpTransform::onFinished()
{
    if (m_answered)
        return;
    const int status = m_call->status();
    if (!m_call->error().isEmpty() && status == 0) {
        const bool refused = m_call->connectionRefused();
        const QString why = QStringLiteral("%1: %2").arg(m_what, m_call->error());
        dropCall();
        return m_context ? noAnswer(refused, why) : deleteLater();
    }
    if (status == 204) {
        // Delivered elsewhere by direct put: nothing to stream.
        m_answered = true;
        m_timer.stop();
        m_deps.comm->account(m_setup.job.etlName, m_setup.job.size, 0, true);
        return succeed(0, false);
    }
    const bool transient = m_setup.push && status == 503
        && m_call->header("ais-etl-retry-reason").trimmed() == DirectPutTransient;
    if (transient && m_replay < SoftRetries) {
        // The instance could not pass the object on and cannot replay our body.
        dropCall();
        return retryLater();
    }
    onReadyRead();
    QString message = QStringLiteral("ETL error: %1").arg(QString::fromUtf8(m_errorBody).trimmed());
    if (transient)
        message += QStringLiteral(" (503 %1 on every one of %2 tries)")
                       .arg(QLatin1String(DirectPutTransient))
                       .arg(m_replay + 1);
    fail(makeEtlStatusError(status, message));
}

void HttpTransform::onTimeout()
{
    const QString &etl = m_setup.job.etlName;
    const QString timeout = formatDuration(m_setup.timeout);
    if (m_body) {
        // The timeout covers the whole exchange (as AIS's client timeout does).
        m_body->fail(
            QStringLiteral("ETL %1: object timeout (%2) while streaming").arg(etl, timeout));
        return;
    }
    if (m_answered)
        return;
    // AIS's client gives up on an object at obj_timeout and does not try it again.
    fail(makeError(ErrorCode::EtlTimeout,
                   QStringLiteral("ETL %1: %2: context deadline exceeded (Client.Timeout "
                                  "exceeded while awaiting headers): no answer within "
                                  "obj_timeout %3")
                       .arg(etl, m_what, timeout)));
}

void HttpTransform::noAnswer(bool refused, const QString &why)
{
    const TransformJob &job = m_setup.job;
    const bool alive = instanceAlive() && m_setup.instance->phase() == QStringLiteral("Running");
    if (alive && m_setup.push && !m_setup.usePost && !m_put->putWorks.contains(job.etlName)) {
        // A seed-era server that only does POST may hang up on a PUT without an answer: ask
        // once more with POST (never for a server that has answered a PUT before).
        Log::etl().debug("etl[{}] PUT failed without an answer ({}); trying POST", job.etlName,
                         why);
        m_setup.usePost = true;
        return start();
    }
    if (alive && refused && m_replay < SoftRetries)
        return retryLater();
    // A server that hung up, or refuses past AIS's budget, or has died: the client learns it now
    // (AIS: a hard error ends the tries at once), with why the instance died when it did.
    QString message = QStringLiteral("ETL %1: %2").arg(job.etlName, why);
    const EtlEntry *entry = m_deps.manager->find(job.etlName);
    if (entry && !entry->error.isEmpty() && !alive)
        message += QStringLiteral("; %1").arg(entry->error);
    fail(makeError(ErrorCode::EtlNoAnswer, message));
}

void HttpTransform::retryLater()
{
    const TransformJob &job = m_setup.job;
    const int delay = retryDelayMs(m_replay);
    Log::etl().debug("etl[{}] {}/{}: a soft error (direct put failed transiently, or the "
                     "connection was refused); trying again in {} ms ({} of {})",
                     job.etlName, job.bucket, job.object, delay, m_replay + 1, SoftRetries);
    ++m_replay;
    QTimer::singleShot(delay, this, [this] {
        if (!m_context)
            return deleteLater();
        start(); // checks that the ETL still runs on this very instance
    });
}

void HttpTransform::dropCall()
{
    // Ends the try without an answer for the client; the call is done with.
    m_answered = true;
    m_timer.stop();
    m_call->disconnect(this);
    m_call->abort();
    m_call->deleteLater();
    m_call = nullptr;
}

void HttpTransform::succeed(qint64 size, bool counted)
{
    std::function<void(qint64, bool)> finished;
    if (counted) {
        // Counted once the client has it all; the timer stops with the stream.
        QPointer<Communicator> comm(m_deps.comm);
        QPointer<HttpTransform> self(this);
        finished
            = [comm, self, etl = m_setup.job.etlName, in = m_setup.job.size](qint64 out, bool ok) {
                  if (self)
                      self->m_timer.stop();
                  if (comm)
                      comm->account(etl, in, out, ok);
              };
    }
    auto body = std::make_unique<CallBodySource>(std::exchange(m_call, nullptr), size,
                                                 std::move(finished));
    if (!m_context) {
        body.reset(); // ends the call
        return deleteLater();
    }
    m_body = body.get();
    setParent(body.get());
    m_done(std::unique_ptr<Http::BodySource>(std::move(body)));
}

void HttpTransform::fail(const Error &error, bool record)
{
    if (m_call)
        dropCall();
    m_answered = true;
    m_timer.stop();
    if (record)
        m_deps.comm->recordError(m_setup.job, error);
    if (m_context)
        m_done(error);
    deleteLater();
}

} // namespace Kiln::Etl
