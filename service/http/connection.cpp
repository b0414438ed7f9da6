#include "service/http/connection.h"

#include "service/http/bodysource.h"
#include "service/http/errors.h"
#include "service/http/filesender.h"
#include "service/http/responsehead.h"
#include "service/http/router.h"
#include "shared/core/logging.h"

#include <QTcpSocket>

#include <algorithm>

namespace Kiln::Http {
namespace {

Connection *self(http_parser *p)
{
    return static_cast<Connection *>(p->data);
}

} // namespace

Connection::Connection(QTcpSocket *socket, const ServerContext &context, QObject *parent)
    : QObject(parent)
    , m_context(context)
    , m_socket(socket)
{
    m_socket->setParent(this);
    m_zeroCopy = FileSender::usable(m_socket);
    // Bound what Qt buffers from a fast uploader while a slow disk catches up.
    m_socket->setReadBufferSize(4 * 1024 * 1024);
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    connect(m_socket, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        m_idleTimer.start();
        if (m_source)
            pumpSource();
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &Connection::closeConnection);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (e != QAbstractSocket::RemoteHostClosedError)
            Log::http().debug("connection {}: socket error {}", m_socket->peerPort(),
                              m_socket->errorString());
        closeConnection();
    });
    m_idleTimer.setParent(this);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(m_context.idleTimeoutMs);
    connect(&m_idleTimer, &QTimer::timeout, this, &Connection::onIdleTimeout);
    m_idleTimer.start();
    // A socket handed over from the acceptor's thread may have been read meanwhile, and its
    // peer may even have gone: that disconnected() was emitted before anyone listened.
    if (m_socket->bytesAvailable() > 0 || m_socket->state() != QAbstractSocket::ConnectedState)
        QMetaObject::invokeMethod(this, &Connection::catchUp, Qt::QueuedConnection);
}

Connection::~Connection()
{
    abortReader();
}

void Connection::onReadyRead()
{
    if (m_closed)
        return;
    m_idleTimer.start();
    if (m_paused) {
        // Keep at most one read buffer's worth queued; the socket holds the rest (TCP pushes back).
        if (m_pending.size() < 4 * 1024 * 1024)
            takeAvailable();
        return;
    }
    takeAvailable();
    parsePending();
}

void Connection::takeAvailable()
{
    // The socket's bytes are copied once: `m_pending += readAll()` copied them twice (into a new
    // array, then onto m_pending), which a PUT paid per byte of its body. Nothing held (a body
    // streams through, the parser takes all): the new array is m_pending; else straight onto
    // its end.
    const qint64 available = m_socket->bytesAvailable();
    if (available <= 0)
        return;
    if (m_pending.isEmpty()) {
        m_pending = m_socket->readAll();
        return;
    }
    const qsizetype held = m_pending.size();
    m_pending.resize(held + qsizetype(available));
    const qint64 got = m_socket->read(m_pending.data() + held, available);
    m_pending.resize(held + qsizetype(std::max<qint64>(got, 0)));
}

void Connection::catchUp()
{
    // Only a peer gone before this object listened: an answer to what is read now may itself
    // close the socket (Connection: close), and must still be flushed.
    const bool gone = m_socket->state() == QAbstractSocket::UnconnectedState;
    onReadyRead();
    if (gone && !m_deleting)
        closeConnection(); // what it sent was handled as any request cut off by its client
}

void Connection::parsePending()
{
    while (!m_closed && !m_paused && !m_pending.isEmpty()) {
        const size_t parsed = http_parser_execute(&m_parser, &parserSettings(),
                                                  m_pending.constData(), size_t(m_pending.size()));
        if (m_closed)
            return;
        const auto err = HTTP_PARSER_ERRNO(&m_parser);
        m_pending.remove(0, qsizetype(parsed));
        if (err == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0);
            if (hopPending())
                return hop();
            // A request answered at once is done with: parse the next one in this loop, as
            // resume() from here would recurse once per pipelined request and overflow the stack.
            m_paused = !(m_messageComplete && m_responseDone);
            continue;
        }
        if (err != HPE_OK) {
            Log::http().debug("connection {}: malformed request: {}", m_socket->peerPort(),
                              http_errno_description(err));
            abortReader();
            m_pending.clear();
            if (m_responseStarted && !m_responseDone) {
                closeConnection();
                return;
            }
            m_keepAlive = false;
            m_paused = true; // nothing more is parsed on this connection
            if (m_responseDone && !m_messageComplete) {
                // This request was answered early and the rest of it is broken: the answer goes
                // out, then the connection closes.
                closeAfterFlush();
                return;
            }
            // Bytes where the next request should start get an answer of their own.
            if (m_responseDone)
                onMessageBegin(&m_parser);
            // on_url refuses targets over MaxUrlBytes; http-parser caps the whole head at 80 KiB.
            if (err == HPE_CB_url)
                failEarly(
                    414, QStringLiteral("request target is longer than %1 bytes").arg(MaxUrlBytes));
            else
                failEarly(err == HPE_HEADER_OVERFLOW ? 431 : 400,
                          QStringLiteral("malformed HTTP request: %1")
                              .arg(QString::fromLatin1(http_errno_description(err))));
            return;
        }
        if (m_parser.upgrade) {
            m_pending.clear();
            m_keepAlive = false;
            m_paused = true;
            if (!m_responseStarted)
                failEarly(501, QStringLiteral("protocol upgrade is not supported here"));
            return;
        }
    }
}

void Connection::resume()
{
    if (m_closed || !m_paused)
        return;
    m_paused = false;
    takeAvailable();
    parsePending();
}

int Connection::onMessageBegin(http_parser *p)
{
    Connection *c = self(p);
    ++c->m_sequence;
    c->m_request = std::make_shared<Request>();
    c->m_request->peer = c->m_socket->peerAddress();
    c->m_request->peerPort = c->m_socket->peerPort();
    c->m_field.clear();
    c->m_value.clear();
    c->m_inValue = false;
    c->m_headerBytes = 0;
    c->m_route = nullptr;
    c->m_params.clear();
    c->m_streaming = false;
    c->m_buffering = false;
    c->m_body.clear();
    c->m_reader = {};
    c->m_messageComplete = false;
    c->m_closeAfter = false;
    c->m_responseStarted = false;
    c->m_responseDone = false;
    c->m_headOnly = false;
    c->m_chunkedOut = false;
    c->m_source.reset();
    c->m_started.start();
    c->m_bytesIn = c->m_bytesOut = 0;
    c->m_status = 0;
    c->m_observed = false;
    return 0;
}

int Connection::onUrl(http_parser *p, const char *at, size_t length)
{
    Connection *c = self(p);
    c->m_request->target.append(at, qsizetype(length));
    return c->m_request->target.size() > MaxUrlBytes ? 1 : 0;
}

void Connection::flushHeaderPair()
{
    if (!m_field.isEmpty())
        m_request->headers.append({m_field.toLower(), m_value.trimmed()});
    m_field.clear();
    m_value.clear();
}

int Connection::onHeaderField(http_parser *p, const char *at, size_t length)
{
    Connection *c = self(p);
    if (c->m_inValue) {
        c->flushHeaderPair();
        c->m_inValue = false;
    }
    c->m_field.append(at, qsizetype(length));
    return 0;
}

int Connection::onHeaderValue(http_parser *p, const char *at, size_t length)
{
    Connection *c = self(p);
    c->m_inValue = true;
    c->m_value.append(at, qsizetype(length));
    return 0;
}

int Connection::onHeadersComplete(http_parser *p)
{
    Connection *c = self(p);
    c->flushHeaderPair();
    Request &r = *c->m_request;
    r.method = http_method_str(static_cast<http_method>(p->method));
    const qsizetype q = r.target.indexOf('?');
    r.rawPath = q < 0 ? r.target : r.target.left(q);
    if (q >= 0)
        // '+' in a query means a space, as Go (and so AIS) decodes it; QUrlQuery keeps it.
        r.query = QUrlQuery(QString::fromUtf8(r.target.mid(q + 1).replace('+', "%20")));
    r.chunked = (p->flags & F_CHUNKED) != 0;
    const QByteArray length = r.header("content-length");
    r.contentLength = length.isEmpty() ? -1 : qint64(p->content_length);
    c->m_keepAlive = http_should_keep_alive(p) != 0;
    if (p->http_major != 1) {
        // Only HTTP/1.x is spoken here (Go's net/http, which AIS runs on, answers the same).
        c->m_keepAlive = false;
        c->failEarly(505,
                     QStringLiteral("HTTP version %1.%2 is not supported")
                         .arg(p->http_major)
                         .arg(p->http_minor));
        return 0;
    }
    c->m_headOnly = r.isHead();
    const bool expectContinue = r.header("expect").toLower() == "100-continue" && r.hasBody();
    // A final answer before "100 Continue" leaves the client free to skip the body it announced,
    // so where its next request would start is unknowable: such an answer closes the connection.
    c->m_closeAfter = expectContinue;

    if (Log::http().should_log(spdlog::level::debug))
        Log::http().debug("{} {} from {}:{}", r.method, r.target, r.peer.toString(), r.peerPort);

    c->m_expectContinue = expectContinue;
    c->routeHead();
    return 0;
}

void Connection::routeHead(bool arrived)
{
    const Request &r = *m_request;
    Router::Match match = m_context.router->match(r.method, r.rawPath);
    if (m_context.home && !match.takes(r)) {
        // Not served on this thread: the connection takes the request home (goHome).
        m_hop = Hop::AfterHead;
        http_parser_pause(&m_parser, 1);
        return;
    }
    if (!arrived && workerTakes(r)) {
        m_hop = Hop::ToWorker; // at home, and its worker takes this one (goBackToWorker)
        http_parser_pause(&m_parser, 1);
        return;
    }
    if (!match.route) {
        failEarly(match.status,
                  match.status == 405 ? QStringLiteral("method %1 is not allowed on %2")
                                            .arg(QString::fromLatin1(r.method), r.path())
                                      : QStringLiteral("invalid route %1 %2")
                                            .arg(QString::fromLatin1(r.method), r.path()),
                  match.allow);
    } else if (match.route->options.streamBody) {
        m_streaming = true;
        dispatch(*match.route, match.params, {});
    } else if (r.contentLength > match.route->options.maxBody) {
        failEarly(413, QStringLiteral("request body of %1 bytes is over the %2-byte limit")
                           .arg(r.contentLength)
                           .arg(match.route->options.maxBody));
    } else {
        m_route = match.route;
        m_params = std::move(match.params);
        m_buffering = true;
    }
    if (m_closed)
        return;
    if (m_expectContinue && !m_responseStarted) {
        m_closeAfter = false;
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
}

int Connection::onBody(http_parser *p, const char *at, size_t length)
{
    Connection *c = self(p);
    c->m_bytesIn += qint64(length);
    if (c->m_reader.onData) {
        if (!c->m_reader.onData(at, qsizetype(length)))
            c->m_reader = {};
    } else if (c->m_buffering) {
        if (c->m_body.size() + qint64(length) > c->m_route->options.maxBody) {
            c->m_buffering = false;
            c->m_body.clear();
            c->failEarly(413,
                         QStringLiteral("request body is over the %1-byte limit")
                             .arg(c->m_route->options.maxBody));
        } else {
            c->m_body.append(at, qsizetype(length));
        }
    }
    return 0;
}

int Connection::onMessageComplete(http_parser *p)
{
    Connection *c = self(p);
    c->m_messageComplete = true;
    if (c->m_reader.onEnd) {
        auto onEnd = std::move(c->m_reader.onEnd);
        c->m_reader = {};
        onEnd();
    } else if (c->m_buffering && c->m_route) {
        c->m_buffering = false;
        c->dispatch(*c->m_route, c->m_params, std::move(c->m_body));
    }
    // Pipelined requests wait until this one is answered.
    http_parser_pause(p, 1);
    return 0;
}

void Connection::dispatch(const Route &route, const Params &params, QByteArray body)
{
    Exchange exchange(QPointer<Connection>(this), m_sequence, m_request, params, std::move(body));
    if (m_context.router->admit(exchange, route))
        route.handler(exchange);
}

void Connection::failEarly(int status, const QString &message, const QByteArray &allow)
{
    Headers headers;
    if (!allow.isEmpty())
        headers.append({QByteArray("Allow"), allow});
    const Error error{
        status == 404 ? ErrorCode::NotFound : ErrorCode::InvalidArgument, message, {}};
    Request fallback;
    const Request &req = m_request ? *m_request : fallback;
    QByteArray body = aisErrorBody(error, status, req, m_context.nodeName);
    if (req.isHead()) {
        headers.append({QByteArray("Hdr-Error"), body});
        body.clear();
    }
    headers.append({QByteArray("Content-Type"), QByteArray("application/json")});
    sendResponse(m_sequence, status, headers, body, nullptr);
}

void Connection::setBodyReader(quint64 sequence, BodyReader reader)
{
    if (!isCurrent(sequence) || !m_streaming || m_messageComplete)
        return;
    m_reader = std::move(reader);
}

void Connection::sendResponse(quint64 sequence, int status, const Headers &headers,
                              const QByteArray &body, std::unique_ptr<BodySource> source)
{
    if (!isCurrent(sequence) || m_responseStarted)
        return;
    m_responseStarted = true;
    m_status = status;
    // An answer before the body has fully arrived: drain the rest (keeps the connection usable),
    // unless the client's Expect handshake makes the remaining length unknowable.
    if (!m_messageComplete && m_reader.onData) {
        abortReader();
    }
    const qint64 length = source ? source->size() : body.size();
    m_chunkedOut = source && length < 0;
    const bool close = !m_keepAlive || m_closeAfter;

    const QByteArray head = responseHead(status, headers, length, m_chunkedOut, close);
    m_keepAlive = !close;
    const bool noBody
        = m_headOnly || (status >= 100 && status < 200) || status == 204 || status == 304;
    // A head goes out corked when a body follows at once: an in-memory one, or a small sendfile
    // one, so they share a segment instead of the head costing a packet of its own
    // (bench/results/get_cost.md: less CPU per 16 KiB GET; more per 1 MiB GET, hence the limit).
    const bool smallFile = source && length > 0 && length <= CorkedBodyMax && m_zeroCopy
        && !m_chunkedOut && source->fileSpan().fd >= 0;
    const bool corked = !noBody && (smallFile || (!source && !body.isEmpty()));
    // Straight to the kernel when nothing waits in Qt's buffer (FileSender::write).
    FileSender::write(m_socket, head.constData(), head.size(), corked);
    if (noBody) {
        finishResponse();
        return;
    }
    if (!source) {
        if (!body.isEmpty())
            FileSender::write(m_socket, body.constData(), body.size());
        m_bytesOut += body.size();
        finishResponse();
        return;
    }
    m_source = std::move(source);
    // A file's bytes are all there at once (a FileBodySource never signals): it is pumped
    // first, and connected to only if it outlives that (a socket that was full). Any other
    // source may signal from the first moment on.
    const bool fileBody = m_source->fileSpan().fd >= 0;
    if (!fileBody)
        listenToSource();
    pumpSource();
    if (fileBody && m_source)
        listenToSource();
}

void Connection::listenToSource()
{
    connect(m_source.get(), &BodySource::readyRead, this, &Connection::pumpSource);
    connect(m_source.get(), &BodySource::failed, this, &Connection::pumpSource);
}

void Connection::finishResponse()
{
    m_responseDone = true;
    notifyObserver(true);
    if (!m_keepAlive) {
        closeAfterFlush();
        return;
    }
    if (m_paused && m_messageComplete)
        QMetaObject::invokeMethod(this, &Connection::maybeNextRequest, Qt::QueuedConnection);
}

void Connection::maybeNextRequest()
{
    if (m_closed || !m_paused)
        return;
    if (m_messageComplete && m_responseDone)
        resume();
}

void Connection::abortReader()
{
    if (auto onAbort = std::move(m_reader.onAbort)) {
        m_reader = {};
        onAbort();
    }
    m_reader = {};
}

void Connection::closeAfterFlush()
{
    m_closed = true;
    abortReader();
    // Deleting the socket now would discard the queued answer: disconnectFromHost() sends it
    // first, and the connection goes on the socket's disconnected() (or error, or idle timeout
    // for a peer that stopped reading).
    m_socket->disconnectFromHost();
    if (m_socket->state() == QAbstractSocket::UnconnectedState)
        closeConnection();
}

void Connection::closeConnection()
{
    if (m_deleting)
        return;
    m_deleting = true; // abort() below emits disconnected(), which lands here again
    m_closed = true;
    if (m_responseStarted && !m_responseDone)
        notifyObserver(false); // the answer broke off
    abortReader();
    m_source.reset();
    m_socket->abort();
    deleteLater();
}

void Connection::onIdleTimeout()
{
    // Only a connection with nothing in flight is idle; a handler may legitimately take long.
    const bool waitingForHandler = m_request && m_messageComplete && !m_responseDone;
    if (waitingForHandler || m_source) {
        m_idleTimer.start();
        return;
    }
    Log::http().debug("connection {}: idle, closing", m_socket->peerPort());
    closeConnection();
}

const http_parser_settings &Connection::parserSettings()
{
    static const http_parser_settings s = [] {
        http_parser_settings init;
        http_parser_settings_init(&init);
        init.on_message_begin = &Connection::onMessageBegin;
        init.on_url = &Connection::onUrl;
        init.on_header_field = &Connection::onHeaderField;
        init.on_header_value = &Connection::onHeaderValue;
        init.on_headers_complete = &Connection::onHeadersComplete;
        init.on_body = &Connection::onBody;
        init.on_message_complete = &Connection::onMessageComplete;
        return init;
    }();
    return s;
}

void Connection::notifyObserver(bool complete)
{
    if (!m_context.observer || m_observed || !m_request)
        return;
    m_observed = true;
    m_context.observer(
        {*m_request, m_status, m_bytesIn, m_bytesOut, m_started.nsecsElapsed(), complete});
}

} // namespace Kiln::Http
