#include "fakeapiserver.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpSocket>
#include <QUrl>

namespace Kiln::Kube::Test {
namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 422:
        return "Unprocessable Entity";
    default:
        return "Status";
    }
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

} // namespace

FakeApiServer::FakeApiServer(QObject *parent)
    : QObject(parent)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &FakeApiServer::onConnection);
}

FakeApiServer::~FakeApiServer()
{
    // The sockets are the QTcpServer's children and die after m_buffers: they must not call
    // back into this half-destroyed object.
    for (QTcpSocket *socket : m_server->findChildren<QTcpSocket *>()) {
        socket->disconnect(this);
        socket->abort();
    }
}

bool FakeApiServer::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

bool FakeApiServer::listenTls()
{
    delete m_server;
    auto *tls = new QSslServer(this);
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setLocalCertificate(QSslCertificate(fixture("server.crt"), QSsl::Pem));
    ssl.setPrivateKey(QSslKey(fixture("server.key"), QSsl::Ec, QSsl::Pem));
    tls->setSslConfiguration(ssl);
    m_server = tls;
    m_tls = true;
    // A QSslServer queues a connection only after its handshake, and says so with this signal.
    connect(m_server, &QTcpServer::pendingConnectionAvailable, this, &FakeApiServer::onConnection);
    return m_server->listen(QHostAddress::LocalHost, 0);
}

QString FakeApiServer::url() const
{
    return QStringLiteral("%1://127.0.0.1:%2")
        .arg(m_tls ? QStringLiteral("https") : QStringLiteral("http"))
        .arg(m_server->serverPort());
}

QList<FakeApiServer::Request> FakeApiServer::requestsTo(const QByteArray &method,
                                                        const QString &path) const
{
    QList<Request> out;
    for (const Request &r : m_requests) {
        if (r.method == method && r.path == path)
            out.append(r);
    }
    return out;
}

int FakeApiServer::openStreams() const
{
    int n = 0;
    for (const auto &s : m_streams)
        n += s && s->state() == QAbstractSocket::ConnectedState;
    return n;
}

void FakeApiServer::pushEvent(const QByteArray &line)
{
    for (const auto &s : m_streams) {
        if (s)
            s->write(chunk(line + '\n'));
    }
}

void FakeApiServer::endStreams()
{
    for (const auto &s : std::exchange(m_streams, {})) {
        if (s)
            s->write("0\r\n\r\n");
    }
}

void FakeApiServer::dropStreams()
{
    for (const auto &s : std::exchange(m_streams, {})) {
        if (s)
            s->abort();
    }
}

QByteArray FakeApiServer::fixture(const QString &name)
{
    QFile f(QStringLiteral(KILN_KUBE_FIXTURES "/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    return f.readAll();
}

QByteArray FakeApiServer::status(int code, const QString &reason, const QString &message)
{
    // The Status object kube-apiserver sends with every error.
    return QJsonDocument(QJsonObject{{"kind", "Status"},
                                     {"apiVersion", "v1"},
                                     {"metadata", QJsonObject{}},
                                     {"status", "Failure"},
                                     {"message", message},
                                     {"reason", reason},
                                     {"code", code}})
        .toJson(QJsonDocument::Compact);
}

void FakeApiServer::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_buffers.remove(socket);
            socket->deleteLater();
        });
        // A TLS peer's request may have come in with the handshake, before this connect.
        if (socket->bytesAvailable() > 0)
            onReadyRead(socket);
    }
}

void FakeApiServer::onReadyRead(QTcpSocket *socket)
{
    QByteArray &buf = m_buffers[socket];
    buf += socket->readAll();
    for (;;) {
        const qsizetype headEnd = buf.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const QList<QByteArray> lines = buf.left(headEnd).split('\n');
        Request req;
        const QList<QByteArray> first = lines.first().trimmed().split(' ');
        if (first.size() < 2)
            return socket->abort();
        req.method = first.at(0);
        const QUrl target(QStringLiteral("http://x") + QString::fromLatin1(first.at(1)));
        req.path = target.path();
        req.query = QUrlQuery(target);
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            if (colon > 0)
                req.headers.insert(lines.at(i).left(colon).trimmed().toLower(),
                                   lines.at(i).mid(colon + 1).trimmed());
        }
        const qsizetype length = req.headers.value("content-length", "0").toLongLong();
        if (buf.size() < headEnd + 4 + length)
            return;
        req.body = buf.mid(headEnd + 4, length);
        buf.remove(0, headEnd + 4 + length);
        m_requests.append(req);
        const Reply reply
            = m_handler ? m_handler(req) : Reply{404, status(404, "NotFound", "no handler")};
        Q_EMIT requestReceived();
        if (reply.drop) {
            socket->abort();
            return;
        }
        QByteArray head = "HTTP/1.1 " + QByteArray::number(reply.status) + ' '
            + reasonPhrase(reply.status)
            + "\r\nContent-Type: application/json\r\nCache-Control: no-cache, private\r\n";
        if (reply.stream) {
            head += "Transfer-Encoding: chunked\r\n\r\n";
            socket->write(head);
            for (const QByteArray &e : reply.events)
                socket->write(chunk(e + '\n'));
            m_streams.append(socket);
            continue;
        }
        head += "Content-Length: " + QByteArray::number(reply.body.size()) + "\r\n\r\n";
        socket->write(head + reply.body);
    }
}

} // namespace Kiln::Kube::Test
