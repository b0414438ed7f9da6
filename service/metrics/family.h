#pragma once

#include "service/metrics/series.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace Kiln::Metrics {

enum class MetricType { Counter, Gauge, Histogram };

using LabelValues = std::vector<std::string>;

// What every metric family has: a name, a HELP text, a type and the names of its labels.
class FamilyBase
{
public:
    FamilyBase(std::string name, std::string help, MetricType type,
               std::vector<std::string> labelNames)
        : m_name(std::move(name))
        , m_help(std::move(help))
        , m_type(type)
        , m_labelNames(std::move(labelNames))
    { }
    virtual ~FamilyBase() = default;
    FamilyBase(const FamilyBase &) = delete;
    FamilyBase &operator=(const FamilyBase &) = delete;

    const std::string &name() const { return m_name; }
    const std::string &help() const { return m_help; }
    MetricType type() const { return m_type; }
    const std::vector<std::string> &labelNames() const { return m_labelNames; }

private:
    std::string m_name;
    std::string m_help;
    MetricType m_type;
    std::vector<std::string> m_labelNames;
};

// A metric family of series of type S (Counter, Gauge or Histogram), one per set of label
// values. with() looks a series up under a shared lock and creates it under an exclusive one
// the first time; a series never moves or dies, so callers on a hot path keep the reference
// and update it with atomics alone. Thread-safe.
template<class S> class Family final : public FamilyBase
{
public:
    using Make = std::function<std::unique_ptr<S>()>;

    Family(std::string name, std::string help, MetricType type, std::vector<std::string> labelNames,
           Make make)
        : FamilyBase(std::move(name), std::move(help), type, std::move(labelNames))
        , m_make(std::move(make))
    { }

    // Values in the order of labelNames(); missing ones are empty, extra ones are ignored.
    S &with(LabelValues values)
    {
        values.resize(labelNames().size());
        {
            std::shared_lock lock(m_mutex);
            if (auto it = m_series.find(values); it != m_series.end())
                return *it->second;
        }
        std::unique_lock lock(m_mutex);
        auto &slot = m_series[std::move(values)];
        if (!slot)
            slot = m_make();
        return *slot;
    }
    S &unlabelled() { return with({}); }

    // Drops the series of these values, for families whose series nobody keeps a reference to
    // (gauges set through with() each time, e.g. per-ETL usage after the ETL is gone).
    void remove(LabelValues values)
    {
        values.resize(labelNames().size());
        std::unique_lock lock(m_mutex);
        m_series.erase(values);
    }
    // The label values of every series.
    std::vector<LabelValues> keys() const
    {
        std::shared_lock lock(m_mutex);
        std::vector<LabelValues> out;
        for (const auto &entry : m_series)
            out.push_back(entry.first);
        return out;
    }

    // Calls fn(labelValues, series) for each series, ordered by label values.
    void forEach(const std::function<void(const LabelValues &, const S &)> &fn) const
    {
        std::shared_lock lock(m_mutex);
        for (const auto &[values, series] : m_series)
            fn(values, *series);
    }

private:
    Make m_make;
    mutable std::shared_mutex m_mutex;
    std::map<LabelValues, std::unique_ptr<S>> m_series;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

} // namespace Kiln::Metrics
