#include "service/metrics/aistracker.h"
#include "service/metrics/registry.h"

#include <gtest/gtest.h>

#include <map>

using namespace Kiln::Metrics;

namespace {

std::map<QString, std::pair<QString, std::int64_t>> byName(const QList<AisStat> &stats)
{
    std::map<QString, std::pair<QString, std::int64_t>> out;
    for (const AisStat &s : stats)
        out[s.name] = {s.kind, s.value};
    return out;
}

} // namespace

TEST(AisTrackerTest, ReadsTheNodesCountersUnderAisNames)
{
    Registry r;
    r.counter("ais_target_get_count", "g").unlabelled().inc(3);
    r.counter("ais_target_err_get_count", "e").unlabelled().inc(1);
    r.counter("ais_target_get_bytes", "b").unlabelled().inc(4096);
    r.counter("ais_target_put_ns_total", "t").unlabelled().inc(77);
    const auto stats = byName(aisStats(r, "target"));
    EXPECT_EQ(stats.at("get.n"), std::make_pair(QString("counter"), std::int64_t(3)));
    EXPECT_EQ(stats.at("err.get.n"), std::make_pair(QString("counter"), std::int64_t(1)));
    EXPECT_EQ(stats.at("get.size"), std::make_pair(QString("size"), std::int64_t(4096)));
    EXPECT_EQ(stats.at("put.ns.total"), std::make_pair(QString("total"), std::int64_t(77)));
    EXPECT_EQ(stats.size(), 4u);
}

TEST(AisTrackerTest, LeavesOutOtherNodesLabelledAndUnknownSeries)
{
    Registry r;
    r.counter("ais_proxy_get_count", "p").unlabelled().inc(5); // another node type
    r.counter("ais_target_get_count", "l", {"etl"}).with({"x"}).inc(2); // labelled
    r.counter("ais_target_kalive_count", "k").unlabelled().inc(1); // no AIS tracker name here
    r.gauge("ais_target_put_count", "g").unlabelled().set(9); // a gauge is not a counter
    EXPECT_TRUE(aisStats(r, "target").isEmpty());
    EXPECT_EQ(byName(aisStats(r, "proxy")).at("get.n").second, 5);
}
