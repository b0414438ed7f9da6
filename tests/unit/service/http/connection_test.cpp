#include "service/http/connection.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <optional>
#include <thread>
#include <string>
#include <tuple>
#include <vector>

namespace Kiln::Http::Tests {
namespace {

using Kiln::Test::randomBytes;
using Kiln::Test::waitUntil;

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

TEST_F(ConnectionTest, SendsAFileBodyBySendfileByteExact)
{
    // Plain TCP: the body goes from the file to the socket by sendfile, not through read().
    const QByteArray expected = m_loopback.makeBigFile(64 * 1024 * 1024);
    const auto response = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient client(port);
        client.send(get("/bigcounted"));
        auto first = client.readResponse();
        client.send(get("/hello")); // the connection is usable after a sendfile body
        return std::make_pair(first, client.readResponse());
    });
    ASSERT_TRUE(response.first);
    EXPECT_EQ(response.first->status, 200);
    EXPECT_EQ(response.first->header("content-length"), QByteArray::number(expected.size()));
    ASSERT_EQ(response.first->body.size(), expected.size());
    EXPECT_TRUE(response.first->body == expected);
    // Only the small pieces parked in Qt's buffer while the socket was full were copied.
    EXPECT_LT(m_loopback.copiedBytes(), expected.size() / 8);
    ASSERT_TRUE(response.second);
    EXPECT_EQ(response.second->body, "hello");
}

TEST_F(ConnectionTest, ASlowReaderGetsTheWholeFileWhileOthersAreServed)
{
    // The reader takes its time: sendfile meets a full socket again and again and must wait for
    // room without blocking the event loop, which keeps answering another client meanwhile.
    constexpr qsizetype Size = 32 * 1024 * 1024; // more than both sockets' buffers hold
    const QByteArray expected = m_loopback.makeBigFile(Size);
    const auto result = LoopbackServer::runClient([port = m_loopback.port()] {
        RawHttpClient slow(port);
        slow.send(get("/bigcounted"));
        QByteArray received;
        int othersAnswered = 0;
        for (int i = 0; i < 100000; ++i) {
            const QByteArray some = slow.readSome(16 * 1024);
            if (some.isEmpty())
                break;
            received += some;
            std::this_thread::sleep_for(std::chrono::microseconds(300));
            if (i % 256 == 0) {
                RawHttpClient other(port, 2000);
                other.send(get("/hello"));
                const auto hello = other.readResponse();
                othersAnswered += hello && hello->body == "hello" ? 1 : 0;
            }
            const qsizetype head = received.indexOf("\r\n\r\n");
            if (head >= 0 && received.size() - head - 4 >= Size)
                break;
        }
        return std::make_pair(received, othersAnswered);
    });
    const QByteArray &received = result.first;
    const qsizetype head = received.indexOf("\r\n\r\n");
    ASSERT_GE(head, 0);
    EXPECT_TRUE(received.startsWith("HTTP/1.1 200 "));
    ASSERT_EQ(received.size() - head - 4, expected.size());
    EXPECT_TRUE(received.mid(head + 4) == expected);
    EXPECT_GE(result.second, 3);
    // The socket was found full (pieces were parked in Qt's buffer), yet most went by sendfile.
    EXPECT_GT(m_loopback.copiedBytes(), 0);
    EXPECT_LT(m_loopback.copiedBytes(), Size / 4);
    expectServerStillAnswers();
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
    EXPECT_TRUE(waitUntil([&] { return m_loopback.delayedAnswers() == Clients; }, 10000));
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

// --- tables: one row per request shape --------------------------------------------------------

// The name of a row, for the test's name (rows carry readable names, see kiln_add_unit_suite).
template<typename Row> std::string rowName(const testing::TestParamInfo<Row> &info)
{
    return info.param.name;
}

// A request whose body a route echoes: the answer is 200 with the body byte for byte.
struct EchoCase
{
    std::string name;
    QByteArray request;
    QByteArray body;
};

class EchoTest : public ConnectionTest, public testing::WithParamInterface<EchoCase>
{};

TEST_P(EchoTest, AnswersTheBodyByteExact)
{
    const EchoCase &row = GetParam();
    const auto response = LoopbackServer::runClient([port = m_loopback.port(), &row] {
        RawHttpClient client(port);
        std::optional<RawResponse> response;
        // The echo starts only once the upload ended, so sending first cannot deadlock.
        if (client.send(row.request))
            response = client.readResponse();
        return response;
    });
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    ASSERT_EQ(response->body.size(), row.body.size());
    EXPECT_TRUE(response->body == row.body);
}

QByteArray chunkedPut(const QByteArray &route, const QByteArray &framedBody)
{
    return "PUT " + route + " HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + framedBody;
}

QByteArray sizedPut(const QByteArray &route, const QByteArray &body)
{
    return "PUT " + route + " HTTP/1.1\r\nHost: h\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

std::vector<EchoCase> echoCases()
{
    const QByteArray small = randomBytes(150000, 1), large = randomBytes(6 * 1024 * 1024, 2),
                     sized = randomBytes(300000, 3);
    return {
        {"ChunkedBodyIntoAStreamingRoute", chunkedPut("/echo", chunked(small, {1, 10, 4096, 70000})),
         small},
        {"LargeChunkedUploadStreamsThrough", chunkedPut("/echo", chunked(large, {65536})), large},
        {"ContentLengthBodyIntoAStreamingRoute", sizedPut("/echo", sized), sized},
        {"BufferedBodyWithinItsLimit", sizedPut("/buffered", "abcd"), "abcd"},
    };
}

INSTANTIATE_TEST_SUITE_P(Bodies, EchoTest, testing::ValuesIn(echoCases()), rowName<EchoCase>);

// A request, its answer, then GET /hello on the same connection: the connection stays usable.
struct KeptCase
{
    std::string name;
    QByteArray request;
    int status;
    QByteArray body; // empty: not compared
};

class KeptAliveTest : public ConnectionTest, public testing::WithParamInterface<KeptCase>
{};

TEST_P(KeptAliveTest, AnswersThenServesTheNextRequest)
{
    const KeptCase &row = GetParam();
    const auto responses = LoopbackServer::runClient([port = m_loopback.port(), &row] {
        RawHttpClient client(port);
        client.send(row.request);
        auto first = client.readResponse();
        client.send(get("/hello"));
        return std::make_pair(first, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, row.status);
    if (!row.body.isEmpty())
        EXPECT_EQ(responses.first->body, row.body);
    EXPECT_FALSE(responses.first->closesConnection());
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->body, "hello");
}

INSTANTIATE_TEST_SUITE_P(
    Requests, KeptAliveTest,
    testing::Values(
        KeptCase{"ChunkExtensionsAndTrailers",
                 chunkedPut("/echo", "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"),
                 200, "hello world"},
        KeptCase{"BufferedBodyOverItsLimitIs413", sizedPut("/buffered", QByteArray(5000, 'z')), 413,
                 {}},
        // An early answer skips the body it did not read.
        KeptCase{"EarlyAnswerSkipsTheUnreadBody", sizedPut("/reject", "0123456789"), 404, {}}),
    rowName<KeptCase>);

// Expect: 100-continue: the interim 100 comes before the client sends the body.
struct ContinueCase
{
    std::string name;
    QByteArray route;
    QByteArray body;
};

class ContinueTest : public ConnectionTest, public testing::WithParamInterface<ContinueCase>
{};

TEST_P(ContinueTest, SendsContinueBeforeTheBody)
{
    const ContinueCase &row = GetParam();
    const auto responses = LoopbackServer::runClient([port = m_loopback.port(), &row] {
        RawHttpClient client(port);
        client.send("PUT " + row.route + " HTTP/1.1\r\nHost: h\r\nContent-Length: "
                    + QByteArray::number(row.body.size()) + "\r\nExpect: 100-continue\r\n\r\n");
        auto interim = client.readResponse();
        client.send(row.body);
        return std::make_pair(interim, client.readResponse());
    });
    ASSERT_TRUE(responses.first);
    EXPECT_EQ(responses.first->status, 100);
    ASSERT_TRUE(responses.second);
    EXPECT_EQ(responses.second->status, 200);
    EXPECT_EQ(responses.second->body, row.body);
}

INSTANTIATE_TEST_SUITE_P(Routes, ContinueTest,
                         testing::Values(ContinueCase{"StreamingRoute", "/echo", "hello world"},
                                         ContinueCase{"BufferedRoute", "/buffered", "abc"}),
                         rowName<ContinueCase>);

// A request after which the server closes the connection; a new client is still served.
struct ClosingCase
{
    std::string name;
    QByteArray request;
    int status;
    QByteArray body;     // empty: not compared
    bool announcesClose; // the answer says Connection: close
    bool aisErrorBody;   // the answer is an AIS error body naming the status
};

class ClosingTest : public ConnectionTest, public testing::WithParamInterface<ClosingCase>
{};

TEST_P(ClosingTest, AnswersThenClosesTheConnection)
{
    const ClosingCase &row = GetParam();
    const auto result = LoopbackServer::runClient([port = m_loopback.port(), &row] {
        RawHttpClient client(port);
        client.send(row.request);
        auto response = client.readResponse();
        return std::make_pair(response, client.waitForClose());
    });
    ASSERT_TRUE(result.first);
    EXPECT_EQ(result.first->status, row.status);
    if (!row.body.isEmpty())
        EXPECT_EQ(result.first->body, row.body);
    if (row.announcesClose)
        EXPECT_TRUE(result.first->closesConnection());
    if (row.aisErrorBody) {
        const QJsonObject body = QJsonDocument::fromJson(result.first->body).object();
        EXPECT_FALSE(body.value("message").toString().isEmpty());
        EXPECT_EQ(body.value("status").toInt(), row.status);
    }
    EXPECT_TRUE(result.second) << "the connection stays open";
    expectServerStillAnswers();
}

QByteArray continuePut(const QByteArray &route)
{
    return "PUT " + route + " HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n"
                            "Expect: 100-continue\r\n\r\n";
}

INSTANTIATE_TEST_SUITE_P(
    Requests, ClosingTest,
    testing::Values(
        ClosingCase{"GarbageIs400", "\x01\x02 this is not HTTP at all\r\n\r\n", 400, {}, true, true},
        ClosingCase{"OversizedHeaderIs431",
                    "GET /hello HTTP/1.1\r\nHost: h\r\nX-Big: " + QByteArray(100 * 1024, 'a')
                        + "\r\n\r\n",
                    431, {}, false, true},
        ClosingCase{"OverlongUrlIs414", get("/params/b/" + QByteArray(Connection::MaxUrlBytes, 'o')),
                    414, {}, false, false},
        ClosingCase{"HttpOneZeroWithoutKeepAlive", "GET /hello HTTP/1.0\r\n\r\n", 200, "hello", true,
                    false},
        ClosingCase{"ConnectionCloseIsHonoured",
                    "GET /hello HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", 200, "hello", true,
                    false},
        // The client may skip the body it announced once it sees a final status, so the server
        // cannot know where the next request starts: it must not offer to keep the connection.
        ClosingCase{"EarlyAnswerAwaitingContinueRejected", continuePut("/reject"), 404, {}, true,
                    false},
        ClosingCase{"EarlyAnswerAwaitingContinueNoRoute", continuePut("/nowhere"), 404, {}, true,
                    false},
        ClosingCase{"MalformedBodyAfterAnEarlyAnswer",
                    chunkedPut("/reject", "zz\r\nnot a chunk\r\n"), 404, {}, false, false}),
    rowName<ClosingCase>);

// A good request, then bytes that cannot start one: the answer, then 400, then the close.
struct TrailingGarbageCase
{
    std::string name;
    QByteArray garbage;
    bool announcesClose;
};

class TrailingGarbageTest : public ConnectionTest,
                            public testing::WithParamInterface<TrailingGarbageCase>
{};

TEST_P(TrailingGarbageTest, Is400AfterTheGoodAnswer)
{
    const TrailingGarbageCase &row = GetParam();
    const auto result = LoopbackServer::runClient([port = m_loopback.port(), &row] {
        RawHttpClient client(port);
        client.send(get("/hello") + row.garbage);
        auto first = client.readResponse();
        auto second = client.readResponse();
        return std::make_tuple(first, second, client.waitForClose());
    });
    ASSERT_TRUE(std::get<0>(result));
    EXPECT_EQ(std::get<0>(result)->body, "hello");
    ASSERT_TRUE(std::get<1>(result));
    EXPECT_EQ(std::get<1>(result)->status, 400);
    if (row.announcesClose)
        EXPECT_TRUE(std::get<1>(result)->closesConnection());
    EXPECT_TRUE(std::get<2>(result));
}

INSTANTIATE_TEST_SUITE_P(
    Requests, TrailingGarbageTest,
    testing::Values(TrailingGarbageCase{"NotHttp", "NOT HTTP\r\n\r\n", false},
                    // A client whose Content-Length fell short leaves body bytes where a request
                    // should start.
                    TrailingGarbageCase{"LeftoverBody", "\x01\x02 leftover body\r\n\r\n", true}),
    rowName<TrailingGarbageCase>);

} // namespace
} // namespace Kiln::Http::Tests
