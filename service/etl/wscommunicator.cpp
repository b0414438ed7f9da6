#include "service/etl/wscommunicator.h"

#include "service/etl/etlmanager.h"
#include "service/etl/wscommunicator_p.h"
#include "service/runtime/instance.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"
#include "shared/core/result.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkProxy>
#include <QThreadPool>
#include <QWebSocket>
#include <QtConcurrent>

#include <algorithm>
#include <climits>

namespace Kiln::Etl {
namespace {

// Connections per ETL per target. AIS opens bundle_multiplier connections for the inline
// session; four let a target transform four objects of one ETL at once.
constexpr int PoolSize = 4;
// Objects waiting for a free connection; past that the target answers 503 and clients retry.
constexpr qsizetype MaxQueued = 1024;
// AIS reads messages of up to 16 GiB. QWebSocket caps a message (and a frame) at INT_MAX - 1
// bytes and ignores a larger limit, so the smaller of the two is the bound, in both directions.
constexpr quint64 AisReadLimit = quint64(16) << 30;

quint64 maxMessageSize()
{
    return std::min(AisReadLimit, QWebSocket::maxIncomingMessageSize());
}

QUrl wsUrl(QUrl endpoint)
{
    endpoint.setScheme(QStringLiteral("ws"));
    endpoint.setPath(QStringLiteral("/ws"));
    endpoint.setQuery(QString());
    return endpoint;
}

// Runs on the readers pool: the whole object, as one websocket message needs it.
Result<QByteArray> readObject(const QString &path, qint64 size)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::NotFound, QStringLiteral("object not found"));
    QByteArray data = file.read(size);
    if (data.size() != size) {
        return makeError(ErrorCode::Internal,
                         QStringLiteral("reading the object: got %1 of %2 bytes %3")
                             .arg(data.size())
                             .arg(size)
                             .arg(file.errorString()));
    }
    return data;
}

QString describeClose(const QWebSocket *socket)
{
    if (socket->closeCode() != QWebSocketProtocol::CloseCodeNormal
        || !socket->closeReason().isEmpty())
        return QStringLiteral("closed with code %1 %2")
            .arg(int(socket->closeCode()))
            .arg(socket->closeReason())
            .trimmed();
    return QStringLiteral("closed by the instance");
}

} // namespace

// --- WsCommunicator ------------------------------------------------------------------------

WsCommunicator::WsCommunicator(Communicator *communicator)
    : QObject(communicator)
    , m_comm(communicator)
{
    m_readers.setObjectName(QStringLiteral("kiln-etl-ws-readers"));
    m_readers.setMaxThreadCount(2);
}

WsCommunicator::~WsCommunicator() = default;

void WsCommunicator::transform(const TransformJob &job, const EtlEntry &entry, QObject *context,
                               Communicator::Done done)
{
    if (quint64(job.size) > maxMessageSize()) {
        const Error error = makeError(
            ErrorCode::TooLarge,
            QStringLiteral("ETL %1: the object has %2 bytes, more than a ws:// message may carry "
                           "(%3); use hpush:// for it")
                .arg(job.etlName)
                .arg(job.size)
                .arg(maxMessageSize()));
        m_comm->recordError(job, error.message, 413);
        return done(nullptr, 413, error);
    }
    WsPool *pool = m_pools.value(job.etlName);
    if (pool && !pool->serves(entry)) {
        // A new run or a restarted instance: the old sockets lead nowhere useful.
        pool->shutdown(QStringLiteral("the ETL's instance was replaced"));
        pool = nullptr;
    }
    if (!pool) {
        pool = new WsPool(m_comm, &m_readers, entry, this);
        connect(pool, &WsPool::closed, this, [this, pool] { forget(pool); });
        m_pools.insert(job.etlName, pool);
    }
    auto request = std::make_shared<WsRequest>();
    request->job = job;
    request->context = context;
    request->done = std::move(done);
    pool->submit(std::move(request));
}

int WsCommunicator::connectionCount(const QString &etl) const
{
    const WsPool *pool = m_pools.value(etl);
    return pool ? pool->connectionCount() : 0;
}

void WsCommunicator::forget(WsPool *pool)
{
    for (auto it = m_pools.begin(); it != m_pools.end(); ++it) {
        if (it.value() == pool) {
            m_pools.erase(it);
            break;
        }
    }
    pool->deleteLater();
}

// --- WsPool ----------------------------------------------------------------------------------

WsPool::WsPool(Communicator *comm, QThreadPool *readers, const EtlEntry &entry, QObject *parent)
    : QObject(parent)
    , m_comm(comm)
    , m_readers(readers)
    , m_etl(entry.record.msg.name)
    , m_xid(entry.record.xid)
    , m_instance(entry.instance)
    , m_url(wsUrl(entry.instance->endpoint()))
    , m_objTimeout(entry.record.msg.objTimeout)
    , m_fqnMode(Communicator::fqnMode(entry.record.msg))
{
    Runtime::Instance *instance = entry.instance;
    connect(instance, &Runtime::Instance::exited, this,
            [this] { shutdown(QStringLiteral("its instance exited")); });
    connect(instance, &Runtime::Instance::stopped, this,
            [this] { shutdown(QStringLiteral("its instance stopped")); });
    connect(instance, &QObject::destroyed, this,
            [this] { shutdown(QStringLiteral("its instance is gone")); });
    Log::etl().info("etl[{}] ws:// pool to {} (up to {} connections{})", m_etl, m_url.toString(),
                    PoolSize, m_fqnMode ? ", fqn" : "");
}

WsPool::~WsPool()
{
    // Nobody is answered from here: the owner is going away, and so are the callers' contexts.
    for (const auto &c : m_connections) {
        QObject::disconnect(c->socket, nullptr, this, nullptr);
        c->socket->abort();
    }
}

bool WsPool::serves(const EtlEntry &entry) const
{
    return !m_closed && m_instance && m_instance == entry.instance && m_xid == entry.record.xid;
}

void WsPool::submit(WsRequestPtr request)
{
    if (m_closed) {
        return fail(request, 503,
                    makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is restarting here; try again").arg(m_etl)),
                    false);
    }
    if (m_queue.size() >= MaxQueued) {
        // Overload, not a failed transform: not kept in the ETL's errors.
        return fail(request, 503,
                    makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1: %2 objects already wait for a ws:// "
                                             "connection; try again shortly")
                                  .arg(m_etl)
                                  .arg(m_queue.size())),
                    false);
    }
    request->deadline.setSingleShot(true);
    request->deadline.setInterval(
        int(std::min<qint64>(request->job.effectiveTimeout(m_objTimeout).count(), INT_MAX)));
    // Weak: the timer lives in the request, which must not keep itself alive.
    connect(&request->deadline, &QTimer::timeout, this,
            [this, weak = std::weak_ptr<WsRequest>(request)] {
                if (WsRequestPtr r = weak.lock())
                    onDeadline(r);
            });
    request->deadline.start();
    m_queue.enqueue(std::move(request));
    dispatch();
}

void WsPool::dispatch()
{
    // Socket calls below can fail synchronously and land back here: the outer loop sees it all.
    if (m_dispatching)
        return;
    m_dispatching = true;
    while (!m_closed && !m_queue.isEmpty()) {
        WsRequestPtr request = m_queue.head();
        if (!request->context) { // nobody to answer: skip the work
            m_queue.dequeue();
            request->answered = true;
            request->deadline.stop();
            continue;
        }
        auto idle = std::find_if(m_connections.begin(), m_connections.end(),
                                 [](const auto &c) { return c->open && !c->current; });
        if (idle != m_connections.end()) {
            start(idle->get(), m_queue.dequeue());
            continue;
        }
        if (int(m_connections.size()) >= PoolSize)
            break; // all busy: the object waits for the first free one
        // A new connection carries the object that needed it; if it cannot open, that object
        // gets the 502 and the next one tries again.
        Connection *c = openConnection();
        const quint64 id = c->id;
        QWebSocket *socket = c->socket;
        start(c, m_queue.dequeue());
        if (find(id))
            socket->open(m_url);
    }
    m_dispatching = false;
}

WsPool::Connection *WsPool::openConnection()
{
    auto c = std::make_unique<Connection>();
    c->id = m_nextId++;
    auto *socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    c->socket = socket;
    socket->setProxy(QNetworkProxy::NoProxy); // the instance runs beside this target
    socket->setMaxAllowedIncomingMessageSize(maxMessageSize());
    socket->setMaxAllowedIncomingFrameSize(
        std::min(AisReadLimit, QWebSocket::maxIncomingFrameSize()));
    const quint64 id = c->id;
    connect(socket, &QWebSocket::connected, this, [this, id] {
        Connection *c = find(id);
        if (!c)
            return;
        c->open = true;
        Log::etl().debug("etl[{}] ws:// connection {} open", m_etl, id);
        if (c->current)
            trySend(c);
        else
            dispatch();
    });
    connect(socket, &QWebSocket::binaryMessageReceived, this,
            [this, id](const QByteArray &message) { onReply(id, message, false); });
    connect(socket, &QWebSocket::textMessageReceived, this, [this, id](const QString &text) {
        // AIS: a text frame acknowledges an object delivered by direct put (whatever it says).
        Log::etl().debug("etl[{}] ws:// connection {}: text reply {}", m_etl, id, text.left(200));
        onReply(id, {}, true);
    });
    connect(socket, &QWebSocket::disconnected, this,
            [this, id, socket] { onBroken(id, describeClose(socket)); });
    connect(
        socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this,
        [this, id, socket](QAbstractSocket::SocketError) { onBroken(id, socket->errorString()); });
    m_connections.push_back(std::move(c));
    return m_connections.back().get();
}

void WsPool::start(Connection *c, WsRequestPtr request)
{
    c->current = request;
    c->sent = false;
    c->payload.clear();
    c->payloadReady = m_fqnMode;
    if (!m_fqnMode) {
        const quint64 id = c->id;
        QtConcurrent::run(m_readers, &readObject, request->job.fqn, request->job.size)
            .then(this, [this, id, request](Result<QByteArray> data) {
                Connection *c = find(id);
                if (!c || c->current != request)
                    return; // timed out or dropped while the file was read
                if (!data) {
                    // Nothing went out: the connection stays good for the next object.
                    c->current.reset();
                    const int status = data.error().code == ErrorCode::NotFound ? 404 : 500;
                    fail(request, status, data.error());
                    return dispatch();
                }
                c->payload = std::move(*data);
                c->payloadReady = true;
                trySend(c);
            });
    }
    trySend(c);
}

void WsPool::trySend(Connection *c)
{
    if (!c->open || !c->current || c->sent || !c->payloadReady)
        return;
    const TransformJob &job = c->current->job;
    // AIS control message; empty fields are left out.
    QJsonObject control;
    if (!job.etlArgs.isEmpty())
        control.insert(QStringLiteral("etl_args"), job.etlArgs);
    if (m_fqnMode)
        control.insert(QStringLiteral("fqn"),
                       QString::fromLatin1(QUrl::toPercentEncoding(job.fqn)));
    if (!job.object.isEmpty())
        control.insert(QStringLiteral("path"), job.object);
    c->sent = true;
    const quint64 id = c->id;
    QWebSocket *socket = c->socket;
    const QByteArray payload = std::exchange(c->payload, {});
    Log::etl().debug("etl[{}] ws:// connection {}: {}/{} ({} bytes{})", m_etl, id, job.bucket,
                     job.object, job.size, m_fqnMode ? ", fqn" : "");
    socket->sendBinaryMessage(QJsonDocument(control).toJson(QJsonDocument::Compact));
    // A failed write drops the connection at once (and answers the object with 502).
    if (!m_fqnMode && find(id))
        socket->sendBinaryMessage(payload);
}

void WsPool::onReply(quint64 id, QByteArray body, bool direct)
{
    Connection *c = find(id);
    if (!c)
        return;
    if (!c->current || !c->sent) {
        // Replies are matched by order alone: after a stray one, nothing on this connection can be.
        return onBroken(id, QStringLiteral("the instance sent a message that answers no object"));
    }
    WsRequestPtr request = std::exchange(c->current, nullptr);
    succeed(request, std::move(body), direct);
    dispatch();
}

void WsPool::onBroken(quint64 id, const QString &why)
{
    Connection *c = find(id);
    if (!c)
        return;
    const WsRequestPtr request = c->current;
    const bool wasOpen = c->open;
    drop(id);
    if (request) {
        const QString what = wasOpen ? QStringLiteral("the ws:// connection to %1 failed: %2")
                                     : QStringLiteral("cannot open a ws:// connection to %1: %2");
        Log::etl().warn("etl[{}] {}", m_etl, what.arg(m_url.toString(), why));
        fail(request, 502,
             makeError(ErrorCode::Unavailable,
                       QStringLiteral("ETL %1: %2").arg(m_etl, what.arg(m_url.toString(), why))));
    } else {
        Log::etl().debug("etl[{}] idle ws:// connection {} went away: {}", m_etl, id, why);
    }
    dispatch();
}

void WsPool::onDeadline(const WsRequestPtr &request)
{
    if (request->answered)
        return;
    const Error error
        = makeError(ErrorCode::Timeout,
                    QStringLiteral("ETL %1: the instance did not answer within the object "
                                   "timeout (%2)")
                        .arg(m_etl, formatDuration(m_objTimeout)));
    if (!m_queue.removeOne(request)) {
        // On the wire: a late reply could no longer be told from the next object's, so the
        // connection goes; the next object opens a new one.
        for (const auto &c : m_connections) {
            if (c->current == request) {
                Log::etl().warn("etl[{}] ws:// connection {}: no reply within {}; closing it",
                                m_etl, c->id, formatDuration(m_objTimeout));
                drop(c->id);
                break;
            }
        }
    }
    fail(request, 504, error);
    dispatch();
}

void WsPool::drop(quint64 id)
{
    const auto it = std::find_if(m_connections.begin(), m_connections.end(),
                                 [id](const auto &c) { return c->id == id; });
    if (it == m_connections.end())
        return;
    QWebSocket *socket = (*it)->socket;
    m_connections.erase(it);
    QObject::disconnect(socket, nullptr, this, nullptr);
    socket->abort();
    socket->deleteLater();
}

WsPool::Connection *WsPool::find(quint64 id)
{
    for (const auto &c : m_connections) {
        if (c->id == id)
            return c.get();
    }
    return nullptr;
}

void WsPool::succeed(const WsRequestPtr &request, QByteArray body, bool direct)
{
    if (std::exchange(request->answered, true))
        return;
    request->deadline.stop();
    if (!request->context)
        return;
    Q_UNUSED(direct) // delivered elsewhere: an empty answer, counted like hpush's 204
    QPointer<Communicator> comm(m_comm);
    const QString etl = m_etl;
    const qint64 in = request->job.size;
    auto source
        = std::make_unique<BufferBodySource>(std::move(body), [comm, etl, in](qint64 out, bool ok) {
              if (comm)
                  comm->account(etl, in, out, ok);
          });
    request->done(std::move(source), 200, {});
}

void WsPool::fail(const WsRequestPtr &request, int status, const Error &error, bool record)
{
    if (std::exchange(request->answered, true))
        return;
    request->deadline.stop();
    if (record)
        m_comm->recordError(request->job, error.message, status);
    if (request->context)
        request->done(nullptr, status, error);
}

void WsPool::shutdown(const QString &why)
{
    if (std::exchange(m_closed, true))
        return;
    if (!m_connections.empty() || !m_queue.isEmpty())
        Log::etl().info("etl[{}] closing {} ws:// connection(s), {} object(s) waiting: {}", m_etl,
                        m_connections.size(), m_queue.size(), why);
    const auto connections = std::exchange(m_connections, {});
    const QQueue<WsRequestPtr> queued = std::exchange(m_queue, {});
    const Error error
        = makeError(ErrorCode::Unavailable,
                    QStringLiteral("ETL %1: its ws:// connections closed: %2").arg(m_etl, why));
    for (const auto &c : connections) {
        QObject::disconnect(c->socket, nullptr, this, nullptr);
        c->socket->abort();
        c->socket->deleteLater();
        if (c->current)
            fail(c->current, 502, error);
    }
    for (const WsRequestPtr &request : queued)
        fail(request, 502, error);
    Q_EMIT closed();
}

// --- BufferBodySource ------------------------------------------------------------------------

BufferBodySource::BufferBodySource(QByteArray data, std::function<void(qint64, bool)> done,
                                   QObject *parent)
    : Http::BodySource(parent)
    , m_data(std::move(data))
    , m_done(std::move(done))
{ }

BufferBodySource::~BufferBodySource()
{
    if (m_done)
        m_done(m_sent, atEnd());
}

QByteArray BufferBodySource::read(qint64 maxBytes)
{
    if (atEnd())
        return {};
    QByteArray chunk = m_data.mid(m_sent, maxBytes);
    m_sent += chunk.size();
    if (atEnd() && m_done)
        std::exchange(m_done, nullptr)(m_sent, true);
    return chunk;
}

} // namespace Kiln::Etl
