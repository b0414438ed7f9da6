#include "fakeetl.h"

#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <memory>
#include <optional>

namespace Kiln::Etl::Tests {

FakeEtlServer::FakeEtlServer(Answer answer)
    : m_answer(std::move(answer))
{
    listen(QHostAddress::LocalHost, 0);
    connect(this, &QTcpServer::newConnection, this, &FakeEtlServer::onConnection);
}

QUrl FakeEtlServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort()));
}

void FakeEtlServer::reply(QTcpSocket *socket, int status, const QByteArray &body,
                          const QByteArray &extraHeaders)
{
    socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Length: "
                  + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body);
}

void FakeEtlServer::onConnection()
{
    while (QTcpSocket *socket = nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void FakeEtlServer::onReadable(QTcpSocket *socket)
{
    // The whole request is in once its head and Content-Length bytes are.
    const QByteArray data = socket->peek(socket->bytesAvailable());
    const qsizetype headEnd = data.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    const QList<QByteArray> lines = data.left(headEnd).split('\n');
    qsizetype length = 0;
    for (const QByteArray &line : lines) {
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    }
    if (data.size() < headEnd + 4 + length)
        return;
    socket->read(headEnd + 4 + length);
    const QList<QByteArray> first = lines.first().trimmed().split(' ');
    SeenRequest request{first.value(0), first.value(1), data.mid(headEnd + 4, length)};
    m_requests.append(request);
    m_answer(socket, request);
}

FakeWsEtlServer::FakeWsEtlServer(Answer answer)
    : QWebSocketServer(QStringLiteral("fake-etl"), QWebSocketServer::NonSecureMode)
    , m_answer(std::move(answer))
{
    listen(QHostAddress::LocalHost, 0);
    connect(this, &QWebSocketServer::newConnection, this, [this] {
        while (QWebSocket *socket = nextPendingConnection()) {
            ++m_connections;
            // Messages alternate: a control message (kilnd sends it as a binary frame, a text
            // one is read the same), then the object.
            auto control = std::make_shared<std::optional<QJsonObject>>();
            auto onMessage = [this, socket, control](const QByteArray &message) {
                if (!*control) {
                    *control = QJsonDocument::fromJson(message).object();
                    m_controls.append(**control);
                    return;
                }
                const QJsonObject current = *std::exchange(*control, std::nullopt);
                m_answer(socket, current, message);
            };
            connect(socket, &QWebSocket::binaryMessageReceived, this, onMessage);
            connect(socket, &QWebSocket::textMessageReceived, this,
                    [onMessage](const QString &text) { onMessage(text.toUtf8()); });
            connect(socket, &QWebSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
}

QUrl FakeWsEtlServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort()));
}

FakeInstance::FakeInstance(QUrl endpoint, std::optional<Runtime::IoCommand> io, QObject *parent)
    : Runtime::Instance(parent)
    , m_endpoint(std::move(endpoint))
    , m_io(std::move(io))
{ }

void FakeInstance::start()
{
    QTimer::singleShot(0, this, [this] { Q_EMIT ready(); });
}

void FakeInstance::stop()
{
    QTimer::singleShot(0, this, [this] { Q_EMIT stopped(); });
}

Result<Kiln::Runtime::Instance *> FakeRuntime::create(const Kiln::Runtime::InstanceSpec &spec,
                                                      QObject *parent)
{
    Q_UNUSED(spec)
    return static_cast<Kiln::Runtime::Instance *>(new FakeInstance(m_endpoint, m_io, parent));
}

} // namespace Kiln::Etl::Tests
