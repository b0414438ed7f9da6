#include "service/http/httpserver.h"

#include "shared/core/logging.h"

#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpSocket>

namespace Kiln::Http {

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
{
    m_context.router = &m_router;
    m_server = std::make_unique<QTcpServer>();
    connect(m_server.get(), &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
}

void HttpServer::setTls(const QSslConfiguration &configuration)
{
    auto server = std::make_unique<QSslServer>();
    server->setSslConfiguration(configuration);
    connect(server.get(), &QSslServer::errorOccurred, this,
            [](QSslSocket *socket, QAbstractSocket::SocketError) {
                Log::http().debug("TLS handshake with {} failed: {}",
                                  socket->peerAddress().toString(), socket->errorString());
            });
    // A QSslServer offers a connection once its handshake is done.
    connect(server.get(), &QTcpServer::pendingConnectionAvailable, this,
            &HttpServer::onNewConnection);
    m_server = std::move(server);
    m_tls = true;
}

void HttpServer::setTlsConfiguration(const QSslConfiguration &configuration)
{
    if (auto *server = qobject_cast<QSslServer *>(m_server.get()))
        server->setSslConfiguration(configuration);
}

HttpServer::~HttpServer() = default;

Result<quint16> HttpServer::listen(const QHostAddress &address, quint16 port)
{
    m_server->setMaxPendingConnections(1024);
    if (!m_server->listen(address, port))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot listen on %1:%2: %3")
                             .arg(address.toString())
                             .arg(port)
                             .arg(m_server->errorString()));
    Log::http().info("listening on {}:{}", address.toString(), m_server->serverPort());
    return m_server->serverPort();
}

void HttpServer::close()
{
    m_server->close();
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        new Connection(socket, m_context, this);
    }
}

} // namespace Kiln::Http
