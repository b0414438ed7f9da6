#include "service/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

using namespace Kiln::Metrics;

TEST(RegistryTest, SameNameGivesSameFamily)
{
    Registry r;
    CounterFamily &a = r.counter("kiln_x_total", "x", {"etl"});
    CounterFamily &b = r.counter("kiln_x_total", "x", {"etl"});
    EXPECT_EQ(&a, &b);
    EXPECT_EQ(&a.with({"e1"}), &b.with({"e1"}));
    EXPECT_NE(&a.with({"e1"}), &a.with({"e2"}));
}

TEST(RegistryTest, NameOfAnotherTypeIsNotExported)
{
    Registry r;
    r.counter("kiln_dup", "a counter").unlabelled().inc(3);
    r.gauge("kiln_dup", "a gauge").unlabelled().set(42);
    const QByteArray text = r.render();
    EXPECT_TRUE(text.contains("# TYPE kiln_dup counter\nkiln_dup 3\n")) << text.toStdString();
    EXPECT_FALSE(text.contains("42"));
}

TEST(RegistryTest, UnlabelledFamilyIsExportedAsZeroBeforeUse)
{
    Registry r;
    r.counter("kiln_never_total", "never incremented");
    EXPECT_TRUE(r.render().contains("\nkiln_never_total 0\n"));
}

TEST(RegistryTest, ConcurrentIncrementsAreAllCounted)
{
    Registry r;
    CounterFamily &family = r.counter("kiln_hits_total", "hits", {"worker"});
    HistogramFamily &latency = r.histogram("kiln_lat_seconds", "lat", {}, {0.5});
    constexpr int Threads = 4, PerThread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.emplace_back([&family, &latency, t] {
            for (int i = 0; i < PerThread; ++i) {
                // Half the threads share one series, so the same atomic is contended.
                family.with({t % 2 ? "odd" : std::to_string(t)}).inc();
                latency.unlabelled().observe(i % 2 ? 1.0 : 0.25);
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(family.with({"odd"}).value(), std::uint64_t(2 * PerThread));
    EXPECT_EQ(family.with({"0"}).value(), std::uint64_t(PerThread));
    const Histogram::Snapshot s = latency.unlabelled().snapshot();
    EXPECT_EQ(s.count(), std::uint64_t(Threads * PerThread));
    EXPECT_EQ(s.cumulative[0], std::uint64_t(Threads * PerThread / 2));
    EXPECT_DOUBLE_EQ(s.sum, Threads * PerThread / 2 * 1.25);
}

TEST(RegistryTest, CollectorsRunBeforeEachRender)
{
    Registry r;
    int runs = 0;
    r.addCollector([&runs](Registry &reg) {
        reg.gauge("kiln_runs", "collector runs").unlabelled().set(++runs);
    });
    EXPECT_TRUE(r.render().contains("\nkiln_runs 1\n"));
    EXPECT_TRUE(r.render().contains("\nkiln_runs 2\n"));
}

TEST(RegistryTest, ConstLabelsLeadEverySeries)
{
    Registry r;
    r.setConstLabel("node_id", "t1");
    r.counter("kiln_a_total", "a", {"etl"}).with({"x"}).inc();
    r.counter("kiln_b_total", "b").unlabelled().inc(2);
    const QByteArray text = r.render();
    EXPECT_TRUE(text.contains("kiln_a_total{node_id=\"t1\",etl=\"x\"} 1\n")) << text.toStdString();
    EXPECT_TRUE(text.contains("kiln_b_total{node_id=\"t1\"} 2\n")) << text.toStdString();
}
