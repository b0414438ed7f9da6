#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace Kiln::Metrics {

// One time series of a counter: a monotonic integer. Updated lock-free from any thread with a
// relaxed atomic add (a scrape needs no ordering with other series, only the value itself).
class Counter final
{
public:
    void inc(std::uint64_t n = 1) { m_value.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> m_value{0};
};

// One time series of a gauge: a value that goes up and down (bytes in use, open fds).
class Gauge final
{
public:
    void set(double value) { m_value.store(value, std::memory_order_relaxed); }
    void add(double delta) { m_value.fetch_add(delta, std::memory_order_relaxed); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

// One time series of a histogram with fixed upper bounds. Each observation adds to one bucket
// (non-cumulative) and to the sum; the cumulative counts Prometheus wants are made at scrape
// time, and _count is their total, so _count always equals the +Inf bucket in one snapshot.
class Histogram final
{
public:
    explicit Histogram(std::vector<double> bounds);

    void observe(double value);

    struct Snapshot
    {
        std::vector<double> bounds; // without +Inf
        std::vector<std::uint64_t> cumulative; // bounds.size() + 1 entries, the last is +Inf
        double sum = 0;
        std::uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
    };
    Snapshot snapshot() const;

private:
    std::vector<double> m_bounds; // ascending
    std::unique_ptr<std::atomic<std::uint64_t>[]> m_buckets; // m_bounds.size() + 1
    std::atomic<double> m_sum{0};
};

// Latency buckets in seconds, 100 µs to 60 s: an object GET from page cache takes ~100 µs, a
// cold ETL transform can take tens of seconds.
std::vector<double> latencyBuckets();

} // namespace Kiln::Metrics
