#include "service/http/httpserver.h"

#include "shared/core/logging.h"

#include <QSslConfiguration>
#include <QSslServer>
#include <QTcpSocket>
#include <QThread>

namespace Kiln::Http {

HttpServer::HttpServer(QObject *parent)
    : QObject(parent)
{
    m_context.router = &m_router;
    m_context.anchor = this;
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

HttpServer::~HttpServer()
{
    shutdown();
}

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

void HttpServer::startWorkers(int threads, const ServerWorkers::RouteSetup &routes)
{
    if (threads <= 0)
        threads = QThread::idealThreadCount();
    if (threads <= 1 || m_workers)
        return;
    if (m_tls) {
        // A QSslSocket handed to another thread after its handshake stops reading there (Qt
        // 6.4): over TLS every connection stays on this thread.
        Log::http().info("serving HTTPS on one thread (--http-threads applies to plain HTTP)");
        return;
    }
    m_workers = std::make_unique<ServerWorkers>(threads - 1, routes);
    Log::http().info("serving HTTP on {} threads", threads);
}

void HttpServer::shutdown()
{
    m_server->close();
    m_workers.reset();
    // Deleted now, not at the end of ~QObject: the routes their readers call back into belong
    // to the node, which is being destroyed.
    qDeleteAll(findChildren<Connection *>(Qt::FindDirectChildrenOnly));
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        int thread = 0;
        if (m_workers) {
            thread = m_nextThread;
            m_nextThread = (m_nextThread + 1) % (1 + m_workers->size());
        }
        if (thread == 0) {
            new Connection(socket, m_context, this);
            continue;
        }
        socket->setParent(nullptr);
        m_workers->adopt(thread - 1, socket, m_context);
    }
}

} // namespace Kiln::Http
