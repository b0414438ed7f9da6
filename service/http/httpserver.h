#pragma once

#include "service/http/connection.h"
#include "service/http/router.h"
#include "shared/core/result.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

namespace Kiln::Http {

// The HTTP/1.1 front of a node. Qt 6.4's QHttpServer reads whole request bodies into memory,
// which rules it out for object data, so this server parses with http-parser on QTcpServer and
// streams bodies both ways. Lives on the thread that calls listen(); owns its connections.
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

    Result<quint16> listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_server.serverPort(); }
    void close();

private:
    void onNewConnection();

    QTcpServer m_server;
    Router m_router;
    ServerContext m_context;
};

} // namespace Kiln::Http
