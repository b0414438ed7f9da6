#include "service/auth/routepolicy.h"
#include "service/http/exchange.h"
#include "service/http/router.h"

#include <gtest/gtest.h>

namespace Kiln::Auth {
namespace {

// The route families as kilnd registers them, each matched through a real Router.
class RoutePolicyTest : public testing::Test
{
protected:
    void SetUp() override
    {
        for (const char *pattern :
             {"/v1/health", "/v1/objects/{bucket}/{*object}", "/v1/objects/{bucket}",
              "/v1/buckets", "/v1/buckets/{bucket}", "/v1/etl", "/v1/etl/{etl}/stop",
              "/v1/etl/_object/{etl}/{secret}/{*uname}", "/v1/cluster", "/v1/daemon",
              "/v1/xactions", "/v1/tokens", "/v1/somethingnew", "/metrics", "/other"})
            m_router.add({"GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"}, pattern,
                         [](Http::Exchange) { });
    }

    Requirement need(const QByteArray &method, const QByteArray &target,
                     const QByteArray &body = {})
    {
        Http::Request req;
        req.method = method;
        const qsizetype q = target.indexOf('?');
        req.rawPath = q < 0 ? target : target.left(q);
        if (q >= 0)
            req.query = QUrlQuery(QString::fromUtf8(target.mid(q + 1)));
        const Http::Router::Match m = m_router.match(method, req.rawPath);
        EXPECT_NE(m.route, nullptr) << target.toStdString();
        if (!m.route)
            return {};
        return m_policy.required(RouteCall{m.route->segments, req, m.params, body});
    }

    static AccessAttrs single(const Requirement &r)
    {
        return r.needs.size() == 1 ? r.needs[0].access : ~0ULL;
    }

    Http::Router m_router;
    RoutePolicy m_policy = RoutePolicy::standard();
};

TEST_F(RoutePolicyTest, HealthIsOpen)
{
    EXPECT_TRUE(need("GET", "/v1/health").open);
}

TEST_F(RoutePolicyTest, ObjectMethodsNeedTheirAce)
{
    EXPECT_EQ(single(need("GET", "/v1/objects/b/o")), Ace::Get);
    EXPECT_EQ(single(need("HEAD", "/v1/objects/b/o")), Ace::ObjHead);
    EXPECT_EQ(single(need("PUT", "/v1/objects/b/o")), Ace::Put);
    EXPECT_EQ(single(need("DELETE", "/v1/objects/b/o")), Ace::ObjDelete);
    const Requirement r = need("GET", "/v1/objects/b/dir/o?provider=ais");
    ASSERT_EQ(r.needs.size(), 1);
    ASSERT_TRUE(r.needs[0].bucket);
    EXPECT_EQ(r.needs[0].bucket->name, "b");
}

TEST_F(RoutePolicyTest, ReadingThroughAnEtlIsAPlainGet)
{
    EXPECT_EQ(single(need("GET", "/v1/objects/b/o?etl_name=up")), Ace::Get);
}

TEST_F(RoutePolicyTest, EtlControlNeedsAdmin)
{
    EXPECT_EQ(single(need("PUT", "/v1/etl")), Ace::Admin);
    EXPECT_EQ(single(need("GET", "/v1/etl")), Ace::Admin);
    EXPECT_EQ(single(need("POST", "/v1/etl/up/stop")), Ace::Admin);
}

TEST_F(RoutePolicyTest, EtlObjectCallbackIsOpen)
{
    EXPECT_TRUE(need("GET", "/v1/etl/_object/up/s3cr3t/ais/b/o").open);
}

TEST_F(RoutePolicyTest, BucketActionsFollowTheirAction)
{
    EXPECT_EQ(single(need("GET", "/v1/buckets")), Ace::ListBuckets);
    EXPECT_EQ(single(need("GET", "/v1/buckets/b")), Ace::ObjList);
    EXPECT_EQ(single(need("HEAD", "/v1/buckets/b")), Ace::BckHead);
    EXPECT_EQ(single(need("DELETE", "/v1/buckets/b")), Ace::DestroyBucket);
    EXPECT_EQ(single(need("POST", "/v1/buckets/b", R"({"action":"create-bck"})")),
              Ace::CreateBucket);
    EXPECT_EQ(single(need("POST", "/v1/buckets/b", R"({"action":"no-such-thing"})")), Ace::Admin);
    const Requirement copy
        = need("POST", "/v1/buckets/src?bck_to=ais%2F%40%23%2Fdst%2F", R"({"action":"etl-bck"})");
    ASSERT_EQ(copy.needs.size(), 2);
    EXPECT_EQ(copy.needs[0].access, Ace::Get | Ace::ObjList);
    EXPECT_EQ(copy.needs[0].bucket->name, "src");
    EXPECT_EQ(copy.needs[1].access, Ace::Put);
    ASSERT_TRUE(copy.needs[1].bucket);
    EXPECT_EQ(copy.needs[1].bucket->name, "dst");
}

TEST_F(RoutePolicyTest, ClusterRoutesShowOrAdminister)
{
    EXPECT_EQ(single(need("GET", "/v1/cluster")), Ace::ShowCluster);
    EXPECT_EQ(single(need("PUT", "/v1/cluster")), Ace::Admin);
    EXPECT_EQ(single(need("GET", "/v1/daemon")), Ace::ShowCluster);
    EXPECT_EQ(single(need("POST", "/v1/xactions")), Ace::Admin);
    EXPECT_EQ(single(need("DELETE", "/v1/tokens")), Ace::Admin);
}

TEST_F(RoutePolicyTest, AnUnknownFamilyNeedsAdmin)
{
    EXPECT_EQ(single(need("GET", "/v1/somethingnew")), Ace::Admin);
    EXPECT_EQ(single(need("GET", "/other")), Ace::Admin);
}

TEST_F(RoutePolicyTest, MetricsAreReadWithShowCluster)
{
    EXPECT_EQ(single(need("GET", "/metrics")), Ace::ShowCluster);
}

} // namespace
} // namespace Kiln::Auth
