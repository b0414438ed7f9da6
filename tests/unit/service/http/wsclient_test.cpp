#include "service/http/wsclient.h"
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QBuffer>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QWebSocket>
#include <QWebSocketServer>

#include <functional>
#include <memory>

namespace Kiln::Http::Tests {
namespace {

using Kiln::Test::randomBytes;
using Kiln::Test::holdsFor;
using Kiln::Test::waitUntil;

constexpr qint64 MiB = 1024 * 1024;

// Qt's own websocket server as the peer: an independent implementation of the protocol.
class WsPeer
{
public:
    QWebSocketServer server{QStringLiteral("kiln-test"), QWebSocketServer::NonSecureMode};
    QWebSocket *socket = nullptr; // the one accepted connection
    QList<QByteArray> messages; // whole binary messages received
    std::function<void(QWebSocket *, const QByteArray &)> onMessage;

    WsPeer()
    {
        EXPECT_TRUE(server.listen(QHostAddress::LocalHost, 0));
        server.setMaxPendingConnections(4);
        QObject::connect(&server, &QWebSocketServer::newConnection, [this] {
            socket = server.nextPendingConnection();
            socket->setMaxAllowedIncomingMessageSize(256 * MiB);
            QObject::connect(socket, &QWebSocket::binaryMessageReceived,
                             [this](const QByteArray &m) {
                                 messages.append(m);
                                 if (onMessage)
                                     onMessage(socket, m);
                             });
        });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.serverPort()));
    }
};

// What a client saw: messages reassembled from their pieces.
struct Seen
{
    bool opened = false;
    QString broken;
    QList<QByteArray> messages;
    QList<bool> binary;
    QByteArray current;
    int pieces = 0;
    int sent = 0;

    void watch(WsClient &client)
    {
        QObject::connect(&client, &WsClient::opened, [this] { opened = true; });
        QObject::connect(&client, &WsClient::broken, [this](const QString &why) { broken = why; });
        QObject::connect(&client, &WsClient::messageBegun, [this](bool b) {
            binary.append(b);
            current.clear();
        });
        QObject::connect(&client, &WsClient::messageData, [this](const QByteArray &chunk) {
            current += chunk;
            ++pieces;
        });
        QObject::connect(&client, &WsClient::messageEnded, [this] { messages.append(current); });
        QObject::connect(&client, &WsClient::sent, [this] { ++sent; });
    }
};

// Opens a client against a server that answers the upgrade request with answer; what broke it
// (empty if it opened or nothing happened within the deadline).
QString brokenHandshake(const QByteArray &answer)
{
    QTcpServer server;
    EXPECT_TRUE(server.listen(QHostAddress::LocalHost, 0));
    QObject::connect(&server, &QTcpServer::newConnection, [&] {
        QTcpSocket *s = server.nextPendingConnection();
        QObject::connect(s, &QTcpSocket::readyRead, [s, answer] {
            s->readAll();
            s->write(answer);
        });
    });
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(server.serverPort())));
    EXPECT_TRUE(waitUntil([&] { return !seen.broken.isEmpty() || seen.opened; }, 20000));
    EXPECT_FALSE(seen.opened);
    return seen.broken;
}

TEST(WsClient, StreamsAMessageOutInFramesAndTheAnswerBackInPieces)
{
    WsPeer peer;
    peer.onMessage = [](QWebSocket *s, const QByteArray &m) { s->sendBinaryMessage(m); };
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(peer.url());
    ASSERT_TRUE(waitUntil([&] { return seen.opened || !seen.broken.isEmpty(); }, 20000));
    ASSERT_TRUE(seen.opened) << seen.broken.toStdString();

    client.sendMessage(R"({"path":"o"})");
    const QByteArray payload = randomBytes(20 * MiB + 123, 3);
    auto device = std::make_unique<QBuffer>();
    device->setData(payload);
    device->open(QIODevice::ReadOnly);
    client.sendStream(std::move(device), payload.size());
    ASSERT_TRUE(waitUntil([&] { return seen.messages.size() == 2 || !seen.broken.isEmpty(); }, 20000))
        << seen.messages.size();
    ASSERT_TRUE(seen.broken.isEmpty()) << seen.broken.toStdString();
    ASSERT_EQ(peer.messages.size(), 2);
    EXPECT_EQ(peer.messages[0], R"({"path":"o"})");
    EXPECT_TRUE(peer.messages[1] == payload) << "Qt's server unmasked and joined our frames";
    EXPECT_EQ(seen.sent, 1);
    EXPECT_TRUE(seen.messages[1] == payload);
    EXPECT_GT(seen.pieces, 2) << "the answer was handed on as it arrived";
    EXPECT_EQ(seen.binary, (QList<bool>{true, true}));
}

TEST(WsClient, AnEmptyStreamIsOneEmptyMessage)
{
    WsPeer peer;
    peer.onMessage = [](QWebSocket *s, const QByteArray &m) {
        s->sendBinaryMessage("got " + QByteArray::number(m.size()));
    };
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(peer.url());
    ASSERT_TRUE(waitUntil([&] { return seen.opened; }, 20000));
    client.sendStream(std::make_unique<QBuffer>(), 0);
    ASSERT_TRUE(waitUntil([&] { return seen.messages.size() == 1; }, 20000));
    EXPECT_EQ(seen.messages[0], "got 0");
}

TEST(WsClient, APausedClientStopsReadingAndResumes)
{
    WsPeer peer;
    const QByteArray big = randomBytes(48 * MiB, 5);
    peer.onMessage = [&](QWebSocket *s, const QByteArray &) { s->sendBinaryMessage(big); };
    WsClient client;
    Seen seen;
    seen.watch(client);
    auto pauser = std::make_unique<QObject>();
    QObject::connect(&client, &WsClient::messageData, pauser.get(),
                     [&client](const QByteArray &) { client.setReadPaused(true); });
    client.open(peer.url());
    ASSERT_TRUE(waitUntil([&] { return seen.opened; }, 20000));
    client.sendMessage("go");
    ASSERT_TRUE(waitUntil([&] { return seen.pieces > 0; }, 20000));
    EXPECT_TRUE(holdsFor([&] { return seen.pieces == 1; }, 600))
        << "nothing is handed on while paused";
    EXPECT_EQ(seen.pieces, 1);
    EXPECT_LT(seen.current.size(), 4 * MiB);
    // Resume for good: the rest arrives.
    pauser.reset();
    client.setReadPaused(false);
    ASSERT_TRUE(waitUntil([&] { return seen.messages.size() == 1; }, 20000))
        << seen.current.size() << " bytes; broken: " << seen.broken.toStdString();
    EXPECT_EQ(seen.messages[0].size(), big.size());
    EXPECT_TRUE(seen.messages[0] == big);
}

TEST(WsClient, AnswersPingsAndTellsTextFromBinary)
{
    WsPeer peer;
    QByteArray pong;
    peer.onMessage = [&](QWebSocket *s, const QByteArray &) {
        QObject::connect(s, &QWebSocket::pong,
                         [&](quint64, const QByteArray &payload) { pong = payload; });
        s->ping("are you there");
        s->sendTextMessage(QStringLiteral("delivered by direct put"));
    };
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(peer.url());
    ASSERT_TRUE(waitUntil([&] { return seen.opened; }, 20000));
    client.sendMessage("x");
    ASSERT_TRUE(waitUntil([&] { return seen.messages.size() == 1 && !pong.isEmpty(); }, 20000));
    EXPECT_EQ(pong, "are you there");
    EXPECT_EQ(seen.binary, QList<bool>{false});
    EXPECT_EQ(seen.messages[0], "delivered by direct put");
}

TEST(WsClient, AServerCloseIsReportedWithItsCodeAndReason)
{
    WsPeer peer;
    peer.onMessage = [](QWebSocket *s, const QByteArray &) {
        s->close(QWebSocketProtocol::CloseCodeAbnormalDisconnection, QStringLiteral("boom"));
    };
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(peer.url());
    ASSERT_TRUE(waitUntil([&] { return seen.opened; }, 20000));
    client.sendMessage("x");
    ASSERT_TRUE(waitUntil([&] { return !seen.broken.isEmpty(); }, 20000));
    EXPECT_TRUE(seen.broken.contains("1006")) << seen.broken.toStdString();
    EXPECT_TRUE(seen.broken.contains("boom")) << seen.broken.toStdString();
    EXPECT_FALSE(client.isOpen());
}

TEST(WsClient, ARefusedUpgradeIsBroken)
{
    const QString why = brokenHandshake("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    EXPECT_TRUE(why.contains("404")) << why.toStdString();
}

TEST(WsClient, AWrongAcceptKeyIsBroken)
{
    const QString why = brokenHandshake(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Accept: bm90IHRoZSByaWdodCBrZXk=\r\n\r\n");
    EXPECT_TRUE(why.contains("Accept")) << why.toStdString();
}

TEST(WsClient, ARefusedConnectionIsBroken)
{
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    WsClient client;
    Seen seen;
    seen.watch(client);
    client.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/ws").arg(port)));
    ASSERT_TRUE(waitUntil([&] { return !seen.broken.isEmpty(); }, 20000));
    EXPECT_TRUE(seen.broken.contains("refused", Qt::CaseInsensitive)) << seen.broken.toStdString();
}

} // namespace
} // namespace Kiln::Http::Tests
