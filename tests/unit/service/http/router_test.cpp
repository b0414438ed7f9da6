#include "service/http/exchange.h"
#include "service/http/router.h"

#include <gtest/gtest.h>

namespace Kiln::Http {
namespace {

void nothing(Exchange) { }

class RouterTest : public testing::Test
{
protected:
    void SetUp() override
    {
        m_router.add({"GET"}, "/v1/buckets", nothing);
        m_router.add({"GET", "HEAD"}, "/v1/buckets/{bucket}", nothing);
        m_router.add({"PUT"}, "/v1/objects/{bucket}/{*object}", nothing);
        m_router.add({"GET"}, "/v1/objects/{bucket}/{*object}", nothing);
        m_router.add({"DELETE"}, "/v1/objects/{bucket}/{*object}", nothing);
    }

    // Which route matched, by its pattern, or "" for none.
    QString routeOf(const Router::Match &match) const
    {
        return match.route ? match.route->segments.join('/') : QString();
    }

    Router m_router;
};

TEST_F(RouterTest, MatchesALiteralPath)
{
    const Router::Match m = m_router.match("GET", "/v1/buckets");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.status, 0);
    EXPECT_EQ(routeOf(m), "v1/buckets");
    EXPECT_TRUE(m.params.isEmpty());
}

TEST_F(RouterTest, ExtractsANamedParameter)
{
    const Router::Match m = m_router.match("HEAD", "/v1/buckets/photos");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("bucket"), "photos");
}

TEST_F(RouterTest, DecodesPercentEscapesInAParameter)
{
    const Router::Match m = m_router.match("GET", "/v1/buckets/my%20bucket");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("bucket"), "my bucket");
}

TEST_F(RouterTest, KeepsAnEncodedSlashInsideItsSegment)
{
    const Router::Match m = m_router.match("GET", "/v1/buckets/a%2Fb");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(routeOf(m), "v1/buckets/{bucket}");
    EXPECT_EQ(m.params.value("bucket"), "a/b");
}

TEST_F(RouterTest, RestParameterTakesTheRemainingSegmentsWithTheirSlashes)
{
    const Router::Match m = m_router.match("PUT", "/v1/objects/b/dir/sub/file.txt");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("bucket"), "b");
    EXPECT_EQ(m.params.value("object"), "dir/sub/file.txt");
}

TEST_F(RouterTest, RestParameterDecodesAnEncodedSlash)
{
    const Router::Match m = m_router.match("GET", "/v1/objects/b/dir%2Ffile%20one.txt");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("object"), "dir/file one.txt");
}

TEST_F(RouterTest, RestParameterDecodesNonAsciiNames)
{
    const Router::Match m = m_router.match("GET", "/v1/objects/b/%C3%BCber/%E5%90%8D");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("object"), QStringLiteral("über/名"));
}

TEST_F(RouterTest, RestParameterMustNotBeEmpty)
{
    EXPECT_EQ(m_router.match("GET", "/v1/objects/b").route, nullptr);
    EXPECT_EQ(m_router.match("GET", "/v1/objects/b").status, 404);
    EXPECT_EQ(m_router.match("GET", "/v1/objects/b/").route, nullptr);
}

TEST_F(RouterTest, NamedParameterMustNotBeEmpty)
{
    EXPECT_EQ(m_router.match("GET", "/v1/objects//x").route, nullptr);
}

TEST_F(RouterTest, UnknownPathIs404)
{
    for (const QByteArray &path : {QByteArray("/v2/buckets"), QByteArray("/"), QByteArray(""),
                                   QByteArray("/v1/buckets/b/extra")}) {
        const Router::Match m = m_router.match("GET", path);
        EXPECT_EQ(m.route, nullptr) << path.toStdString();
        EXPECT_EQ(m.status, 404) << path.toStdString();
        EXPECT_TRUE(m.allow.isEmpty()) << path.toStdString();
    }
}

TEST_F(RouterTest, KnownPathWithAnotherMethodIs405WithASortedAllowList)
{
    // Registered as PUT, GET, DELETE on three routes: the list merges and sorts them.
    const Router::Match m = m_router.match("POST", "/v1/objects/b/o");
    EXPECT_EQ(m.route, nullptr);
    EXPECT_EQ(m.status, 405);
    EXPECT_EQ(m.allow, "DELETE, GET, PUT");
}

TEST_F(RouterTest, AllowListHoldsEachMethodOnce)
{
    Router router;
    router.add({"PUT", "GET"}, "/x", nothing);
    router.add({"GET", "HEAD"}, "/x", nothing);
    const Router::Match m = router.match("DELETE", "/x");
    EXPECT_EQ(m.status, 405);
    EXPECT_EQ(m.allow, "GET, HEAD, PUT");
}

TEST_F(RouterTest, MethodsAreCaseSensitive)
{
    EXPECT_EQ(m_router.match("get", "/v1/buckets").status, 405);
}

TEST_F(RouterTest, ToleratesOneTrailingSlash)
{
    const Router::Match m = m_router.match("GET", "/v1/buckets/");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(routeOf(m), "v1/buckets");
    const Router::Match withParam = m_router.match("GET", "/v1/buckets/b/");
    ASSERT_NE(withParam.route, nullptr);
    EXPECT_EQ(withParam.params.value("bucket"), "b");
}

TEST_F(RouterTest, RestParameterKeepsATrailingSlash)
{
    // "dir/" is not the object "dir": the handler must see the slash to refuse the name.
    const Router::Match m = m_router.match("PUT", "/v1/objects/b/dir/");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("object"), "dir/");
    EXPECT_EQ(m_router.match("GET", "/v1/objects/b/a/b%2F/").params.value("object"), "a/b//");
}

TEST_F(RouterTest, RejectsTwoTrailingSlashes)
{
    EXPECT_EQ(m_router.match("GET", "/v1/buckets//").route, nullptr);
}

TEST_F(RouterTest, EarlierRouteWinsWhenTwoMatch)
{
    Router router;
    router.add({"GET"}, "/v1/{what}", nothing);
    router.add({"GET"}, "/v1/health", nothing);
    const Router::Match m = router.match("GET", "/v1/health");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("what"), "health");
}

TEST_F(RouterTest, ALiteralSegmentMatchesItsEncodedSpelling)
{
    // Segments are compared decoded: "%62uckets" is "buckets".
    const Router::Match m = m_router.match("GET", "/v1/%62uckets/b%25");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(routeOf(m), "v1/buckets/{bucket}");
    EXPECT_EQ(m.params.value("bucket"), "b%");
    EXPECT_EQ(m_router.match("GET", "/v1/buckets%2F").route, nullptr);
}

TEST_F(RouterTest, InvalidEscapesAndBytesStayAsTheyAre)
{
    // A '%' at the end is kept; bytes that are not UTF-8 become U+FFFD, and a
    // literal never matches them.
    EXPECT_EQ(m_router.match("GET", "/v1/buckets/50%").params.value("bucket"), "50%");
    const Router::Match m = m_router.match("GET", "/v1/objects/b/%FF");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("object"), QString(QChar::ReplacementCharacter));
    EXPECT_EQ(m_router.match("GET", "/v1/%FFuckets").route, nullptr);
}

TEST_F(RouterTest, EmptyMiddleSegmentsStayInACatchAll)
{
    const std::pair<QByteArray, QString> cases[] = {
        {"/v1/objects/b/dir//x", "dir//x"},
        {"/v1/objects/b/dir//", "dir//"},
        {"/v1/objects/b//x", "/x"},
    };
    for (const auto &[path, object] : cases)
        EXPECT_EQ(m_router.match("GET", path).params.value("object"), object) << path.data();
}

TEST_F(RouterTest, APathWithoutItsLeadingSlashMatchesToo)
{
    const Router::Match m = m_router.match("GET", "v1/objects/b/o");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.params.value("object"), "o");
}

} // namespace
} // namespace Kiln::Http
