#include "service/metrics/registry.h"
#include "service/metrics/textformat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace Kiln::Metrics;

TEST(TextFormatTest, EscapesHelpBackslashAndNewline)
{
    EXPECT_EQ(escapeHelp("a\\b\nc \"q\""), "a\\\\b\\nc \"q\"");
}

TEST(TextFormatTest, EscapesLabelValueQuoteBackslashAndNewline)
{
    EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(TextFormatTest, FormatsSpecialAndIntegralValues)
{
    EXPECT_EQ(formatValue(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(formatValue(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(formatValue(std::nan("")), "NaN");
    EXPECT_EQ(formatValue(12), "12");
    EXPECT_EQ(formatValue(-3), "-3");
    EXPECT_EQ(std::stod(formatValue(0.1)), 0.1);
}

TEST(TextFormatTest, CounterHasHelpTypeAndLabelledSamples)
{
    Registry r;
    auto &family = r.counter("ais_target_get_count", "GET: total number\nof objects", {"etl"});
    family.with({"x\"y"}).inc(10);
    family.with({"a"}).inc(1);
    EXPECT_EQ(r.render().toStdString(),
              "# HELP ais_target_get_count GET: total number\\nof objects\n"
              "# TYPE ais_target_get_count counter\n"
              "ais_target_get_count{etl=\"a\"} 1\n"
              "ais_target_get_count{etl=\"x\\\"y\"} 10\n");
}

TEST(TextFormatTest, HistogramHasCumulativeBucketsInfSumAndCount)
{
    Registry r;
    auto &h = r.histogram("kiln_t_seconds", "t", {"op"}, {0.1, 1});
    Histogram &get = h.with({"get"});
    get.observe(0.05);
    get.observe(0.1); // on the bound: counted in le="0.1"
    get.observe(0.5);
    get.observe(7);
    EXPECT_EQ(r.render().toStdString(),
              "# HELP kiln_t_seconds t\n"
              "# TYPE kiln_t_seconds histogram\n"
              "kiln_t_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
              "kiln_t_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
              "kiln_t_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
              "kiln_t_seconds_sum{op=\"get\"} 7.65\n"
              "kiln_t_seconds_count{op=\"get\"} 4\n");
}

TEST(TextFormatTest, GaugeKeepsFractions)
{
    Registry r;
    r.gauge("process_cpu_seconds_total", "cpu").unlabelled().set(1.5);
    EXPECT_TRUE(r.render().contains("\nprocess_cpu_seconds_total 1.5\n"));
}
