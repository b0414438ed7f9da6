// HttpServer with worker threads (Http::ServerWorkers): connections dealt out to the threads,
// requests a worker does not serve moved to the home thread and back when the worker takes one
// again, in order.
#include "service/http/exchange.h"
#include "service/http/httpserver.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace Kiln::Http::Tests {
namespace {

QByteArray get(const QByteArray &path)
{
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

QByteArray put(const QByteArray &path, const QByteArray &body)
{
    return "PUT " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

// Which thread answered: "home" on the test's main thread, else the worker thread's name.
QByteArray threadTag()
{
    QThread *thread = QThread::currentThread();
    return thread == QCoreApplication::instance()->thread() ? "home"
                                                           : thread->objectName().toUtf8();
}

// Home routes: GET /obj/{name} and a streaming PUT /echo. Worker routes: GET /obj/{name}, which
// does not take names starting with "s" (RouteOptions::accepts, noting the thread it is asked
// on) and passes names starting with "h" home from its handler.
class ServerWorkersTest : public testing::Test
{
protected:
    struct AcceptLog
    {
        std::mutex mutex;
        QList<QByteArray> asked; // "<name> on <thread>"
    };

    void SetUp() override
    {
        m_server.router().add({"GET"}, "/obj/{name}", [](Exchange ex) {
            ex.respond(200, "home " + ex.param("name").toUtf8());
        });
        m_server.router().add(
            {"PUT"}, "/echo",
            [](Exchange ex) {
                auto body = std::make_shared<QByteArray>();
                ex.readBody({[body](const char *d, qsizetype n) {
                                 body->append(d, n);
                                 return true;
                             },
                             [ex, body]() mutable { ex.respond(200, threadTag() + " " + *body); },
                             {}});
            },
            RouteOptions{.streamBody = true});
        auto port = m_server.listen(QHostAddress::LocalHost, 0);
        ASSERT_TRUE(port);
        m_port = *port;
        m_server.startWorkers(3, [log = m_acceptLog](Router &r) {
            RouteOptions options;
            options.accepts = [log](const Request &, const Params &params) {
                const QString name = params.value("name");
                std::lock_guard lock(log->mutex);
                log->asked << name.toUtf8() + " on " + threadTag();
                return !name.startsWith('s');
            };
            r.add(
                {"GET"}, "/obj/{name}",
                [](Exchange ex) {
                    if (ex.param("name").startsWith('h')) {
                        EXPECT_TRUE(ex.passHome());
                        return;
                    }
                    ex.respond(200, threadTag() + " " + ex.param("name").toUtf8());
                },
                options);
        });
        ASSERT_EQ(m_server.threads(), 3);
    }

    QList<QByteArray> askedAccepts()
    {
        std::lock_guard lock(m_acceptLog->mutex);
        return m_acceptLog->asked;
    }

    std::shared_ptr<AcceptLog> m_acceptLog = std::make_shared<AcceptLog>();
    HttpServer m_server;
    quint16 m_port = 0;
};

TEST_F(ServerWorkersTest, ConnectionsAreDealtOutToEveryThread)
{
    const auto tags = LoopbackServer::runClient([port = m_port] {
        std::vector<std::unique_ptr<RawHttpClient>> clients;
        std::multiset<QByteArray> seen;
        for (int i = 0; i < 6; ++i) {
            clients.push_back(std::make_unique<RawHttpClient>(port));
            clients.back()->send(get("/obj/a"));
            auto r = clients.back()->readResponse();
            seen.insert(r ? r->body.split(' ').first() : QByteArray("none"));
        }
        return seen;
    });
    // Six connections over three threads in turn: two each.
    EXPECT_EQ(tags.count("home"), 2u);
    EXPECT_EQ(tags.count("http-1"), 2u);
    EXPECT_EQ(tags.count("http-2"), 2u);
}

TEST_F(ServerWorkersTest, AKeepAliveConnectionGoesHomeForARequestAndComesBack)
{
    const auto bodies = LoopbackServer::runClient([port = m_port] {
        // The second connection is the first worker's.
        RawHttpClient first(port), client(port);
        first.send(get("/obj/x"));
        first.readResponse();
        QList<QByteArray> out;
        for (const QByteArray &request :
             {get("/obj/a"), get("/obj/h1"), put("/echo", "some body"), get("/obj/b"),
              get("/obj/h2"), get("/obj/c")}) {
            client.send(request);
            auto r = client.readResponse();
            out << (r ? QByteArray::number(r->status) + " " + r->body : QByteArray("none"));
        }
        return out;
    });
    EXPECT_EQ(bodies, (QList<QByteArray>{"200 http-1 a", "200 home h1", "200 home some body",
                                         "200 http-1 b", "200 home h2", "200 http-1 c"}));
}

// A connection that went home stays there while its requests are ones its worker does not take,
// and goes back for the first one it does: one change of thread each way, not two per request.
TEST_F(ServerWorkersTest, AConnectionStaysHomeUntilARequestItsWorkerTakes)
{
    const auto bodies = LoopbackServer::runClient([port = m_port] {
        RawHttpClient first(port), client(port); // the second connection is the first worker's
        first.send(get("/obj/x"));
        first.readResponse();
        QList<QByteArray> out;
        for (const QByteArray &path : {"/obj/a", "/obj/s1", "/obj/s2", "/obj/s3", "/obj/b"}) {
            client.send(get(path));
            auto r = client.readResponse();
            out << (r ? r->body : QByteArray("none"));
        }
        return out;
    });
    EXPECT_EQ(bodies,
              (QList<QByteArray>{"http-1 a", "home s1", "home s2", "home s3", "http-1 b"}));
    // s1 was refused on the worker; s2 and s3 were asked about at home, where they stayed; b was
    // asked at home (taken: the connection went back) and again on the worker.
    EXPECT_EQ(askedAccepts(),
              (QList<QByteArray>{"a on http-1", "s1 on http-1", "s2 on home", "s3 on home",
                                 "b on home", "b on http-1"}));
}

TEST_F(ServerWorkersTest, ABodyThatArrivesInPiecesFollowsItsConnectionHome)
{
    const auto answers = LoopbackServer::runClient([port = m_port] {
        QList<QByteArray> out;
        for (int round = 0; round < 20; ++round) {
            // Every other connection is a worker's: both kinds, the head alone first.
            RawHttpClient client(port);
            const QByteArray body(300 * 1024 + round, char('a' + round));
            const QByteArray request = put("/echo", body);
            const qsizetype head = request.size() - body.size();
            client.send(request.left(head));
            for (qsizetype at = head; at < request.size(); at += 64 * 1024) {
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                client.send(request.mid(at, 64 * 1024));
            }
            auto r = client.readResponse();
            out << (r && r->body == "home " + body ? QByteArray("ok") : QByteArray("wrong"));
        }
        return out;
    });
    EXPECT_EQ(answers, QList<QByteArray>(20, "ok"));
}

TEST_F(ServerWorkersTest, PipelinedRequestsAreAnsweredInOrderAcrossThreads)
{
    const auto bodies = LoopbackServer::runClient([port = m_port] {
        RawHttpClient first(port), client(port);
        first.send(get("/obj/x"));
        first.readResponse();
        client.send(get("/obj/a") + get("/obj/h1") + put("/echo", "piped") + get("/obj/b")
                    + get("/obj/h2"));
        QList<QByteArray> out;
        for (int i = 0; i < 5; ++i) {
            auto r = client.readResponse();
            out << (r ? r->body : QByteArray("none"));
        }
        return out;
    });
    EXPECT_EQ(bodies, (QList<QByteArray>{"http-1 a", "home h1", "home piped", "http-1 b",
                                         "home h2"}));
}

TEST_F(ServerWorkersTest, ShutdownClosesTheConnectionsOfEveryThread)
{
    auto clients = std::make_shared<std::vector<std::unique_ptr<RawHttpClient>>>();
    LoopbackServer::runClient([port = m_port, clients] {
        for (int i = 0; i < 3; ++i) {
            clients->push_back(std::make_unique<RawHttpClient>(port));
            clients->back()->send(get("/obj/a"));
            clients->back()->readResponse();
        }
        return 0;
    });
    m_server.shutdown();
    for (auto &c : *clients)
        EXPECT_TRUE(c->waitForClose());
}

// A socket handed to a worker can be read on the worker's thread before its Connection exists,
// and its client may be gone by then: its disconnected() had no listener. The Connection still
// serves what was sent (here: an upload cut short) and then ends it, rather than waiting.
TEST(ConnectionHandOver, ASocketWhoseClientLeftBeforeItsConnectionEndsTheRequest)
{
    Router router;
    bool aborted = false, started = false;
    router.add(
        {"PUT"}, "/upload",
        [&](Exchange ex) {
            started = true;
            ex.readBody({[](const char *, qsizetype) { return true; },
                         [ex]() mutable { ex.ok(); },
                         [&aborted] { aborted = true; }});
        },
        RouteOptions{.streamBody = true});
    QTcpServer listener;
    ASSERT_TRUE(listener.listen(QHostAddress::LocalHost, 0));
    std::thread client([port = listener.serverPort()] {
        RawHttpClient c(port);
        c.send("PUT /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial");
        c.abort();
    });
    ASSERT_TRUE(Kiln::Test::waitUntil([&] { return listener.hasPendingConnections(); }));
    QTcpSocket *socket = listener.nextPendingConnection();
    client.join();
    // The bytes and the end of the stream are read before any Connection listens.
    ASSERT_TRUE(socket->state() == QAbstractSocket::UnconnectedState
                || socket->waitForDisconnected(5000));
    ASSERT_GT(socket->bytesAvailable(), 0);
    ServerContext context;
    context.router = &router;
    QPointer<Connection> connection = new Connection(socket, context);
    EXPECT_TRUE(Kiln::Test::waitUntil([&] { return connection.isNull(); }, 3000));
    EXPECT_TRUE(started);
    EXPECT_TRUE(aborted);
}

// What a handed-over socket had read already may be a whole request asking to close after its
// answer: the answer is still sent in full before the connection closes.
TEST(ConnectionHandOver, ARequestReadBeforeItsConnectionIsAnsweredThenClosed)
{
    Router router;
    router.add({"GET"}, "/x", [](Exchange ex) { ex.respond(200, "answered"); });
    QTcpServer listener;
    ASSERT_TRUE(listener.listen(QHostAddress::LocalHost, 0));
    std::optional<RawResponse> response;
    bool closed = false;
    std::atomic_bool sent = false;
    std::thread client([&, port = listener.serverPort()] {
        RawHttpClient c(port);
        c.send("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        sent = true;
        response = c.readResponse();
        closed = c.waitForClose();
    });
    ASSERT_TRUE(Kiln::Test::waitUntil([&] { return listener.hasPendingConnections() && sent; }));
    QTcpSocket *socket = listener.nextPendingConnection();
    ASSERT_TRUE(socket->bytesAvailable() > 0 || socket->waitForReadyRead(5000));
    ServerContext context;
    context.router = &router;
    QPointer<Connection> connection = new Connection(socket, context);
    EXPECT_TRUE(Kiln::Test::waitUntil([&] { return connection.isNull(); }, 5000));
    client.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "answered");
    EXPECT_TRUE(closed);
}

} // namespace
} // namespace Kiln::Http::Tests
