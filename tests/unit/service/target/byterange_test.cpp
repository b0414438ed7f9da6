#include "service/target/byterange.h"

#include <gtest/gtest.h>

#include <ostream>

namespace Kiln::Target {
namespace {

constexpr qint64 Size = 10000;
const QString Cname = QStringLiteral("ais://b/o");

struct Satisfied
{
    const char *name;
    const char *header;
    qint64 first; // the first and last byte RFC 9110 selects from a 10000-byte object
    qint64 last;
};

void PrintTo(const Satisfied &row, std::ostream *os)
{
    *os << row.name;
}

class ByteRangeSatisfiedTest : public testing::TestWithParam<Satisfied>
{ };

TEST_P(ByteRangeSatisfiedTest, SelectsTheBytesTheHeaderNames)
{
    const Satisfied &row = GetParam();
    const auto range = parseByteRange(row.header, Size, Cname);
    ASSERT_TRUE(range) << range.error().message.toStdString();
    ASSERT_TRUE(range->has_value());
    EXPECT_EQ((*range)->offset, row.first);
    EXPECT_EQ((*range)->length, row.last - row.first + 1);
}

INSTANTIATE_TEST_SUITE_P(
    Headers, ByteRangeSatisfiedTest,
    testing::Values(Satisfied{"FirstByte", "bytes=0-0", 0, 0},
                    Satisfied{"Middle", "bytes=100-199", 100, 199},
                    Satisfied{"EndPastTheObjectIsClamped", "bytes=9990-20000", 9990, 9999},
                    Satisfied{"OpenEnded", "bytes=5000-", 5000, 9999},
                    Satisfied{"Suffix", "bytes=-100", 9900, 9999},
                    Satisfied{"SuffixLongerThanTheObject", "bytes=-20000", 0, 9999},
                    Satisfied{"LastByte", "bytes=9999-9999", 9999, 9999},
                    Satisfied{"SpacesAroundTheNumbers", "bytes= 10 - 19 ", 10, 19},
                    Satisfied{"OneRangeBesideOneOutside", "bytes=10-19,20000-", 10, 19}),
    [](const testing::TestParamInfo<Satisfied> &info) { return info.param.name; });

TEST(ByteRangeTest, NoHeaderOrNoRangeMeansTheWholeObject)
{
    for (const char *header : {"", "bytes=", "bytes= , "}) {
        const auto range = parseByteRange(header, Size, Cname);
        ASSERT_TRUE(range) << header;
        EXPECT_FALSE(range->has_value()) << header;
    }
}

struct Refused
{
    const char *name;
    const char *header;
    qint64 size;
    const char *message; // AIS's words for it
    const char *tcode;
};

void PrintTo(const Refused &row, std::ostream *os)
{
    *os << row.name;
}

class ByteRangeRefusedTest : public testing::TestWithParam<Refused>
{ };

TEST_P(ByteRangeRefusedTest, SaysWhyAsAisDoes)
{
    const Refused &row = GetParam();
    const auto range = parseByteRange(row.header, row.size, Cname);
    ASSERT_FALSE(range);
    EXPECT_EQ(range.error().message, QString::fromUtf8(row.message));
    EXPECT_EQ(range.error().tcode, QString::fromUtf8(row.tcode));
}

INSTANTIATE_TEST_SUITE_P(
    Headers, ByteRangeRefusedTest,
    testing::Values(
        Refused{"OtherUnit", "lines=1-2", Size, "read range \"lines=1-2\" is invalid (prefix)", ""},
        Refused{"NoDash", "bytes=5", Size, "read range \"bytes=5\" is invalid (-)", ""},
        Refused{"EndBeforeStart", "bytes=9-3", Size, "read range \"9-3\" is invalid (end)", ""},
        Refused{"BadStart", "bytes=x-3", Size, "read range \"x-3\" is invalid (start)", ""},
        Refused{"NegativeSuffix", "bytes=--3", Size,
                "read range \"--3\" is invalid as per RFC 7233 Section 2.1", ""},
        Refused{"NothingAroundTheDash", "bytes=-", Size,
                "read range \"-\" is invalid as per RFC 7233 Section 2.1", ""},
        Refused{"StartPastTheEnd", "bytes=10000-10005", Size,
                "size=10000: not satisfiable range [10000-10005]", RangeNotSatisfiable},
        Refused{"EveryRangePastTheEnd", "bytes=10000-,20000-", Size,
                "size=10000: not satisfiable ranges [10000- 20000-]", RangeNotSatisfiable},
        Refused{"EmptyObject", "bytes=0-", 0, "size=0: not satisfiable range [0-]",
                RangeNotSatisfiable},
        Refused{"ZeroSuffix", "bytes=-0", Size, "size=10000: not satisfiable range [-0]",
                RangeNotSatisfiable},
        Refused{"SuffixOfAnEmptyObject", "bytes=-5", 0, "size=0: not satisfiable range [-5]",
                RangeNotSatisfiable},
        Refused{"SeveralRanges", "bytes=0-1,5-6", Size,
                "cannot multi-range read ais://b/o - operation not supported", "ErrUnsupp"}),
    [](const testing::TestParamInfo<Refused> &info) { return info.param.name; });

} // namespace
} // namespace Kiln::Target
