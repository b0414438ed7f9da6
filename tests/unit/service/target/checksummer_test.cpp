#include "service/target/checksummer.h"

#include <gtest/gtest.h>

namespace Kiln::Target {
namespace {

struct Vector
{
    const char *type;
    const char *input;
    const char *digest; // published check values of each algorithm
};

class ChecksummerTest : public testing::TestWithParam<Vector>
{ };

TEST_P(ChecksummerTest, GivesThePublishedDigestWholeAndInPieces)
{
    const Vector &v = GetParam();
    auto whole = Checksummer::make(v.type);
    ASSERT_TRUE(whole);
    whole->update(v.input, qsizetype(strlen(v.input)));
    EXPECT_EQ(whole->digest().toStdString(), v.digest);
    auto pieces = Checksummer::make(v.type);
    for (const char *p = v.input; *p; ++p)
        pieces->update(p, 1);
    EXPECT_EQ(pieces->digest().toStdString(), v.digest);
}

INSTANTIATE_TEST_SUITE_P(
    Algorithms, ChecksummerTest,
    testing::Values(
        Vector{"xxhash", "", "ef46db3751d8e999"}, Vector{"xxhash2", "", "ef46db3751d8e999"},
        Vector{"xxhash", "abc", "44bc2cf5ad770999"},
        Vector{"md5", "abc", "900150983cd24fb0d6963f7d28e17f72"},
        Vector{"crc32c", "123456789", "e3069283"},
        Vector{"sha256", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        Vector{"sha512", "abc",
               "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a8"
               "36ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
        Vector{"none", "abc", ""}),
    [](const testing::TestParamInfo<Vector> &info) {
        return std::string(info.param.type) + "_" + std::to_string(info.index);
    });

TEST(ChecksummerTypesTest, RefusesTypesAisDoesNotKnow)
{
    for (const char *t : {"md4", "", "SHA256", "xxh3"}) {
        EXPECT_FALSE(Checksummer::isKnownType(t)) << t;
        EXPECT_FALSE(Checksummer::make(t)) << t;
    }
}

} // namespace
} // namespace Kiln::Target
