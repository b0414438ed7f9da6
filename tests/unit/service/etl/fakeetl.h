#pragma once

#include "service/runtime/instance.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QTcpServer>
#include <QUrl>
#include <QWebSocketServer>

#include <functional>
#include <optional>

namespace Kiln::Etl::Tests {

// One request as the fake ETL server read it.
struct SeenRequest
{
    QByteArray method;
    QByteArray target; // path and query as sent
    QByteArray body;
};

// An in-process ETL server on 127.0.0.1, port 0, speaking just enough HTTP/1.1: it reads each
// request (head and Content-Length body) and lets answer() write whatever it wants to the socket
// (a whole answer, part of one before closing, or nothing at all). Lives on the test's thread.
class FakeEtlServer final : public QTcpServer
{
public:
    using Answer = std::function<void(QTcpSocket *socket, const SeenRequest &request)>;
    explicit FakeEtlServer(Answer answer);

    QUrl url() const;
    const QList<SeenRequest> &requests() const { return m_requests; }

    static void reply(QTcpSocket *socket, int status, const QByteArray &body,
                      const QByteArray &extraHeaders = {});

private:
    void onConnection();
    void onReadable(QTcpSocket *socket);

    Answer m_answer;
    QList<SeenRequest> m_requests;
};

// The same for ws://: Qt's websocket server on 127.0.0.1 at /ws, one connection at a time is
// enough. Each object comes as a control message ({"path", ...}) then a binary message (the
// object's bytes); answer() gets both and writes what it wants to the socket.
class FakeWsEtlServer final : public QWebSocketServer
{
public:
    using Answer = std::function<void(QWebSocket *socket, const QJsonObject &control,
                                      const QByteArray &object)>;
    explicit FakeWsEtlServer(Answer answer);

    QUrl url() const; // http://127.0.0.1:<port>, the instance's endpoint
    const QList<QJsonObject> &controls() const { return m_controls; }
    int connections() const { return m_connections; }

private:
    Answer m_answer;
    QList<QJsonObject> m_controls;
    int m_connections = 0;
};

// An instance that is an endpoint and nothing else: ready at once, always Running.
class FakeInstance final : public Runtime::Instance
{
public:
    FakeInstance(QUrl endpoint, std::optional<Runtime::IoCommand> io, QObject *parent);
    void start() override;
    void stop() override;
    QUrl endpoint() const override { return m_endpoint; }
    QString phase() const override { return QStringLiteral("Running"); }
    Runtime::Usage usage() override { return {}; }
    QByteArray logs() const override { return {}; }
    QList<qint64> pids() const override { return {}; }
    std::optional<Runtime::IoCommand> ioCommand() const override { return m_io; }

private:
    QUrl m_endpoint;
    std::optional<Runtime::IoCommand> m_io;
};

// Makes FakeInstances at the endpoint (or with the io:// command) set for the next ETL.
class FakeRuntime final : public Runtime::Runtime
{
public:
    using Runtime::Runtime;
    QString name() const override { return QStringLiteral("fake"); }
    Result<Kiln::Runtime::Instance *> create(const Kiln::Runtime::InstanceSpec &spec,
                                             QObject *parent) override;
    void setEndpoint(const QUrl &url) { m_endpoint = url; }
    void setIoCommand(std::optional<Kiln::Runtime::IoCommand> io) { m_io = std::move(io); }

private:
    QUrl m_endpoint;
    std::optional<Kiln::Runtime::IoCommand> m_io;
};

} // namespace Kiln::Etl::Tests
