#include "shared/core/duration.h"

#include <gtest/gtest.h>

#include <QString>

#include <chrono>
#include <string>

namespace Kiln {
namespace {

using namespace std::chrono_literals;

struct DurationCase
{
    std::string label;
    QString text;
    std::chrono::milliseconds expected;
};

std::string caseName(const testing::TestParamInfo<DurationCase> &info)
{
    return info.param.label;
}

class ParseDurationTest : public testing::TestWithParam<DurationCase>
{ };

TEST_P(ParseDurationTest, ReadsTheGoSpelling)
{
    const Result<std::chrono::milliseconds> parsed = parseDuration(GetParam().text);
    ASSERT_TRUE(parsed) << parsed.error().message.toStdString();
    EXPECT_EQ(parsed->count(), GetParam().expected.count());
}

INSTANTIATE_TEST_SUITE_P(Valid, ParseDurationTest,
                         testing::Values(DurationCase{"Seconds", "45s", 45s},
                                         DurationCase{"Minutes", "5m", 5min},
                                         DurationCase{"HoursAndMinutes", "1h30m", 90min},
                                         DurationCase{"Milliseconds", "500ms", 500ms},
                                         DurationCase{"FractionalSeconds", "1.5s", 1500ms},
                                         DurationCase{"BareNumberIsSeconds", "10", 10s},
                                         DurationCase{"BareFractionIsSeconds", "0.25", 250ms},
                                         DurationCase{"Zero", "0", 0ms},
                                         DurationCase{"MinutesAndSeconds", "2m30s", 150s},
                                         DurationCase{"Microseconds", "3000us", 3ms},
                                         DurationCase{"SurroundingSpaces", "  7s ", 7s}),
                         caseName);

struct BadDurationCase
{
    std::string label;
    QString text;
};

class ParseBadDurationTest : public testing::TestWithParam<BadDurationCase>
{ };

TEST_P(ParseBadDurationTest, IsRejectedAsInvalidArgument)
{
    const Result<std::chrono::milliseconds> parsed = parseDuration(GetParam().text);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::InvalidArgument);
    // The message quotes what was given, so a config error can be found.
    EXPECT_TRUE(parsed.error().message.contains(GetParam().text));
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, ParseBadDurationTest,
    testing::Values(BadDurationCase{"Empty", ""}, BadDurationCase{"OnlySpaces", "   "},
                    BadDurationCase{"UnknownUnit", "5x"}, BadDurationCase{"Negative", "-1"},
                    BadDurationCase{"NegativeWithUnit", "-5s"},
                    BadDurationCase{"UnitWithoutNumber", "s"},
                    BadDurationCase{"TwoDecimalPoints", "1.2.3s"},
                    BadDurationCase{"TrailingGarbage", "5s!"}, BadDurationCase{"Infinite", "inf"},
                    BadDurationCase{"NotANumber", "nan"},
                    BadDurationCase{"AbsurdlyLong", "99999999999h"},
                    // Bare seconds beyond qint64 milliseconds came back negative (llround
                    // overflow); seen in review, and fuzz_duration's first crash against the
                    // unfixed parser was the 23-digit number below.
                    BadDurationCase{"FuzzCrashBareSecondsOverflow", "11111111111111111111100"},
                    BadDurationCase{"BareSecondsOverflow", "1e17"},
                    BadDurationCase{"BareSecondsHuge", "1e300"},
                    BadDurationCase{"BareSecondsOverCap", "10000000001"}),
    [](const testing::TestParamInfo<BadDurationCase> &info) { return info.param.label; });

TEST(FormatDurationTest, WritesWholeUnitsInTheLargestUnitThatFits)
{
    EXPECT_EQ(formatDuration(45s), "45s");
    EXPECT_EQ(formatDuration(5min), "5m");
    EXPECT_EQ(formatDuration(2h), "2h");
    EXPECT_EQ(formatDuration(500ms), "500ms");
    EXPECT_EQ(formatDuration(0ms), "0s");
}

TEST(FormatDurationTest, RoundTripsThroughParseDuration)
{
    const std::chrono::milliseconds samples[]
        = {0ms, 1ms, 999ms, 1000ms, 1500ms, 59s, 60s, 61s, 90min, 3h, 25h, 86400001ms};
    for (const std::chrono::milliseconds d : samples) {
        const Result<std::chrono::milliseconds> back = parseDuration(formatDuration(d));
        ASSERT_TRUE(back) << formatDuration(d).toStdString();
        EXPECT_EQ(back->count(), d.count()) << formatDuration(d).toStdString();
    }
}

} // namespace
} // namespace Kiln
