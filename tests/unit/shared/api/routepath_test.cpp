#include "shared/api/routepath.h"
#include "shared/api/wire.h"

#include <gtest/gtest.h>

namespace Kiln::Api {
namespace {

TEST(RoutePath, PathWithoutPlaceholdersIsItself)
{
    EXPECT_EQ(routePath(Route::ClusterJoin, {}), QString::fromLatin1(Route::ClusterJoin));
}

TEST(RoutePath, FillsOneSegment)
{
    EXPECT_EQ(routePath(Route::XactionAbort, {QStringLiteral("job-1")}),
              QStringLiteral("/v1/xactions/job-1/_abort"));
}

TEST(RoutePath, FillsSegmentsInOrderAndTheCatchAll)
{
    EXPECT_EQ(routePath(Route::Object, {QStringLiteral("b"), QStringLiteral("dir/o.txt")}),
              QStringLiteral("/v1/objects/b/dir/o.txt"));
}

TEST(RoutePath, TakesArgumentsVerbatim)
{
    // Encoding is the caller's: a query glued to the last argument stays as given.
    EXPECT_EQ(routePath(Route::Bucket, {QStringLiteral("a%20b?provider=ais")}),
              QStringLiteral("/v1/buckets/a%20b?provider=ais"));
}

TEST(RoutePath, MissingArgumentLeavesTheSegmentEmpty)
{
    EXPECT_EQ(routePath(Route::TxnPromoteBegin, {}), QStringLiteral("/v1/txn/promote//begin"));
}

} // namespace
} // namespace Kiln::Api
