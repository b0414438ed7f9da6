#include "shared/api/bprops.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

namespace Kiln::Api {
namespace {

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(json).object();
}

TEST(BucketPropsTest, NewBucketHasAisDefaults)
{
    const QJsonObject p = BucketProps{}.toAisProps();
    EXPECT_EQ(p["access"].toString(), "18446744073709551615");
    EXPECT_TRUE(p["versioning"].toObject()["enabled"].toBool());
    EXPECT_EQ(p["checksum"].toObject()["type"].toString(), "xxhash2");
}

TEST(BucketPropsTest, AppliesVersioningChecksumAndAccess)
{
    BucketProps p;
    ASSERT_TRUE(p.apply(parse(R"({"versioning":{"enabled":false},
        "checksum":{"type":"sha512","validate_warm_get":true},"access":"15"})")));
    EXPECT_FALSE(p.versioning);
    EXPECT_EQ(p.checksumType, "sha512");
    EXPECT_TRUE(p.validateWarmGet);
    EXPECT_EQ(p.access, 15u);
    ASSERT_TRUE(p.apply(parse(R"({"versioning":{"enabled":"true"},"access":255})")));
    EXPECT_TRUE(p.versioning);
    EXPECT_EQ(p.access, 255u);
}

TEST(BucketPropsTest, AFailedApplyChangesNothing)
{
    BucketProps p;
    for (const char *bad : {R"({"versioning":{"enabled":false},"checksum":{"type":"md4"}})",
                            R"({"versioning":{"enabled":false},"access":"-1x"})",
                            R"({"versioning":{"enabled":false},"mirror":{"enabled":true,"copies":1}})",
                            R"({"versioning":{"enabled":false},"colour":"blue"})"}) {
        EXPECT_FALSE(p.apply(parse(bad))) << bad;
        EXPECT_TRUE(p.versioning) << bad;
    }
}

TEST(BucketPropsTest, EcEnabledKeepsItsSliceCountsUntilDisabled)
{
    BucketProps p;
    ASSERT_TRUE(p.apply(parse(R"({"ec":{"enabled":true,"data_slices":2,"parity_slices":1}})")));
    EXPECT_TRUE(p.ec.enabled);
    EXPECT_EQ(p.ec.requiredTargets(), 4);
    EXPECT_TRUE(BucketProps::fromJson(p.toJson()).ec.enabled);
    EXPECT_TRUE(p.toAisProps()["ec"].toObject()["enabled"].toBool());
    for (const char *bad : {R"({"ec":{"data_slices":3}})", R"({"ec":{"parity_slices":2}})"}) {
        auto refused = p.apply(parse(bad));
        ASSERT_FALSE(refused) << bad;
        EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument) << bad;
        EXPECT_EQ(p.ec.dataSlices, 2) << bad;
    }
    ASSERT_TRUE(p.apply(parse(R"({"ec":{"objsize_limit":4096}})")));
    ASSERT_TRUE(p.apply(parse(R"({"ec":{"enabled":false,"data_slices":3}})")));
    EXPECT_FALSE(p.ec.enabled);
    EXPECT_EQ(p.ec.dataSlices, 3);
}

TEST(BucketPropsTest, PersistedFormRoundTripsAndOldFormKeepsDefaults)
{
    BucketProps p;
    p.name = "b";
    p.bid = 7;
    p.createdNs = 123;
    ASSERT_TRUE(p.apply(parse(R"({"versioning":{"enabled":false},"checksum":{"type":"md5"},
        "access":"3"})")));
    const BucketProps back = BucketProps::fromJson(p.toJson());
    EXPECT_EQ(back.name, "b");
    EXPECT_EQ(back.bid, 7u);
    EXPECT_EQ(back.createdNs, 123);
    EXPECT_FALSE(back.versioning);
    EXPECT_EQ(back.checksumType, "md5");
    EXPECT_EQ(back.access, 3u);
    const BucketProps old = BucketProps::fromJson(parse(R"({"name":"o","bid":2,"created":5})"));
    EXPECT_TRUE(old.versioning);
    EXPECT_EQ(old.checksumType, "xxhash2");
    EXPECT_EQ(old.access, AccessAll);
}

TEST(BucketPropsTest, EcSizesAreValidatedSetAndPersisted)
{
    BucketProps p;
    const QJsonObject fresh = p.toAisProps()["ec"].toObject();
    EXPECT_FALSE(fresh["enabled"].toBool());
    EXPECT_EQ(fresh["objsize_limit"].toInteger(), 262144);
    ASSERT_TRUE(p.apply(parse(
        R"({"ec":{"enabled":false,"data_slices":"2","parity_slices":1,"objsize_limit":1024}})")));
    EXPECT_EQ(p.ec.dataSlices, 2);
    EXPECT_EQ(p.ec.paritySlices, 1);
    EXPECT_EQ(p.ec.objsizeLimit, 1024);
    const QJsonObject ec = p.toAisProps()["ec"].toObject();
    EXPECT_EQ(ec["data_slices"].toInt(), 2);
    EXPECT_EQ(ec["objsize_limit"].toInteger(), 1024);
    const BucketProps back = BucketProps::fromJson(p.toJson());
    EXPECT_EQ(back.ec.dataSlices, 2);
    EXPECT_EQ(back.ec.paritySlices, 1);
    EXPECT_EQ(back.ec.objsizeLimit, 1024);
    for (const char *bad : {R"({"ec":{"data_slices":0}})", R"({"ec":{"parity_slices":33}})",
                            R"({"ec":{"data_slices":"x"}})", R"({"ec":{"objsize_limit":-1}})",
                            R"({"ec":{"data_slices":1.5}})", R"({"ec":{"colour":1}})",
                            R"({"ec":{"data_slices":3,"enabled":"maybe"}})"}) {
        EXPECT_FALSE(p.apply(parse(bad))) << bad;
        EXPECT_EQ(p.ec.dataSlices, 2) << bad;
        EXPECT_EQ(p.ec.paritySlices, 1) << bad;
    }
    EXPECT_EQ(p.apply(parse(R"({"ec":{"parity_slices":33}})")).error().code,
              ErrorCode::InvalidArgument);
    p.reset();
    EXPECT_EQ(p.ec.dataSlices, 1);
}

TEST(BucketPropsTest, MirrorIsValidatedSetAndPersisted)
{
    BucketProps p;
    EXPECT_EQ(p.effectiveCopies(), 1);
    EXPECT_FALSE(p.toAisProps()["mirror"].toObject()["enabled"].toBool());
    ASSERT_TRUE(p.apply(parse(R"({"mirror":{"enabled":true,"copies":"3"}})")));
    EXPECT_EQ(p.effectiveCopies(), 3);
    const BucketProps back = BucketProps::fromJson(p.toJson());
    EXPECT_TRUE(back.mirrorEnabled);
    EXPECT_EQ(back.effectiveCopies(), 3);
    for (const char *bad : {R"({"mirror":{"copies":1}})", R"({"mirror":{"copies":33}})",
                            R"({"mirror":{"copies":"x"}})", R"({"mirror":{"burst_buffer":-1}})",
                            R"({"mirror":{"enabled":"maybe"}})", R"({"mirror":3})"}) {
        EXPECT_FALSE(p.apply(parse(bad))) << bad;
        EXPECT_EQ(p.effectiveCopies(), 3) << bad;
    }
    ASSERT_TRUE(p.apply(parse(R"({"mirror":{"enabled":false}})")));
    EXPECT_EQ(p.effectiveCopies(), 1);
    p.reset();
    EXPECT_FALSE(p.mirrorEnabled);
}

TEST(BucketPropsTest, MirrorAndEcAreNeverBothEnabled)
{
    BucketProps p;
    ASSERT_TRUE(p.apply(parse(R"({"mirror":{"enabled":true,"copies":2}})")));
    const auto refused = p.apply(parse(R"({"ec":{"enabled":true,"data_slices":2}})"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::InvalidArgument);
    EXPECT_FALSE(p.ec.enabled);
    EXPECT_EQ(p.ec.dataSlices, 1);
    // Both in one request too; one switched off while the other goes on is fine.
    BucketProps q;
    EXPECT_FALSE(q.apply(parse(R"({"mirror":{"enabled":true},"ec":{"enabled":true}})")));
    EXPECT_FALSE(q.mirrorEnabled);
    ASSERT_TRUE(p.apply(parse(R"({"mirror":{"enabled":false},"ec":{"enabled":true}})")));
    EXPECT_TRUE(p.ec.enabled);
    EXPECT_FALSE(p.apply(parse(R"({"mirror":{"enabled":true}})")));
    EXPECT_FALSE(p.mirrorEnabled);
}

TEST(BucketPropsTest, ResetKeepsIdentity)
{
    BucketProps p;
    p.name = "b";
    p.bid = 9;
    ASSERT_TRUE(p.apply(parse(R"({"checksum":{"type":"none"},"access":"1"})")));
    p.reset();
    EXPECT_EQ(p.name, "b");
    EXPECT_EQ(p.bid, 9u);
    EXPECT_EQ(p.checksumType, "xxhash2");
    EXPECT_EQ(p.access, AccessAll);
}

} // namespace
} // namespace Kiln::Api
