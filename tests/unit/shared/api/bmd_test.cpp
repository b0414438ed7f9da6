#include "shared/api/bmd.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>

namespace Kiln::Api {
namespace {

Result<Bmd> throughTheWire(const Bmd &bmd)
{
    return Bmd::fromJson(QJsonDocument::fromJson(QJsonDocument(bmd.toJson()).toJson()).object());
}

TEST(BmdTest, StartsEmptyAtVersionZero)
{
    const Bmd bmd;
    EXPECT_EQ(bmd.version(), 0);
    EXPECT_TRUE(bmd.buckets().isEmpty());
    EXPECT_EQ(bmd.bucket("x"), nullptr);
}

TEST(BmdTest, AddGivesEachBucketANewIdAndBumpsTheVersion)
{
    Bmd bmd;
    const Result<BucketProps> a = bmd.add("a", 111);
    const Result<BucketProps> b = bmd.add("b", 222);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_EQ(bmd.version(), 2);
    EXPECT_NE(a->bid, b->bid);
    EXPECT_NE(a->bid, 0u);
    EXPECT_EQ(a->name, "a");
    EXPECT_EQ(b->createdNs, 222);
    ASSERT_NE(bmd.bucket("b"), nullptr);
    EXPECT_EQ(bmd.bucket("b")->bid, b->bid);
    EXPECT_TRUE(bmd.contains("a"));
}

TEST(BmdTest, AddingAnExistingBucketIsAlreadyExists)
{
    Bmd bmd;
    ASSERT_TRUE(bmd.add("dup", 1));
    const Result<BucketProps> again = bmd.add("dup", 2);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::AlreadyExists);
    EXPECT_EQ(again.error().tcode, "ErrBucketAlreadyExists");
    EXPECT_TRUE(again.error().message.contains("ais://dup"));
    EXPECT_EQ(bmd.version(), 1);
    EXPECT_EQ(bmd.bucket("dup")->createdNs, 1);
}

TEST(BmdTest, RemoveBumpsTheVersionOnlyWhenTheBucketWasThere)
{
    Bmd bmd;
    ASSERT_TRUE(bmd.add("a", 1));
    EXPECT_FALSE(bmd.remove("zzz"));
    EXPECT_EQ(bmd.version(), 1);
    EXPECT_TRUE(bmd.remove("a"));
    EXPECT_EQ(bmd.version(), 2);
    EXPECT_FALSE(bmd.contains("a"));
}

TEST(BmdTest, NeverReusesTheIdOfARemovedBucket)
{
    Bmd bmd;
    const quint64 first = bmd.add("a", 1)->bid;
    ASSERT_TRUE(bmd.remove("a"));
    EXPECT_NE(bmd.add("a", 2)->bid, first);
}

TEST(BmdTest, SurvivesAJsonRoundTrip)
{
    Bmd bmd;
    ASSERT_TRUE(bmd.add("alpha", 1700000000000000001));
    ASSERT_TRUE(bmd.add("beta", 2));
    ASSERT_TRUE(bmd.add("gamma", 3));
    ASSERT_TRUE(bmd.remove("beta"));
    const Result<Bmd> copy = throughTheWire(bmd);
    ASSERT_TRUE(copy) << copy.error().message.toStdString();
    EXPECT_EQ(copy->version(), bmd.version());
    ASSERT_EQ(copy->buckets().keys(), bmd.buckets().keys());
    for (const BucketProps &props : bmd.buckets()) {
        const BucketProps *other = copy->bucket(props.name);
        ASSERT_NE(other, nullptr);
        EXPECT_EQ(other->bid, props.bid);
        EXPECT_EQ(other->createdNs, props.createdNs);
    }
    // The next id continues where the original left off, so ids stay unique across nodes.
    Bmd original = bmd;
    Bmd received = *copy;
    EXPECT_EQ(received.add("delta", 4)->bid, original.add("delta", 4)->bid);
}

TEST(BmdTest, DerivesTheNextIdFromTheBucketsWhenItIsMissing)
{
    const QJsonObject json{
        {"version", 5},
        {"buckets", QJsonArray{QJsonObject{{"name", "a"}, {"bid", 7}, {"created", 1}}}}};
    Result<Bmd> bmd = Bmd::fromJson(json);
    ASSERT_TRUE(bmd);
    EXPECT_EQ(bmd->version(), 5);
    EXPECT_GT(bmd->add("b", 2)->bid, 7u);
}

TEST(BmdTest, RejectsABadBucketName)
{
    const QJsonObject json{{"version", 1},
                           {"buckets", QJsonArray{QJsonObject{{"name", "../etc"}, {"bid", 1}}}}};
    const Result<Bmd> bmd = Bmd::fromJson(json);
    ASSERT_FALSE(bmd);
    EXPECT_EQ(bmd.error().code, ErrorCode::InvalidArgument);
}

TEST(BmdTest, RejectsBucketsThatAreNotAList)
{
    EXPECT_FALSE(Bmd::fromJson(QJsonObject{{"version", 1}, {"buckets", QJsonObject{}}}));
    EXPECT_FALSE(Bmd::fromJson(QJsonObject{{"version", 1}, {"buckets", "a,b"}}));
}

TEST(BmdTest, EmptyObjectIsAnEmptyBmd)
{
    const Result<Bmd> bmd = Bmd::fromJson(QJsonObject{});
    ASSERT_TRUE(bmd);
    EXPECT_TRUE(bmd->buckets().isEmpty());
}

TEST(BucketPropsTest, QuotesTheCountersAisTagsAsStrings)
{
    const BucketProps props{"b", 42, 1700000000123456789};
    const QJsonObject ais = props.toAisProps();
    EXPECT_EQ(ais.value("provider").toString(), "ais");
    ASSERT_TRUE(ais.value("bid").isString());
    EXPECT_EQ(ais.value("bid").toString(), "42");
    ASSERT_TRUE(ais.value("created").isString());
    EXPECT_EQ(ais.value("created").toString(), "1700000000123456789");
    EXPECT_EQ(ais.value("checksum").toObject().value("type").toString(), "xxhash2");
    // Every access bit, as AIS gives a new bucket (0 would deny everything once auth is on).
    EXPECT_EQ(ais.value("access").toString(), "18446744073709551615");
}

} // namespace
} // namespace Kiln::Api
