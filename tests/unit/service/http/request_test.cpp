#include "service/http/request.h"

#include <gtest/gtest.h>

namespace Kiln::Http {
namespace {

Request withQuery(const QByteArray &query)
{
    Request r;
    r.query = QUrlQuery(QString::fromUtf8(query));
    return r;
}

TEST(RequestTest, FindsHeadersByLowerCaseName)
{
    Request r;
    r.headers = {{"content-type", "application/json"}, {"x-one", "1"}};
    EXPECT_EQ(r.header("content-type"), "application/json");
    EXPECT_EQ(r.header("x-one"), "1");
    EXPECT_TRUE(r.header("absent").isEmpty());
}

TEST(RequestTest, DecodesQueryValuesFully)
{
    const Request r = withQuery("prefix=a%2Fb%20c&provider=ais");
    EXPECT_EQ(r.queryValue("prefix"), "a/b c");
    EXPECT_EQ(r.queryValue("provider"), "ais");
    EXPECT_TRUE(r.queryValue("missing").isEmpty());
}

TEST(RequestTest, ReadsQueryFlagsLikeAis)
{
    const Request r = withQuery("a=true&b=1&c=yes&d=TRUE&e=false&f=0&g=");
    for (const char *yes : {"a", "b", "c", "d"})
        EXPECT_TRUE(r.queryFlag(yes)) << yes;
    for (const char *no : {"e", "f", "g", "h"})
        EXPECT_FALSE(r.queryFlag(no)) << no;
}

TEST(RequestTest, DecodesThePath)
{
    Request r;
    r.rawPath = "/v1/objects/b/%C3%BC%20x";
    EXPECT_EQ(r.path(), QStringLiteral("/v1/objects/b/ü x"));
}

TEST(RequestTest, HasABodyWhenChunkedOrWithAPositiveLength)
{
    Request r;
    EXPECT_FALSE(r.hasBody());
    r.contentLength = 0;
    EXPECT_FALSE(r.hasBody());
    r.contentLength = 3;
    EXPECT_TRUE(r.hasBody());
    r.contentLength = -1;
    r.chunked = true;
    EXPECT_TRUE(r.hasBody());
}

TEST(RequestTest, KnowsAHeadRequest)
{
    Request r;
    r.method = "HEAD";
    EXPECT_TRUE(r.isHead());
    r.method = "GET";
    EXPECT_FALSE(r.isHead());
}

} // namespace
} // namespace Kiln::Http
