#include "service/http/httpclient.h"
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QBuffer>
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QPointer>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>

#include <functional>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace Kiln::Http::Tests {
namespace {

using Kiln::Test::randomBytes;
using Kiln::Test::waitUntil;

constexpr qint64 MiB = 1024 * 1024;

// One server-side connection: what arrived so far, and the socket to answer on.
struct Peer
{
    QTcpSocket *socket = nullptr;
    QByteArray received;
    qsizetype headEnd = -1; // index after "\r\n\r\n", -1 until the head is in
    qint64 contentLength = 0;
    qsizetype bodyBytes() const { return headEnd < 0 ? 0 : received.size() - headEnd; }
};

// A loopback server whose behaviour each test scripts: onData runs whenever bytes arrive on a
// connection (with everything received on it so far).
class ScriptedServer : public QObject
{
public:
    std::function<void(Peer &)> onData;
    int accepted = 0;

    ScriptedServer()
    {
        EXPECT_TRUE(m_server.listen(QHostAddress::LocalHost, 0));
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                ++accepted;
                auto peer = std::make_shared<Peer>();
                peer->socket = s;
                m_peers.append(peer);
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, peer] {
                    peer->received += peer->socket->readAll();
                    if (peer->headEnd < 0) {
                        const qsizetype end = peer->received.indexOf("\r\n\r\n");
                        if (end < 0)
                            return;
                        peer->headEnd = end + 4;
                        const QByteArray head = peer->received.left(end).toLower();
                        const qsizetype cl = head.indexOf("content-length:");
                        if (cl >= 0)
                            peer->contentLength
                                = head.mid(cl + 15, head.indexOf("\r\n", cl) - cl - 15)
                                      .trimmed()
                                      .toLongLong();
                    }
                    if (onData)
                        onData(*peer);
                });
            }
        });
    }
    QUrl url(const QString &path = QStringLiteral("/p")) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path));
    }
    QList<std::shared_ptr<Peer>> peers() const { return m_peers; }
    // Starts a new request on a connection: forgets the previous one's bytes.
    static void nextRequest(Peer &peer)
    {
        peer.received.remove(0, peer.headEnd + peer.contentLength);
        peer.headEnd = -1;
        peer.contentLength = 0;
    }

private:
    QTcpServer m_server;
    QList<std::shared_ptr<Peer>> m_peers;
};

ClientRequest request(const QUrl &url, const QByteArray &method = "GET")
{
    ClientRequest r;
    r.method = method;
    r.url = url;
    return r;
}

// Reads a call to its end as a consumer would; returns the body.
QByteArray readAll(ClientCall *call)
{
    QByteArray body;
    EXPECT_TRUE(waitUntil([&] {
        body += call->read(call->bytesAvailable());
        return call->isFinished() && call->bytesAvailable() == 0;
    }, 20000)) << "no end of the answer";
    return body;
}

// The usual answer: whole requests answered with "ok:<method> <body size>".
void answerWhenWhole(Peer &peer)
{
    while (peer.headEnd >= 0 && peer.bodyBytes() >= peer.contentLength) {
        const QByteArray body = peer.received.left(peer.received.indexOf(' ')) + ' '
            + QByteArray::number(peer.contentLength);
        peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size())
                           + "\r\nX-Kind: Echo\r\n\r\n" + body);
        ScriptedServer::nextRequest(peer);
        if (peer.received.indexOf("\r\n\r\n") < 0)
            return;
        peer.headEnd = peer.received.indexOf("\r\n\r\n") + 4;
        const QByteArray head = peer.received.left(peer.headEnd).toLower();
        const qsizetype cl = head.indexOf("content-length:");
        peer.contentLength = cl < 0
            ? 0
            : head.mid(cl + 15, head.indexOf("\r\n", cl) - cl - 15).trimmed().toLongLong();
    }
}

TEST(HttpClient, AnswersComeBackWithStatusHeadersAndBody)
{
    ScriptedServer server;
    server.onData = answerWhenWhole;
    HttpClient client;
    ClientRequest r = request(server.url(), "PUT");
    r.body = "12345";
    r.headers.append({QByteArray("Content-Type"), QByteArray("application/octet-stream")});
    ClientCall *call = client.send(std::move(r), &client);
    EXPECT_EQ(readAll(call), "PUT 5");
    EXPECT_EQ(call->status(), 200);
    EXPECT_EQ(call->header("x-kind"), "Echo");
    EXPECT_EQ(call->contentLength(), 5);
    EXPECT_TRUE(call->error().isEmpty()) << call->error().toStdString();
    const QByteArray head = server.peers().value(0)->received;
    EXPECT_TRUE(head.isEmpty()) << "the server saw every byte of the request";
}

TEST(HttpClient, KeepsConnectionsAliveAndSendsHeadAndSmallBodyInOneSegment)
{
    ScriptedServer server;
    QList<int> firstReadSizes;
    server.onData = [&](Peer &peer) {
        if (peer.headEnd >= 0 && firstReadSizes.size() < 10)
            firstReadSizes.append(int(peer.received.size()));
        answerWhenWhole(peer);
    };
    HttpClient client;
    for (int i = 0; i < 5; ++i) {
        ClientRequest r = request(server.url(), "PUT");
        r.body = QByteArray(1000 + i, 'x');
        ClientCall *call = client.send(std::move(r), &client);
        EXPECT_EQ(readAll(call), "PUT " + QByteArray::number(1000 + i));
        delete call;
    }
    EXPECT_EQ(server.accepted, 1) << "five calls in a row share one connection";
    EXPECT_EQ(client.idleConnections(), 1);
    // The first read of each request already held the whole body: head and body left together.
    ASSERT_FALSE(firstReadSizes.isEmpty());
    for (int size : firstReadSizes)
        EXPECT_GT(size, 1000);
}

TEST(HttpClient, SetsTcpNoDelay)
{
    ScriptedServer server;
    server.onData = answerWhenWhole;
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    readAll(call);
    // The pooled connection's socket is the client's only QTcpSocket.
    const auto sockets = client.findChildren<QTcpSocket *>();
    ASSERT_EQ(sockets.size(), 1);
    int flag = 0;
    socklen_t len = sizeof flag;
    ASSERT_EQ(
        ::getsockopt(int(sockets[0]->socketDescriptor()), IPPROTO_TCP, TCP_NODELAY, &flag, &len),
        0);
    EXPECT_NE(flag, 0);
}

TEST(HttpClient, ReadsTheAnswerWhileTheBodyIsStillGoingOut)
{
    // The server echoes every byte as it arrives (chunked), before it has the whole body: a
    // client that answers only after the upload would fill both sockets and stall.
    ScriptedServer server;
    qint64 echoed = 0;
    server.onData = [&](Peer &peer) {
        if (peer.headEnd < 0)
            return;
        if (echoed == 0 && peer.bodyBytes() > 0)
            peer.socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        const QByteArray fresh = peer.received.mid(peer.headEnd + echoed);
        if (!fresh.isEmpty()) {
            peer.socket->write(QByteArray::number(fresh.size(), 16) + "\r\n" + fresh + "\r\n");
            echoed += fresh.size();
        }
        if (echoed == peer.contentLength)
            peer.socket->write("0\r\n\r\n");
    };
    const QByteArray payload = randomBytes(48 * MiB, 7);
    HttpClient client;
    ClientRequest r = request(server.url(), "PUT");
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(payload);
    buffer->open(QIODevice::ReadOnly);
    r.bodyDevice = std::move(buffer);
    r.bodySize = payload.size();
    ClientCall *call = client.send(std::move(r), &client);
    const QByteArray body = readAll(call);
    EXPECT_TRUE(call->error().isEmpty()) << call->error().toStdString();
    EXPECT_EQ(body.size(), payload.size());
    EXPECT_TRUE(body == payload);
}

// A PUT whose body is the file's bytes from `from` on, as HttpTransform sends an object.
ClientRequest filePut(const QUrl &url, const QString &path, qint64 from, qint64 size)
{
    ClientRequest r = request(url, "PUT");
    auto file = std::make_unique<QFile>(path);
    EXPECT_TRUE(file->open(QIODevice::ReadOnly));
    EXPECT_TRUE(file->seek(from));
    r.bodyDevice = std::move(file);
    r.bodySize = size;
    return r;
}

// The server keeps every body it was sent, in order, and answers each with its length.
void keepBodies(Peer &peer, QList<QByteArray> *bodies)
{
    while (peer.headEnd >= 0 && peer.bodyBytes() >= peer.contentLength) {
        bodies->append(peer.received.mid(peer.headEnd, peer.contentLength));
        const QByteArray length = QByteArray::number(peer.contentLength);
        peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(length.size())
                           + "\r\n\r\n" + length);
        ScriptedServer::nextRequest(peer);
        const qsizetype end = peer.received.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        peer.headEnd = end + 4;
        const QByteArray head = peer.received.left(end).toLower();
        const qsizetype cl = head.indexOf("content-length:");
        peer.contentLength = head.mid(cl + 15, head.indexOf("\r\n", cl) - cl - 15).trimmed().toLongLong();
    }
}

// A file of random bytes, a server that keeps every body it is sent, and a client.
struct FileUpload
{
    FileUpload(qint64 size, quint32 seed)
        : payload(randomBytes(size, seed))
    {
        EXPECT_TRUE(file.open());
        EXPECT_EQ(file.write(payload), payload.size());
        file.flush();
        server.onData = [this](Peer &peer) { keepBodies(peer, &bodies); };
    }
    QByteArray payload;
    QTemporaryFile file;
    ScriptedServer server;
    QList<QByteArray> bodies;
    HttpClient client;
};

TEST(HttpClient, AFileBodyGoesOutByteExactFromItsPositionOnAKeptConnection)
{
    // Large file bodies go by sendfile: a socket that fills up (48 MiB to a server on this
    // thread) parks a piece in Qt's buffer and goes on when there is room, in order.
    FileUpload u(48 * MiB + 12345, 5);
    auto &[payload, file, server, bodies, client] = u;
    const qint64 from = 777;
    ClientCall *first
        = client.send(filePut(server.url(), file.fileName(), from, payload.size() - from), &client);
    EXPECT_EQ(readAll(first), QByteArray::number(payload.size() - from));
    EXPECT_TRUE(first->error().isEmpty()) << first->error().toStdString();
    ClientCall *second = client.send(filePut(server.url(), file.fileName(), 0, 200 * 1024), &client);
    EXPECT_EQ(readAll(second), QByteArray::number(200 * 1024));
    ASSERT_EQ(bodies.size(), 2);
    EXPECT_TRUE(bodies[0] == payload.mid(from)) << "first body differs";
    EXPECT_TRUE(bodies[1] == payload.left(200 * 1024)) << "second body differs";
    EXPECT_EQ(server.accepted, 1) << "the connection is kept after a file body";
}

TEST(HttpClient, AFileBodyIsSentWholeAgainWhenTheServerHadClosedTheConnection)
{
    FileUpload u(3 * MiB + 1, 9);
    auto &[payload, file, server, bodies, client] = u;
    EXPECT_EQ(readAll(client.send(request(server.url()), &client)), "0");
    ASSERT_EQ(client.idleConnections(), 1);
    server.peers().value(0)->socket->abort();
    ClientCall *call = client.send(filePut(server.url(), file.fileName(), 0, payload.size()), &client);
    EXPECT_EQ(readAll(call), QByteArray::number(payload.size()));
    EXPECT_TRUE(call->error().isEmpty()) << call->error().toStdString();
    ASSERT_EQ(bodies.size(), 2);
    EXPECT_TRUE(bodies[1] == payload) << "the body sent again differs";
}

TEST(HttpClient, HoldsAtMostItsBufferWhenTheReaderFallsBehind)
{
    const QByteArray payload = randomBytes(40 * MiB, 11);
    ScriptedServer server;
    server.onData = [&](Peer &peer) {
        if (peer.headEnd >= 0)
            peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: "
                               + QByteArray::number(payload.size()) + "\r\n\r\n" + payload);
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    ASSERT_TRUE(waitUntil([&] { return call->bytesAvailable() > 0; }, 20000));
    // Nobody reads for a while: the call stops taking bytes from the socket.
    QElapsedTimer t;
    t.start();
    qint64 most = 0;
    waitUntil([&] {
        most = std::max(most, call->bytesAvailable());
        return t.elapsed() > 700;
    }, 20000);
    EXPECT_LE(most, ClientCall::MaxBuffered + 256 * 1024);
    EXPECT_FALSE(call->isFinished());
    const QByteArray body = readAll(call);
    EXPECT_TRUE(body == payload);
}

TEST(HttpClient, AnAnswerWithoutLengthEndsWithTheConnection)
{
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd < 0)
            return;
        peer.socket->write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
        peer.socket->disconnectFromHost();
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    EXPECT_EQ(readAll(call), "until the end");
    EXPECT_TRUE(call->error().isEmpty()) << call->error().toStdString();
    EXPECT_EQ(client.idleConnections(), 0);
}

TEST(HttpClient, AnAnswerCutShortIsAnErrorNotAShortBody)
{
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd < 0)
            return;
        peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
        peer.socket->disconnectFromHost();
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    const QByteArray body = readAll(call);
    EXPECT_EQ(body, "only this");
    EXPECT_EQ(call->status(), 200);
    EXPECT_FALSE(call->error().isEmpty());
}

TEST(HttpClient, AsksAgainWhenTheServerHadClosedAnIdleConnection)
{
    ScriptedServer server;
    int answered = 0;
    server.onData = [&](Peer &peer) {
        if (peer.headEnd < 0 || peer.bodyBytes() < peer.contentLength)
            return;
        ++answered;
        peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        ScriptedServer::nextRequest(peer);
    };
    HttpClient client;
    ClientCall *first = client.send(request(server.url()), &client);
    EXPECT_EQ(readAll(first), "ok");
    ASSERT_EQ(client.idleConnections(), 1);
    // The server drops the idle connection; the client learns it only when it uses it again
    // (the next call is sent before the close is seen).
    server.peers().value(0)->socket->abort();
    ClientRequest r = request(server.url(), "PUT");
    r.body = QByteArray(10, 'y');
    ClientCall *second = client.send(std::move(r), &client);
    EXPECT_EQ(readAll(second), "ok");
    EXPECT_TRUE(second->error().isEmpty()) << second->error().toStdString();
    EXPECT_EQ(answered, 2);
    EXPECT_EQ(server.accepted, 2);
}

TEST(HttpClient, ConnectionRefusedIsAnError)
{
    QTcpServer probe;
    ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    HttpClient client;
    ClientCall *call
        = client.send(request(QUrl(QStringLiteral("http://127.0.0.1:%1/x").arg(port))), &client);
    ASSERT_TRUE(waitUntil([&] { return call->isFinished(); }, 20000));
    EXPECT_EQ(call->status(), 0);
    EXPECT_TRUE(call->error().contains("refused", Qt::CaseInsensitive))
        << call->error().toStdString();
    // The communicator tries a refused connection again (AIS's soft error), not a hang-up.
    EXPECT_TRUE(call->connectionRefused());
}

TEST(HttpClient, AHangUpWithoutAnAnswerIsNotARefusedConnection)
{
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd >= 0)
            peer.socket->disconnectFromHost(); // read the request, answer nothing
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    ASSERT_TRUE(waitUntil([&] { return call->isFinished(); }, 20000));
    EXPECT_EQ(call->status(), 0);
    EXPECT_TRUE(call->error().contains("without an answer")) << call->error().toStdString();
    EXPECT_FALSE(call->connectionRefused());
}

TEST(HttpClient, AnEarlyAnswerEndsTheUploadAndTheConnection)
{
    // The server refuses at once, without reading the large body.
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd >= 0 && !peer.socket->property("answered").toBool()) {
            peer.socket->setProperty("answered", true);
            peer.socket->write("HTTP/1.1 413 Too Large\r\nContent-Length: 8\r\n\r\ntoo much");
        }
    };
    HttpClient client;
    ClientRequest r = request(server.url(), "PUT");
    auto buffer = std::make_unique<QBuffer>();
    buffer->setData(QByteArray(64 * MiB, 'z'));
    buffer->open(QIODevice::ReadOnly);
    r.bodyDevice = std::move(buffer);
    r.bodySize = 64 * MiB;
    ClientCall *call = client.send(std::move(r), &client);
    EXPECT_EQ(readAll(call), "too much");
    EXPECT_EQ(call->status(), 413);
    EXPECT_TRUE(call->error().isEmpty()) << call->error().toStdString();
    EXPECT_EQ(client.idleConnections(), 0) << "a connection out of step is never reused";
}

TEST(HttpClient, SkipsInformationalAnswers)
{
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd >= 0 && peer.bodyBytes() >= peer.contentLength)
            peer.socket->write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
                               "Content-Length: 4\r\n\r\ndone");
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url(), "POST"), &client);
    EXPECT_EQ(readAll(call), "done");
    EXPECT_EQ(call->status(), 201);
}

TEST(HttpClient, AbortingACallClosesItsConnectionAndSignalsNothing)
{
    ScriptedServer server;
    server.onData = [](Peer &peer) {
        if (peer.headEnd >= 0)
            peer.socket->write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\nstart");
    };
    HttpClient client;
    ClientCall *call = client.send(request(server.url()), &client);
    int signals_ = 0;
    QObject::connect(call, &ClientCall::finished, [&] { ++signals_; });
    ASSERT_TRUE(waitUntil([&] { return call->headersReceived(); }, 20000));
    call->abort();
    QPointer<QTcpSocket> serverSide = server.peers().value(0)->socket;
    EXPECT_TRUE(waitUntil(
        [&] { return !serverSide || serverSide->state() == QAbstractSocket::UnconnectedState; }, 20000));
    EXPECT_EQ(signals_, 0);
    EXPECT_EQ(client.idleConnections(), 0);
}

TEST(HttpClient, AStrangeUrlFailsFromTheEventLoop)
{
    HttpClient client;
    ClientCall *call = client.send(request(QUrl("https://127.0.0.1:1/x")), &client);
    EXPECT_FALSE(call->isFinished()) << "nothing is reported before the caller can connect";
    bool finished = false;
    QObject::connect(call, &ClientCall::finished, [&] { finished = true; });
    ASSERT_TRUE(waitUntil([&] { return finished; }, 20000));
    EXPECT_TRUE(call->error().contains("plain http"));
}

} // namespace
} // namespace Kiln::Http::Tests
