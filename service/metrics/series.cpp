#include "service/metrics/series.h"

#include <algorithm>

namespace Kiln::Metrics {

Histogram::Histogram(std::vector<double> bounds)
    : m_bounds(std::move(bounds))
    , m_buckets(std::make_unique<std::atomic<std::uint64_t>[]>(m_bounds.size() + 1))
{
    std::sort(m_bounds.begin(), m_bounds.end());
    for (std::size_t i = 0; i <= m_bounds.size(); ++i)
        m_buckets[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value)
{
    // "le": a value equal to a bound belongs to that bound's bucket.
    const auto at = std::lower_bound(m_bounds.begin(), m_bounds.end(), value);
    m_buckets[std::size_t(at - m_bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    m_sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot s;
    s.bounds = m_bounds;
    s.cumulative.resize(m_bounds.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= m_bounds.size(); ++i) {
        running += m_buckets[i].load(std::memory_order_relaxed);
        s.cumulative[i] = running;
    }
    s.sum = m_sum.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> latencyBuckets()
{
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30,    60};
}

} // namespace Kiln::Metrics
