#include "service/auth/autherror.h"
#include "service/auth/claims.h"

#include <gtest/gtest.h>

#include <QJsonArray>

namespace Kiln::Auth {
namespace {

const QString Cluster = "clu-1";

Claims user(QList<ClusterAcl> clusters, QList<BucketAcl> buckets = {})
{
    Claims c;
    c.subject = "alice";
    c.expiresAt = 2'000'000'000;
    c.clusters = std::move(clusters);
    c.buckets = std::move(buckets);
    return c;
}

TEST(Claims, AdminMayDoAnything)
{
    Claims c = user({});
    c.admin = true;
    EXPECT_TRUE(c.check(Cluster, nullptr, Ace::Admin));
    const BucketRef b{"ais", "x"};
    EXPECT_TRUE(c.check(Cluster, &b, Access::RW));
}

TEST(Claims, ReadOnlyClusterAclReadsButDoesNotWrite)
{
    const Claims c = user({ClusterAcl{Cluster, {}, {}, Access::RO | Access::ClusterRO}});
    const BucketRef b{"ais", "photos"};
    EXPECT_TRUE(c.check(Cluster, &b, Ace::Get));
    EXPECT_TRUE(c.check(Cluster, &b, Ace::ObjList));
    EXPECT_TRUE(c.check(Cluster, nullptr, Ace::ListBuckets));
    auto put = c.check(Cluster, &b, Ace::Put);
    ASSERT_FALSE(put);
    EXPECT_TRUE(isForbidden(put.error()));
    EXPECT_TRUE(put.error().message.contains("PUT"));
    EXPECT_FALSE(c.check(Cluster, nullptr, Ace::Admin));
    EXPECT_FALSE(c.check(Cluster, nullptr, Ace::CreateBucket));
}

TEST(Claims, BucketAclOverridesTheClusterAcl)
{
    const BucketRef mine{"ais", "mine"};
    const BucketRef theirs{"", "theirs"}; // "" is ais
    const Claims c = user({ClusterAcl{Cluster, {}, {}, Access::RO}},
                          {BucketAcl{mine, Cluster, Access::RW}});
    EXPECT_TRUE(c.check(Cluster, &mine, Ace::Put));
    EXPECT_FALSE(c.check(Cluster, &theirs, Ace::Put));
    EXPECT_TRUE(c.check(Cluster, &theirs, Ace::Get));
}

TEST(Claims, BucketAclOfAnotherClusterDoesNotApply)
{
    const BucketRef b{"ais", "b"};
    const Claims c = user({}, {BucketAcl{b, "other-cluster", Access::RW}});
    EXPECT_FALSE(c.check(Cluster, &b, Ace::Get));
}

TEST(Claims, TheDefaultClusterAclAppliesToAnyCluster)
{
    const Claims c = user({ClusterAcl{"", {}, {}, Access::RO}});
    const BucketRef b{"ais", "b"};
    EXPECT_TRUE(c.check(Cluster, &b, Ace::Get));
    EXPECT_TRUE(c.check("another", &b, Ace::Get));
    EXPECT_FALSE(c.check(Cluster, &b, Ace::ObjDelete));
}

TEST(Claims, NoAclDeniesEverything)
{
    const Claims c = user({});
    const BucketRef b{"ais", "b"};
    EXPECT_FALSE(c.check(Cluster, &b, Ace::Get));
    EXPECT_FALSE(c.check(Cluster, nullptr, Ace::ShowCluster));
}

TEST(Claims, ReadsAisJsonWithStringPermissions)
{
    const QJsonObject json{
        {"sub", "bob"},
        {"exp", 1900000000},
        {"admin", false},
        {"clusters", QJsonArray{QJsonObject{{"id", Cluster}, {"perm", "15"}}}},
        {"buckets",
         QJsonArray{QJsonObject{
             {"bck", QJsonObject{{"name", "b1"}, {"provider", "ais"},
                                 {"namespace", QJsonObject{{"uuid", Cluster}, {"name", ""}}}}},
             {"perm", "1"}}}}};
    auto c = Claims::fromJson(json);
    ASSERT_TRUE(c) << c.error().message.toStdString();
    EXPECT_EQ(c->subject, "bob");
    ASSERT_EQ(c->clusters.size(), 1);
    EXPECT_EQ(c->clusters[0].access, 15u);
    ASSERT_EQ(c->buckets.size(), 1);
    EXPECT_EQ(c->buckets[0].bucket.name, "b1");
    EXPECT_EQ(c->buckets[0].clusterId, Cluster);
    EXPECT_EQ(c->buckets[0].access, Ace::Get);
    auto again = Claims::fromJson(c->toJson());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->buckets[0].access, Ace::Get);
    EXPECT_EQ(again->clusters[0].access, 15u);
}

TEST(Access, DescribesAndParsesAisNames)
{
    EXPECT_EQ(describeAccess(0), "none");
    EXPECT_EQ(describeAccess(Access::RO), "GET,HEAD-OBJECT,HEAD-BUCKET,LIST-OBJECTS");
    AccessAttrs a = 0;
    ASSERT_TRUE(accessFromString("rw", &a));
    EXPECT_EQ(a, Access::RW);
    ASSERT_TRUE(accessFromString("ADMIN", &a));
    EXPECT_EQ(a, Ace::Admin);
    EXPECT_FALSE(accessFromString("FLY", &a));
    // AIS's numbering: ADMIN is bit 17, so a role's "perm" numbers mean the same here.
    EXPECT_EQ(Ace::Admin, AccessAttrs(131072));
}

} // namespace
} // namespace Kiln::Auth
