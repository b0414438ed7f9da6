#pragma once

#include "service/http/connection.h"
#include "service/http/router.h"
#include "service/http/serverworkers.h"
#include "shared/core/result.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

#include <memory>

class QSslConfiguration;

namespace Kiln::Http {

// The HTTP/1.1 front of a node. Qt 6.4's QHttpServer reads whole request bodies into memory,
// which rules it out for object data, so this server parses with http-parser on QTcpServer and
// streams bodies both ways; with setTls() it is the same over TLS (QSslServer: a connection is
// handed over once its handshake is done). Lives on the thread that calls listen(); owns its
// connections.
class HttpServer final : public QObject
{
    Q_OBJECT
public:
    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    Router &router() { return m_router; }
    void setNodeName(const QString &name) { m_context.nodeName = name; }
    // Told of every request answered on connections accepted from now on.
    void setAnswerObserver(AnswerObserver observer) { m_context.observer = std::move(observer); }

    // HTTPS from now on (call before listen): every connection is a TLS server socket with this
    // configuration (certificate, key, and, for mutual TLS, the peer verification).
    void setTls(const QSslConfiguration &configuration);
    // A new certificate for connections accepted from now on (after setTls).
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isTls() const { return m_tls; }

    Result<quint16> listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_server->serverPort(); }
    void close();

    // Serves with `threads` threads in all (0: one per core): this one, with every route, and
    // threads - 1 workers with the routes `routes` adds. Accepted connections are dealt out to
    // the threads in turn. Call once, after listen(). Plain HTTP only: over TLS this thread
    // serves every connection.
    void startWorkers(int threads, const ServerWorkers::RouteSetup &routes);
    int threads() const { return 1 + (m_workers ? m_workers->size() : 0); }
    // Stops listening and drops every connection on every thread now (in-flight requests
    // abort), then stops the workers.
    void shutdown();

private:
    void onNewConnection();

    std::unique_ptr<QTcpServer> m_server; // a QSslServer with TLS
    bool m_tls = false;
    Router m_router;
    ServerContext m_context;
    std::unique_ptr<ServerWorkers> m_workers;
    int m_nextThread = 0; // round robin over this thread (0) and the workers
};

} // namespace Kiln::Http
