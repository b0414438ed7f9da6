#include "service/http/httpclient.h"

#include "service/http/httpclient_p.h"
#include "shared/core/logging.h"

namespace Kiln::Http {
namespace {

constexpr qint64 ReadChunk = 256 * 1024;
constexpr int IdleTimeoutMs = 30000;
constexpr int MaxAttempts = 2; // a reused connection the server had closed gets one more try

ClientConnection *self(http_parser *p)
{
    return static_cast<ClientConnection *>(p->data);
}

} // namespace

// --- ClientCall
// -----------------------------------------------------------------------------------

ClientCall::ClientCall(ClientRequest request, QObject *parent)
    : QObject(parent)
    , m_request(std::move(request))
{ }

ClientCall::~ClientCall()
{
    if (m_connection)
        m_connection->detach();
}

QByteArray ClientCall::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : m_headers)
        if (name == lowerName)
            return value;
    return {};
}

QByteArray ClientCall::read(qint64 maxBytes)
{
    const qint64 n = std::min<qint64>(maxBytes, bytesAvailable());
    if (n <= 0)
        return {};
    QByteArray chunk;
    if (m_offset == 0 && n == m_buffer.size()) {
        chunk = std::exchange(m_buffer, {}); // all of it: no copy
    } else {
        chunk = m_buffer.mid(m_offset, n);
        m_offset += n;
    }
    if (m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    } else if (m_offset > MaxBuffered) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    if (m_connection)
        QMetaObject::invokeMethod(m_connection, &ClientConnection::resumeReading,
                                  Qt::QueuedConnection);
    return chunk;
}

void ClientCall::abort()
{
    m_aborted = true;
    if (m_connection)
        m_connection->detach();
    m_connection = nullptr;
    if (!m_finished) {
        m_finished = true;
        m_error = QStringLiteral("aborted");
    }
}

// --- HttpClient
// -----------------------------------------------------------------------------------

HttpClient::HttpClient(QObject *parent)
    : QObject(parent)
{ }

HttpClient::~HttpClient()
{
    // The connections go first, while the pool they unregister from still exists.
    m_idle.clear();
    const auto connections = findChildren<ClientConnection *>(Qt::FindDirectChildrenOnly);
    for (ClientConnection *c : connections)
        c->m_client = nullptr;
    qDeleteAll(connections);
}

ClientCall *HttpClient::send(ClientRequest request, QObject *parent)
{
    auto *call = new ClientCall(std::move(request), parent);
    if (call->m_request.url.scheme() != QLatin1String("http")
        || call->m_request.url.host().isEmpty() || call->m_request.url.port() <= 0) {
        // Reported from the event loop, like every other outcome.
        call->m_error = QStringLiteral("not a plain http://host:port URL: %1")
                            .arg(call->m_request.url.toString());
        QPointer<ClientCall> guard(call);
        QMetaObject::invokeMethod(
            this,
            [guard] {
                if (guard && !guard->m_aborted) {
                    guard->m_finished = true;
                    Q_EMIT guard->finished();
                }
            },
            Qt::QueuedConnection);
        return call;
    }
    start(call, false);
    return call;
}

int HttpClient::idleConnections() const
{
    int n = 0;
    for (const auto &list : m_idle)
        n += int(list.size());
    return n;
}

void HttpClient::start(ClientCall *call, bool fresh)
{
    ++call->m_attempts;
    const QString key = ClientConnection::keyOf(call->m_request.url);
    ClientConnection *connection = nullptr;
    auto it = m_idle.find(key);
    if (!fresh && it != m_idle.end() && !it->isEmpty()) {
        connection = it->takeLast();
    } else {
        connection = new ClientConnection(call->m_request.url.host(),
                                          quint16(call->m_request.url.port()), this);
    }
    connection->begin(call);
}

void HttpClient::release(ClientConnection *connection)
{
    auto &list = m_idle[connection->key()];
    if (list.size() >= MaxIdlePerHost) {
        connection->deleteLater();
        return;
    }
    list.append(connection);
}

void HttpClient::forget(ClientConnection *connection)
{
    auto it = m_idle.find(connection->key());
    if (it != m_idle.end()) {
        it->removeAll(connection);
        if (it->isEmpty())
            m_idle.erase(it);
    }
}

// --- ClientConnection
// -----------------------------------------------------------------------------

ClientConnection::ClientConnection(QString host, quint16 port, HttpClient *client)
    : QObject(client)
    , m_client(client)
    , m_host(std::move(host))
    , m_port(port)
    , m_socket(new QTcpSocket(this))
{
    m_parser.data = this;
    m_socket->setReadBufferSize(ClientCall::MaxBuffered);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(IdleTimeoutMs);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        if (!m_call)
            close();
    });
    connect(m_socket, &QTcpSocket::connected, this, [this] {
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_call)
            sendHead();
    });
    connect(m_socket, &QTcpSocket::readyRead, this, &ClientConnection::parse);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &ClientConnection::pumpBody);
    connect(m_socket, &QTcpSocket::disconnected, this, &ClientConnection::onClosed);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        // A peer that closes is reported by disconnected() too; everything else ends here.
        if (e != QAbstractSocket::RemoteHostClosedError)
            onClosed();
    });
}

ClientConnection::~ClientConnection()
{
    if (m_client)
        m_client->forget(this);
}

QString ClientConnection::keyOf(const QUrl &url)
{
    return url.host() + ':' + QString::number(url.port());
}

void ClientConnection::begin(ClientCall *call)
{
    m_idleTimer.stop();
    m_call = call;
    call->m_connection = this;
    http_parser_init(&m_parser, HTTP_RESPONSE);
    m_parser.data = this;
    m_requestDone = false;
    m_gotBytes = false;
    m_headersNew = false;
    m_dataNew = false;
    m_messageComplete = false;
    m_informational = false;
    m_keepAlive = true;
    m_field.clear();
    m_value.clear();
    m_inValue = false;
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        sendHead();
    else if (m_socket->state() == QAbstractSocket::UnconnectedState)
        m_socket->connectToHost(m_host, m_port);
}

void ClientConnection::resumeReading()
{
    if (m_call && !m_closed)
        parse();
}

void ClientConnection::parse()
{
    if (!m_call) {
        // Bytes on an idle connection: nothing can be expected, so the connection is unusable.
        if (m_socket->bytesAvailable() > 0)
            close();
        return;
    }
    while (m_call && !m_closed && !m_messageComplete && m_socket->bytesAvailable() > 0
           && m_call->bytesAvailable() < ClientCall::MaxBuffered) {
        const QByteArray data = m_socket->read(ReadChunk);
        m_gotBytes = true;
        const size_t parsed = http_parser_execute(&m_parser, &parserSettings(), data.constData(),
                                                  size_t(data.size()));
        const auto err = HTTP_PARSER_ERRNO(&m_parser);
        if (err != HPE_OK && !(err == HPE_PAUSED && m_messageComplete)) {
            fail(QStringLiteral("malformed answer from %1: %2")
                     .arg(key(), QString::fromLatin1(http_errno_description(err))));
            return;
        }
        if (m_messageComplete && parsed < size_t(data.size()))
            m_keepAlive = false; // bytes after the answer: the connection is out of step
    }
    deliver();
}

void ClientConnection::deliver()
{
    QPointer<ClientConnection> guard(this);
    QPointer<ClientCall> call = m_call;
    if (!call)
        return;
    if (std::exchange(m_headersNew, false))
        Q_EMIT call->headersArrived();
    if (!guard || !call || call->m_aborted)
        return;
    if (std::exchange(m_dataNew, false) && call->bytesAvailable() > 0)
        Q_EMIT call->readyRead();
    if (!guard || !call || call->m_aborted)
        return;
    if (m_messageComplete && m_call == call)
        complete();
}

void ClientConnection::complete()
{
    ClientCall *call = m_call;
    if (!call || call->m_finished)
        return;
    if (!m_requestDone) {
        // The server answered before it had read the whole body: the connection is out of step.
        m_keepAlive = false;
    }
    call->m_finished = true;
    call->m_connection = nullptr;
    m_call = nullptr;
    ++m_served;
    if (m_client && m_keepAlive && m_requestDone && !m_closed
        && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_idleTimer.start();
        m_client->release(this);
    } else {
        close();
    }
    Q_EMIT call->finished();
}

void ClientConnection::onClosed()
{
    if (m_closed)
        return;
    if (!m_call) {
        close();
        return;
    }
    // An answer without a length ends when the server closes.
    if (m_gotBytes && !m_messageComplete) {
        // Whatever the socket still holds first.
        while (m_socket->bytesAvailable() > 0 && !m_messageComplete) {
            const QByteArray data = m_socket->read(ReadChunk);
            http_parser_execute(&m_parser, &parserSettings(), data.constData(),
                                size_t(data.size()));
            if (HTTP_PARSER_ERRNO(&m_parser) != HPE_OK)
                break;
        }
        if (!m_messageComplete && HTTP_PARSER_ERRNO(&m_parser) == HPE_OK)
            http_parser_execute(&m_parser, &parserSettings(), nullptr, 0);
    }
    if (m_messageComplete) {
        m_keepAlive = false;
        m_closed = true;
        if (m_client)
            m_client->forget(this);
        deliver(); // completes the call
        deleteLater();
        return;
    }
    ClientCall *call = m_call;
    const bool rewindable
        = !call->m_request.bodyDevice || !call->m_request.bodyDevice->isSequential();
    if (!m_gotBytes && m_served > 0 && call->m_attempts < MaxAttempts && rewindable) {
        // The server had closed this keep-alive connection while it was idle: ask again on a
        // fresh one.
        m_call = nullptr;
        call->m_connection = nullptr;
        m_closed = true;
        if (m_client)
            m_client->forget(this);
        m_socket->abort();
        deleteLater();
        Log::http().debug("client {}: a reused connection was closed; asking again", key());
        if (m_client)
            m_client->start(call, true);
        return;
    }
    QString why = m_socket->error() == QAbstractSocket::RemoteHostClosedError
            || m_socket->error() == QAbstractSocket::UnknownSocketError
        ? QStringLiteral("the server closed the connection before its answer was complete")
        : m_socket->errorString();
    if (!m_gotBytes && m_socket->error() == QAbstractSocket::RemoteHostClosedError)
        why = QStringLiteral("the server closed the connection without an answer");
    fail(why);
}

void ClientConnection::fail(const QString &why)
{
    QPointer<ClientCall> call = m_call;
    const bool refused = m_socket->error() == QAbstractSocket::ConnectionRefusedError;
    m_call = nullptr;
    close();
    if (!call || call->m_finished)
        return;
    call->m_connection = nullptr;
    call->m_finished = true;
    call->m_error = why;
    call->m_refused = refused;
    Q_EMIT call->finished();
}

void ClientConnection::detach()
{
    if (m_call)
        m_call->m_connection = nullptr;
    m_call = nullptr;
    close();
}

void ClientConnection::close()
{
    if (std::exchange(m_closed, true))
        return;
    m_idleTimer.stop();
    if (m_client)
        m_client->forget(this);
    m_socket->abort();
    deleteLater();
}

void ClientConnection::flushHeader()
{
    if (!m_field.isEmpty() && m_call)
        m_call->m_headers.append({m_field.toLower(), m_value.trimmed()});
    m_field.clear();
    m_value.clear();
    m_inValue = false;
}

int ClientConnection::onHeaderField(http_parser *p, const char *at, size_t length)
{
    ClientConnection *c = self(p);
    if (c->m_inValue)
        c->flushHeader();
    c->m_field.append(at, qsizetype(length));
    return 0;
}

int ClientConnection::onHeaderValue(http_parser *p, const char *at, size_t length)
{
    ClientConnection *c = self(p);
    c->m_inValue = true;
    c->m_value.append(at, qsizetype(length));
    return 0;
}

int ClientConnection::onHeadersComplete(http_parser *p)
{
    ClientConnection *c = self(p);
    c->flushHeader();
    if (!c->m_call)
        return 0;
    if (p->status_code >= 100 && p->status_code < 200) {
        c->m_informational = true; // "100 Continue" and friends: the real answer follows
        c->m_call->m_headers.clear();
        return 0;
    }
    c->m_call->m_status = int(p->status_code);
    const QByteArray length = c->m_call->header("content-length");
    bool ok = false;
    const qint64 n = length.toLongLong(&ok);
    c->m_call->m_contentLength = ok ? n : -1;
    c->m_headersNew = true;
    return 0;
}

int ClientConnection::onBody(http_parser *p, const char *at, size_t length)
{
    ClientConnection *c = self(p);
    if (c->m_call) {
        c->m_call->m_buffer.append(at, qsizetype(length));
        c->m_dataNew = true;
    }
    return 0;
}

int ClientConnection::onMessageComplete(http_parser *p)
{
    ClientConnection *c = self(p);
    if (std::exchange(c->m_informational, false))
        return 0;
    c->m_keepAlive = c->m_keepAlive && http_should_keep_alive(p);
    c->m_messageComplete = true;
    http_parser_pause(p, 1); // nothing after the answer belongs to this call
    return 0;
}

const http_parser_settings &ClientConnection::parserSettings()
{
    static const http_parser_settings s = [] {
        http_parser_settings init;
        http_parser_settings_init(&init);
        init.on_header_field = &ClientConnection::onHeaderField;
        init.on_header_value = &ClientConnection::onHeaderValue;
        init.on_headers_complete = &ClientConnection::onHeadersComplete;
        init.on_body = &ClientConnection::onBody;
        init.on_message_complete = &ClientConnection::onMessageComplete;
        return init;
    }();
    return s;
}

} // namespace Kiln::Http
