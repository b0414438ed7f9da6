#include "service/http/httpserver.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Http::Tests {
namespace {

QJsonObject jsonOf(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
    EXPECT_EQ(error.error, QJsonParseError::NoError) << text.toStdString();
    return doc.object();
}

// One request on a fresh connection, its answer.
std::optional<RawResponse> exchangeOnce(quint16 port, const QByteArray &request,
                                        bool headOnly = false)
{
    return LoopbackServer::runClient([=] {
        RawHttpClient client(port);
        client.send(request);
        return client.readResponse(headOnly);
    });
}

class HttpServerTest : public testing::Test
{
protected:
    LoopbackServer m_loopback;
};

TEST_F(HttpServerTest, ListensOnAFreeLoopbackPort)
{
    EXPECT_NE(m_loopback.port(), 0);
    EXPECT_EQ(m_loopback.server().port(), m_loopback.port());
}

TEST_F(HttpServerTest, ListeningOnAPortInUseFails)
{
    HttpServer second;
    const Result<quint16> port = second.listen(QHostAddress::LocalHost, m_loopback.port());
    ASSERT_FALSE(port);
    EXPECT_EQ(port.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(port.error().message.contains(QString::number(m_loopback.port())));
}

TEST_F(HttpServerTest, AnswersASimpleGet)
{
    const auto response
        = exchangeOnce(m_loopback.port(), "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->reason, "OK");
    EXPECT_EQ(response->body, "hello");
    EXPECT_EQ(response->header("content-length"), "5");
    EXPECT_EQ(response->header("content-type"), "text/plain");
    EXPECT_EQ(response->header("connection"), "keep-alive");
    EXPECT_TRUE(response->header("date").endsWith(" GMT"));
}

TEST_F(HttpServerTest, PassesDecodedRouteParameters)
{
    const auto response = exchangeOnce(
        m_loopback.port(), "GET /params/bck/dir%2Fsub/f%20x.txt HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "bck\ndir/sub/f x.txt");
}

TEST_F(HttpServerTest, UnknownRouteIs404WithAnAisErrorBody)
{
    const auto response = exchangeOnce(
        m_loopback.port(), "GET /v1/nowhere HTTP/1.1\r\nHost: h\r\nUser-Agent: unit-test\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(response->header("content-type"), "application/json");
    const QJsonObject body = jsonOf(response->body);
    EXPECT_TRUE(body.value("message").toString().contains("/v1/nowhere"));
    EXPECT_EQ(body.value("status").toInt(), 404);
    EXPECT_EQ(body.value("method").toString(), "GET");
    EXPECT_EQ(body.value("url_path").toString(), "/v1/nowhere");
    EXPECT_EQ(body.value("caller").toString(), "unit-test");
    EXPECT_EQ(body.value("node").toString(), "t[loopback]");
}

TEST_F(HttpServerTest, WrongMethodIs405WithTheAllowedMethods)
{
    const auto response = exchangeOnce(
        m_loopback.port(), "POST /multi HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 405);
    EXPECT_EQ(response->header("allow"), "DELETE, GET, PUT");
    const QJsonObject body = jsonOf(response->body);
    EXPECT_FALSE(body.value("message").toString().isEmpty());
    EXPECT_EQ(body.value("status").toInt(), 405);
}

TEST_F(HttpServerTest, HandlerErrorBecomesAnAisErrorBody)
{
    const auto response
        = exchangeOnce(m_loopback.port(), "GET /missing HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    const QJsonObject body = jsonOf(response->body);
    EXPECT_EQ(body.value("message").toString(), "ais://b/o does not exist");
    EXPECT_EQ(body.value("tcode").toString(), "ErrObjNotFound");
}

TEST_F(HttpServerTest, HeadErrorTravelsInTheHdrErrorHeader)
{
    const quint16 port = m_loopback.port();
    const auto [head, next] = LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        client.send("HEAD /missing HTTP/1.1\r\nHost: h\r\n\r\n");
        auto head = client.readResponse(true);
        // Stray body bytes after the HEAD answer would spoil this second answer.
        client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
        return std::make_pair(head, client.readResponse());
    });
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 404);
    const QJsonObject error = jsonOf(head->header("hdr-error"));
    EXPECT_EQ(error.value("message").toString(), "ais://b/o does not exist");
    EXPECT_EQ(error.value("status").toInt(), 404);
    EXPECT_EQ(error.value("method").toString(), "HEAD");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
    EXPECT_EQ(next->body, "hello");
}

TEST_F(HttpServerTest, HeadOfAnUnknownRouteCarriesTheErrorInTheHeader)
{
    const auto response
        = exchangeOnce(m_loopback.port(), "HEAD /nowhere HTTP/1.1\r\nHost: h\r\n\r\n", true);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 404);
    EXPECT_EQ(jsonOf(response->header("hdr-error")).value("status").toInt(), 404);
}

TEST_F(HttpServerTest, HeadAnswersWithTheLengthButSendsNoBody)
{
    const quint16 port = m_loopback.port();
    const auto [head, next] = LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        client.send("HEAD /hello HTTP/1.1\r\nHost: h\r\n\r\n");
        auto head = client.readResponse(true);
        client.send("GET /params/a/b HTTP/1.1\r\nHost: h\r\n\r\n");
        return std::make_pair(head, client.readResponse());
    });
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("content-length"), "5");
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "a\nb");
}

} // namespace
} // namespace Kiln::Http::Tests
