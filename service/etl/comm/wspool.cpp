#include "service/etl/comm/wspool.h"

#include "service/etl/etlmanager.h"
#include "service/http/wsclient.h"
#include "service/runtime/instance.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <climits>

namespace Kiln::Etl {
namespace {

// Connections per ETL per target. AIS opens bundle_multiplier connections for the inline
// session; four let a target transform four objects of one ETL at once.
constexpr int PoolSize = 4;
// Objects waiting for a free connection; past that the target answers 503 and clients retry.
constexpr qsizetype MaxQueued = 1024;

QUrl wsUrl(QUrl endpoint)
{
    endpoint.setScheme(QStringLiteral("ws"));
    endpoint.setPath(QStringLiteral("/ws"));
    endpoint.setQuery(QString());
    return endpoint;
}

} // namespace

WsPool::WsPool(Communicator *comm, const EtlEntry &entry, QObject *parent)
    : QObject(parent)
    , m_comm(comm)
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
        return fail(request,
                    makeError(ErrorCode::Unavailable,
                              QStringLiteral("ETL %1 is restarting here; try again").arg(m_etl)),
                    false);
    }
    if (m_queue.size() >= MaxQueued) {
        // Overload, not a failed transform: not kept in the ETL's errors.
        return fail(request,
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
        // gets the 400 and the next one tries again.
        Connection *c = openConnection();
        const quint64 id = c->id;
        Http::WsClient *socket = c->socket;
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
    auto *socket = new Http::WsClient(this);
    c->socket = socket;
    socket->setMaxMessageSize(AisReadLimit);
    const quint64 id = c->id;
    connect(socket, &Http::WsClient::opened, this, [this, id] {
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
    connect(socket, &Http::WsClient::messageBegun, this,
            [this, id](bool binary) { onReplyBegun(id, binary); });
    connect(socket, &Http::WsClient::messageData, this,
            [this, id](const QByteArray &chunk) { onReplyData(id, chunk); });
    connect(socket, &Http::WsClient::messageEnded, this, [this, id] { onReplyEnded(id); });
    connect(socket, &Http::WsClient::broken, this,
            [this, id](const QString &why) { onBroken(id, why); });
    m_connections.push_back(std::move(c));
    return m_connections.back().get();
}

void WsPool::start(Connection *c, WsRequestPtr request)
{
    c->current = std::move(request);
    c->sent = false;
    c->replying = false;
    c->textReply = false;
    c->pending.reset();
    c->reply = nullptr;
    trySend(c);
}

void WsPool::trySend(Connection *c)
{
    if (!c->open || !c->current || c->sent)
        return;
    const TransformJob &job = c->current->job;
    std::unique_ptr<QFile> file;
    if (!m_fqnMode) {
        file = std::make_unique<QFile>(job.fqn);
        if (!file->open(QIODevice::ReadOnly)) {
            // Nothing went out: the connection stays good for the next object.
            const WsRequestPtr request = std::exchange(c->current, nullptr);
            fail(request, makeError(ErrorCode::NotFound, QStringLiteral("object not found")));
            return dispatch();
        }
    }
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
    Http::WsClient *socket = c->socket;
    Log::etl().debug("etl[{}] ws:// connection {}: {}/{} ({} bytes{})", m_etl, id, job.bucket,
                     job.object, job.size, m_fqnMode ? ", fqn" : "");
    socket->sendMessage(QJsonDocument(control).toJson(QJsonDocument::Compact));
    // The object follows in frames as the socket drains; a failed write drops the connection
    // (and answers the object with 400).
    if (file && find(id))
        socket->sendStream(std::move(file), job.size);
}

void WsPool::onReplyBegun(quint64 id, bool binary)
{
    Connection *c = find(id);
    if (!c)
        return;
    if (!c->current || !c->sent || c->replying) {
        // Replies are matched by order alone: after a stray one, nothing on this connection can be.
        return onBroken(id, QStringLiteral("the instance sent a message that answers no object"));
    }
    c->replying = true;
    c->textReply = !binary;
    // AIS: a text message acknowledges an object delivered by direct put (whatever it says);
    // its (empty) answer is passed on once it ended.
    QPointer<Communicator> comm(m_comm);
    const QString etl = m_etl;
    const qint64 in = c->current->job.size;
    c->pending = std::make_unique<WsBodySource>(c->socket, [comm, etl, in](qint64 out, bool ok) {
        if (comm)
            comm->account(etl, in, out, ok);
    });
}

void WsPool::onReplyData(quint64 id, const QByteArray &chunk)
{
    Connection *c = find(id);
    if (!c || !c->replying)
        return;
    if (c->textReply)
        return; // the ack's words are not the object
    // Each piece of the answer restarts the object timeout: it bounds a stall, not a long stream.
    if (c->current)
        c->current->deadline.start();
    if (c->pending) {
        c->pending->append(chunk);
        if (c->pending->buffered() >= WsBodySource::MaxBuffered) {
            // Large: the client gets it streamed (chunked) from here.
            c->reply = c->pending.get();
            c->pending->seal();
            succeed(c->current, std::move(c->pending));
        }
        return;
    }
    if (c->reply) {
        c->reply->append(chunk);
        return;
    }
    // The client went away mid-answer: the rest of this message has nowhere to go, and the
    // connection cannot carry another object before it ended.
    drop(id);
    dispatch();
}

void WsPool::onReplyEnded(quint64 id)
{
    Connection *c = find(id);
    if (!c || !c->replying)
        return;
    WsRequestPtr request = std::exchange(c->current, nullptr);
    c->replying = false;
    if (c->pending) {
        c->pending->end();
        c->pending->seal();
        succeed(request, std::move(c->pending));
    } else if (c->reply) {
        c->reply->end();
    }
    c->reply = nullptr;
    if (request)
        request->deadline.stop();
    dispatch();
}

void WsPool::onBroken(quint64 id, const QString &why)
{
    Connection *c = find(id);
    if (!c)
        return;
    const WsRequestPtr request = c->current;
    const bool wasOpen = c->open;
    QPointer<WsBodySource> streaming = c->reply;
    drop(id);
    if (streaming) {
        // Cut short mid-answer: never a shorter object.
        streaming->fail(
            QStringLiteral("ETL %1: the ws:// connection failed mid-answer: %2").arg(m_etl, why));
        return dispatch();
    }
    if (request) {
        const QString what = wasOpen ? QStringLiteral("the ws:// connection to %1 failed: %2")
                                     : QStringLiteral("cannot open a ws:// connection to %1: %2");
        Log::etl().warn("etl[{}] {}", m_etl, what.arg(m_url.toString(), why));
        fail(request,
             makeError(ErrorCode::EtlNoAnswer,
                       QStringLiteral("ETL %1: %2").arg(m_etl, what.arg(m_url.toString(), why))));
    } else {
        Log::etl().debug("etl[{}] idle ws:// connection {} went away: {}", m_etl, id, why);
    }
    dispatch();
}

void WsPool::onDeadline(const WsRequestPtr &request)
{
    if (request->answered) {
        // Streaming, and the instance stalled for a whole object timeout.
        for (const auto &c : m_connections) {
            if (c->current == request && c->reply) {
                QPointer<WsBodySource> reply = c->reply;
                if (reply->buffered() > 0) {
                    // The client is behind, not the instance: the connection waits for it.
                    request->deadline.start();
                    return;
                }
                Log::etl().warn("etl[{}] ws:// connection {}: the answer stalled for {}; closing",
                                m_etl, c->id, formatDuration(m_objTimeout));
                drop(c->id);
                if (reply)
                    reply->fail(QStringLiteral("ETL %1: object timeout (%2) while streaming")
                                    .arg(m_etl, formatDuration(m_objTimeout)));
                break;
            }
        }
        return dispatch();
    }
    const Error error
        = makeError(ErrorCode::EtlTimeout,
                    QStringLiteral("ETL %1: the instance did not answer within obj_timeout "
                                   "%2 (object timeout)")
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
    fail(request, error);
    dispatch();
}

void WsPool::drop(quint64 id)
{
    const auto it = std::find_if(m_connections.begin(), m_connections.end(),
                                 [id](const auto &c) { return c->id == id; });
    if (it == m_connections.end())
        return;
    Http::WsClient *socket = (*it)->socket;
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

void WsPool::succeed(const WsRequestPtr &request, std::unique_ptr<WsBodySource> body)
{
    if (!request || std::exchange(request->answered, true))
        return;
    if (body->ended())
        request->deadline.stop();
    if (!request->context)
        return;
    request->done(std::unique_ptr<Http::BodySource>(std::move(body)));
}

void WsPool::fail(const WsRequestPtr &request, const Error &error, bool record)
{
    if (std::exchange(request->answered, true))
        return;
    request->deadline.stop();
    if (record)
        m_comm->recordError(request->job, error);
    if (request->context)
        request->done(error);
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
        = makeError(ErrorCode::EtlNoAnswer,
                    QStringLiteral("ETL %1: its ws:// connections closed: %2").arg(m_etl, why));
    for (const auto &c : connections) {
        QObject::disconnect(c->socket, nullptr, this, nullptr);
        c->socket->abort();
        c->socket->deleteLater();
        if (c->reply)
            c->reply->fail(error.message);
        else if (c->current)
            fail(c->current, error);
    }
    for (const WsRequestPtr &request : queued)
        fail(request, error);
    Q_EMIT closed();
}

} // namespace Kiln::Etl
