#include "service/http/connection.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

#include <vector>

namespace Kiln::Http::Tests {
namespace {

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (char &c : bytes)
        c = char(generator.bounded(256));
    return bytes;
}

// The body in HTTP/1.1 chunked framing, cut into the given chunk sizes (the last one repeats).
QByteArray chunked(const QByteArray &body, const std::vector<qsizetype> &sizes)
{
    QByteArray out;
    qsizetype at = 0;
    size_t i = 0;
    while (at < body.size()) {
        const qsizetype size = std::min(sizes[std::min(i++, sizes.size() - 1)], body.size() - at);
        out += QByteArray::number(size, 16) + "\r\n" + body.mid(at, size) + "\r\n";
        at += size;
    }
    return out + "0\r\n\r\n";
}

QByteArray get(const QByteArray &path)
{
    return "GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n";
}

class ConnectionTest : public testing::Test
{
protected:
    // After whatever a test did, a new client is still served.
    void expectServerStillAnswers()
    {
        const quint16 port = m_loopback.port();
        const auto response = LoopbackServer::runClient([port] {
            RawHttpClient client(port);
            client.send(get("/hello"));
            return client.readResponse();
        });
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "hello");
    }

    LoopbackServer m_loopback;
};

TEST_F(ConnectionTest, ServesASecondRequestOnAKeptAliveConnection)
{
    const quint16 port = m_loopback.port();
    const auto responses = LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        client.send(get("/hello"));
        auto first = client.readResponse();
        client.send(get("/params/b/o"));
        auto second = client.readResponse();
        return std::make_pair(first, second);
    });
    ASSERT_TRUE(responses.first);
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.first->body, "hello");
    EXPECT_EQ(responses.first->header("connection"), "keep-alive");
    EXPECT_EQ(responses.second->body, "b\no");
}

TEST_F(ConnectionTest, AnswersPipelinedRequestsInOrder)
{
    // The first answer comes last if answers went out as they were ready.
    const quint16 port = m_loopback.port();
    const auto bodies = LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        client.send(get("/delay/80") + get("/delay/0") + get("/delay/30") + get("/hello"));
        QList<QByteArray> bodies;
        for (int i = 0; i < 4; ++i) {
            const auto response = client.readResponse();
            bodies << (response ? response->body : QByteArray("<none>"));
        }
        return bodies;
    });
    EXPECT_EQ(bodies, (QList<QByteArray>{"80", "0", "30", "hello"}));
}

TEST_F(ConnectionTest, AnswersManyPipelinedRequests)
{
    // Deep enough that handling each answered request one call deeper than the last (as a
    // resume-from-parse recursion did) overflows the stack.
    constexpr int Requests = 100000;
    const quint16 port = m_loopback.port();
    const int answered = LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        QByteArray all;
        for (int i = 0; i < Requests; ++i)
            all += get("/hello");
        // Read while sending, or both sides could stall on full socket buffers.
        int count = 0;
        std::thread sender([&client, all] { client.send(all); });
        while (count < Requests) {
            const auto response = client.readResponse();
            if (!response || response->body != "hello")
                break;
            ++count;
        }
        sender.join();
        return count;
    });
    EXPECT_EQ(answered, Requests);
}

TEST_F(ConnectionTest, ReadsAChunkedBodyIntoAStreamingRoute)
{
    const QByteArray body = randomBytes(150000, 1);
    const QByteArray request = "PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(body, {1, 10, 4096, 70000});
    const quint16 port = m_loopback.port();
    const auto response = LoopbackServer::runClient([port, request] {
        RawHttpClient client(port);
        client.send(request);
        return client.readResponse();
    });
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body.size(), body.size());
    EXPECT_TRUE(response->body == body);
}

TEST_F(ConnectionTest, ReadsChunkExtensionsAndTrailers)
{
    const QByteArray request = "PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n";
    const quint16 port = m_loopback.port();
    const auto responses = LoopbackServer::runClient([port, request] {
        RawHttpClient client(port);
        client.send(request);
        auto echo = client.readResponse();
        client.send(get("/hello"));
        return std::make_pair(echo, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->body, "hello world");
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "hello");
}

TEST_F(ConnectionTest, StreamsALargeChunkedUploadThrough)
{
    const QByteArray body = randomBytes(6 * 1024 * 1024, 2);
    const QByteArray request = "PUT /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunked(body, {65536});
    const quint16 port = m_loopback.port();
    const auto response = LoopbackServer::runClient([port, request] {
        RawHttpClient client(port);
        std::optional<RawResponse> response;
        // The echo starts only once the upload ended, so sending first cannot deadlock.
        if (client.send(request))
            response = client.readResponse();
        return response;
    });
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body.size(), body.size());
    EXPECT_TRUE(response->body == body);
}

TEST_F(ConnectionTest, ReadsAContentLengthBodyIntoAStreamingRoute)
{
    const QByteArray body = randomBytes(300000, 3);
    const QByteArray request = "PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    const quint16 port = m_loopback.port();
    const auto response = LoopbackServer::runClient([port, request] {
        RawHttpClient client(port);
        client.send(request);
        return client.readResponse();
    });
    ASSERT_TRUE(response);
    EXPECT_TRUE(response->body == body);
}

TEST_F(ConnectionTest, EchoesABufferedBodyWithinItsLimit)
{
    const auto response = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("PUT /buffered HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd");
        return client.readResponse();
    });
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "abcd");
}

TEST_F(ConnectionTest, AnswersABufferedBodyOverItsLimitWith413AndStaysUsable)
{
    const QByteArray body(5000, 'z');
    const auto responses = LoopbackServer::runClient([port = m_loopback.port(), body] {
        RawHttpClient client(port);
        client.send("PUT /buffered HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + body);
        auto tooLarge = client.readResponse();
        client.send(get("/hello"));
        return std::make_pair(tooLarge, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, 413);
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "hello");
}

TEST_F(ConnectionTest, SendsContinueBeforeTheBodyWhenAsked)
{
    const auto responses = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n"
                    "Expect: 100-continue\r\n\r\n");
        auto interim = client.readResponse();
        client.send("hello world");
        return std::make_pair(interim, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, 100);
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->status, 200);
    EXPECT_EQ(responses.second->body, "hello world");
}

TEST_F(ConnectionTest, SendsContinueForABufferedRouteToo)
{
    const auto responses = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("PUT /buffered HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                    "Expect: 100-continue\r\n\r\n");
        auto interim = client.readResponse();
        client.send("abc");
        return std::make_pair(interim, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, 100);
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "abc");
}

TEST_F(ConnectionTest, EarlyAnswerToAClientAwaitingContinueClosesTheConnection)
{
    // The client may skip the body it announced once it sees a final status, so the server
    // cannot know where the next request starts: it must not offer to keep the connection.
    for (const QByteArray path : {"/reject", "/nowhere"}) {
        const auto result = LoopbackServer::runClient([port = m_loopback.port(), path] {
            RawHttpClient client(port);
            client.send("PUT " + path
                        + " HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n"
                          "Expect: 100-continue\r\n\r\n");
            auto response = client.readResponse();
            return std::make_pair(response, client.waitForClose());
        });
        ASSERT_TRUE(result.first) << path.toStdString();
        EXPECT_EQ(result.first->status, 404) << path.toStdString();
        EXPECT_TRUE(result.first->closesConnection()) << path.toStdString();
        EXPECT_TRUE(result.second) << path.toStdString();
    }
}

TEST_F(ConnectionTest, EarlyAnswerSkipsTheUnreadBodyAndStaysUsable)
{
    const auto responses = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("PUT /reject HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789");
        auto rejected = client.readResponse();
        client.send(get("/hello"));
        return std::make_pair(rejected, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, 404);
    EXPECT_FALSE(responses.first->closesConnection());
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "hello");
}

TEST_F(ConnectionTest, GarbageIs400WithAnAisErrorBodyAndTheConnectionCloses)
{
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("\x01\x02 this is not HTTP at all\r\n\r\n");
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->status, 400);
    EXPECT_TRUE(result.first->closesConnection());
    const QJsonObject body = QJsonDocument::fromJson(result.first->body).object();
    EXPECT_FALSE(body.value("message").toString().isEmpty());
    EXPECT_EQ(body.value("status").toInt(), 400);
    EXPECT_TRUE(result.second);
    expectServerStillAnswers();
}

TEST_F(ConnectionTest, GarbageAfterAGoodRequestIs400AfterItsAnswer)
{
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send(get("/hello") + "NOT HTTP\r\n\r\n");
        auto first = client.readResponse();
        auto second = client.readResponse();
        return std::make_tuple(first, second, client.waitForClose());
    });
    ASSERT_TRUE(std::get<0>(result));
    EXPECT_EQ(std::get<0>(result)->body, "hello");
    ASSERT_TRUE(std::get<1>(result));
    EXPECT_EQ(std::get<1>(result)->status, 400);
    EXPECT_TRUE(std::get<2>(result));
}

TEST_F(ConnectionTest, BytesThatCannotStartARequestAfterAnAnswerAre400)
{
    // A client whose Content-Length fell short leaves body bytes where a request should start.
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send(get("/hello") + "\x01\x02 leftover body\r\n\r\n");
        auto first = client.readResponse();
        auto second = client.readResponse();
        return std::make_tuple(first, second, client.waitForClose());
    });
    ASSERT_TRUE(std::get<0>(result));
    EXPECT_EQ(std::get<0>(result)->body, "hello");
    ASSERT_TRUE(std::get<1>(result));
    EXPECT_EQ(std::get<1>(result)->status, 400);
    EXPECT_TRUE(std::get<1>(result)->closesConnection());
    EXPECT_TRUE(std::get<2>(result));
}

TEST_F(ConnectionTest, MalformedBodyAfterAnEarlyAnswerClosesTheConnection)
{
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("PUT /reject HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\nnot a chunk\r\n");
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->status, 404);
    EXPECT_TRUE(result.second);
}

TEST_F(ConnectionTest, OversizedHeaderIs431)
{
    const QByteArray request
        = "GET /hello HTTP/1.1\r\nHost: h\r\nX-Big: " + QByteArray(100 * 1024, 'a') + "\r\n\r\n";
    const auto result = LoopbackServer::runClient([port = m_loopback.port(), request] {
        RawHttpClient client(port);
        client.send(request);
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->status, 431);
    EXPECT_EQ(QJsonDocument::fromJson(result.first->body).object().value("status").toInt(), 431);
    EXPECT_TRUE(result.second);
    expectServerStillAnswers();
}

TEST_F(ConnectionTest, OverlongUrlIs414)
{
    const QByteArray path = "/params/b/" + QByteArray(Connection::MaxUrlBytes, 'o');
    const auto result = LoopbackServer::runClient([port = m_loopback.port(), path] {
        RawHttpClient client(port);
        client.send(get(path));
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->status, 414);
    EXPECT_TRUE(result.second);
}

TEST_F(ConnectionTest, HttpOneZeroWithoutKeepAliveIsClosedAfterTheAnswer)
{
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("GET /hello HTTP/1.0\r\n\r\n");
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->body, "hello");
    EXPECT_TRUE(result.first->closesConnection());
    EXPECT_TRUE(result.second);
}

TEST_F(ConnectionTest, ConnectionCloseRequestIsHonoured)
{
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send("GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->body, "hello");
    EXPECT_TRUE(result.first->closesConnection());
    EXPECT_TRUE(result.second);
}

TEST_F(ConnectionTest, StreamsALargeFileByteExact)
{
    const QByteArray expected = m_loopback.makeBigFile(64 * 1024 * 1024);
    const auto response = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send(get("/big"));
        return client.readResponse();
    });
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("content-length"), QByteArray::number(expected.size()));
    EXPECT_FALSE(response->chunked);
    ASSERT_EQ(response->body.size(), expected.size());
    EXPECT_TRUE(response->body == expected);
}

TEST_F(ConnectionTest, StreamsABodyOfUnknownLengthChunked)
{
    const auto responses = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send(get("/unsized"));
        auto unsized = client.readResponse();
        client.send(get("/hello"));
        return std::make_pair(unsized, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_TRUE(responses.first->chunked);
    EXPECT_TRUE(responses.first->header("content-length").isEmpty());
    EXPECT_TRUE(responses.first->body == LoopbackServer::unsizedPieces().join());
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "hello");
}

TEST_F(ConnectionTest, SurvivesClientsThatLeaveMidResponse)
{
    m_loopback.makeBigFile(16 * 1024 * 1024);
    for (int i = 0; i < 10; ++i) {
        const qsizetype received = LoopbackServer::runClient([port = m_loopback.port()] {
            RawHttpClient client(port);
            client.send(get("/big"));
            qsizetype received = 0;
            while (received < 256 * 1024) {
                const QByteArray some = client.readSome(64 * 1024);
                if (some.isEmpty())
                    break;
                received += some.size();
            }
            client.abort();
            return received;
        });
        EXPECT_GE(received, 256 * 1024);
    }
    expectServerStillAnswers();
}

TEST_F(ConnectionTest, SurvivesClientsThatLeaveBeforeAnAsynchronousAnswer)
{
    constexpr int Clients = 10;
    for (int i = 0; i < Clients; ++i) {
        LoopbackServer::runClient([port = m_loopback.port()] {
            RawHttpClient client(port);
            const bool sent = client.send(get("/delay/20"));
            client.abort();
            return sent;
        });
    }
    EXPECT_TRUE(LoopbackServer::waitUntil([&] { return m_loopback.delayedAnswers() == Clients; }));
    expectServerStillAnswers();
}

TEST_F(ConnectionTest, SurvivesAClientThatLeavesMidUpload)
{
    const auto sent = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        const bool sent
            = client.send("PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n"
                          + QByteArray(300000, 'u'));
        client.abort();
        return sent;
    });
    EXPECT_TRUE(sent);
    expectServerStillAnswers();
}

} // namespace
} // namespace Kiln::Http::Tests
