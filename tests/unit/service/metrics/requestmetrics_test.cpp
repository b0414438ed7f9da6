#include "service/http/request.h"
#include "service/metrics/registry.h"
#include "service/metrics/requestmetrics.h"
#include "tests/unit/support/waituntil.h"
#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/service/http/rawhttpclient.h"

#include <gtest/gtest.h>

#include <vector>

namespace Kiln::Http::Tests {
namespace {

struct Seen
{
    QByteArray method;
    QByteArray path;
    int status = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    bool complete = true;
};

// The HTTP layer's observer, on a real server: each answered request is reported once, with
// what went over the wire.
class AnswerObserverTest : public testing::Test
{
protected:
    void SetUp() override
    {
        m_loopback.server().setAnswerObserver([this](const AnsweredRequest &a) {
            EXPECT_GT(a.elapsedNs, 0);
            m_seen.push_back(
                {a.request.method, a.request.rawPath, a.status, a.bytesIn, a.bytesOut, a.complete});
        });
    }

    LoopbackServer m_loopback;
    std::vector<Seen> m_seen;
};

TEST_F(AnswerObserverTest, ReportsEachAnswerOnceWithItsBodySizes)
{
    const QByteArray body(1000, 'b');
    const quint16 port = m_loopback.port();
    const bool answered = LoopbackServer::runClient([port, body] {
        RawHttpClient client(port);
        client.send("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n");
        const auto hello = client.readResponse();
        client.send("PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + body);
        const auto echo = client.readResponse();
        client.send("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n");
        const auto missing = client.readResponse();
        client.send("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n");
        const auto nowhere = client.readResponse();
        return hello && echo && missing && nowhere;
    });
    ASSERT_TRUE(answered);
    ASSERT_TRUE(Kiln::Test::waitUntil([this] { return m_seen.size() >= 4; }, 20000));
    ASSERT_EQ(m_seen.size(), 4u);
    EXPECT_EQ(m_seen[0].path, "/hello");
    EXPECT_EQ(m_seen[0].status, 200);
    EXPECT_EQ(m_seen[0].bytesOut, 5);
    EXPECT_EQ(m_seen[1].method, "PUT");
    EXPECT_EQ(m_seen[1].bytesIn, 1000);
    EXPECT_EQ(m_seen[1].bytesOut, 1000);
    EXPECT_EQ(m_seen[2].status, 404);
    EXPECT_EQ(m_seen[3].status, 404); // no route: answered by the connection itself
    for (const Seen &s : m_seen)
        EXPECT_TRUE(s.complete);
}

TEST_F(AnswerObserverTest, AStreamTheClientLeftIsReportedIncomplete)
{
    const QByteArray big = m_loopback.makeBigFile(64 * 1024 * 1024);
    const quint16 port = m_loopback.port();
    LoopbackServer::runClient([port] {
        RawHttpClient client(port);
        client.send("GET /big HTTP/1.1\r\nHost: h\r\n\r\n");
        client.readSome(64 * 1024); // the head and a little of the body
        client.abort();
        return true;
    });
    ASSERT_TRUE(Kiln::Test::waitUntil([this] { return !m_seen.empty(); }, 20000));
    EXPECT_EQ(m_seen[0].status, 200);
    EXPECT_FALSE(m_seen[0].complete);
    EXPECT_LT(m_seen[0].bytesOut, big.size());
}

} // namespace
} // namespace Kiln::Http::Tests

namespace Kiln::Metrics {
namespace {

Http::Request request(const QByteArray &method, const QByteArray &path)
{
    Http::Request r;
    r.method = method;
    r.rawPath = path;
    return r;
}

std::uint64_t value(Registry &r, const std::string &name)
{
    return r.counter(name, "").unlabelled().value();
}

TEST(RequestMetricsTest, CountsObjectOperationsBytesAndErrorsUnderAisNames)
{
    Registry r;
    RequestMetrics metrics(r, "target");
    const auto get = request("GET", "/v1/objects/b/o");
    const auto put = request("PUT", "/v1/objects/b/dir/o");
    const auto list = request("GET", "/v1/buckets/b");
    metrics.observe({get, 200, 0, 16384, 1000, true});
    metrics.observe({get, 206, 0, 100, 1000, true});
    metrics.observe({get, 404, 0, 80, 1000, true});
    metrics.observe({get, 200, 0, 4096, 1000, false}); // the client left mid-body
    metrics.observe({put, 200, 777, 0, 5000, true});
    metrics.observe({request("DELETE", "/v1/objects/b/o"), 200, 0, 0, 10, true});
    metrics.observe({list, 200, 0, 300, 10, true});
    metrics.observe({request("GET", "/v1/buckets/"), 200, 0, 300, 10, true}); // not a listing
    metrics.observe({request("GET", "/v1/health"), 200, 0, 0, 10, true});
    EXPECT_EQ(value(r, "ais_target_get_count"), 2u);
    EXPECT_EQ(value(r, "ais_target_get_bytes"), 16484u);
    EXPECT_EQ(value(r, "ais_target_err_get_count"), 2u);
    EXPECT_EQ(value(r, "ais_target_get_ns_total"), 2000u);
    EXPECT_EQ(value(r, "ais_target_put_count"), 1u);
    EXPECT_EQ(value(r, "ais_target_put_bytes"), 777u);
    EXPECT_EQ(value(r, "ais_target_del_count"), 1u);
    EXPECT_EQ(value(r, "ais_target_lst_count"), 1u);
    const QByteArray text = r.render();
    EXPECT_TRUE(text.contains("kiln_target_http_requests_total{method=\"GET\",code=\"200\"} 5\n"))
        << text.toStdString();
    EXPECT_TRUE(text.contains("kiln_target_op_duration_seconds_count{op=\"get\"} 2\n"));
}

TEST(RequestMetricsTest, AProxyHasNoByteCounters)
{
    Registry r;
    RequestMetrics metrics(r, "proxy");
    metrics.observe({request("GET", "/v1/objects/b/o"), 301, 0, 0, 10, true});
    EXPECT_EQ(value(r, "ais_proxy_get_count"), 1u);
    EXPECT_FALSE(r.render().contains("ais_proxy_get_bytes"));
}

} // namespace
} // namespace Kiln::Metrics
