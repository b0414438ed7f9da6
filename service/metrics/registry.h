#pragma once

#include "service/metrics/family.h"
#include "service/metrics/textformat.h"

#include <QByteArray>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Kiln::Metrics {

// The metric families of one process and the collectors that refresh gauges at scrape time.
// Registering a family takes a lock (once per family, at start-up or first use); updating a
// series takes none. Asking twice for one name returns the same family; asking for a name
// already taken by another type is a programming error and returns a detached family whose
// series are never exported (so a caller never gets a null reference).
// Thread-safe. One kilnd process is one node, so the node's metrics live in global(), as a
// Prometheus client's default registry does; tests make registries of their own.
class Registry final
{
public:
    Registry() = default;
    Registry(const Registry &) = delete;
    Registry &operator=(const Registry &) = delete;

    static Registry &global();

    CounterFamily &counter(const std::string &name, const std::string &help,
                           std::vector<std::string> labelNames = {});
    GaugeFamily &gauge(const std::string &name, const std::string &help,
                       std::vector<std::string> labelNames = {});
    HistogramFamily &histogram(const std::string &name, const std::string &help,
                               std::vector<std::string> labelNames,
                               std::vector<double> bounds = latencyBuckets());

    // Runs before each render (on the rendering thread): reads /proc, statfs and the like into
    // gauges. Collectors must be thread-safe and quick.
    void addCollector(std::function<void(Registry &)> collector);
    // A label every series carries when rendered (AIS labels each with node_id).
    void setConstLabel(const std::string &name, const std::string &value);

    // Runs the collectors, then the Prometheus text exposition (format 0.0.4) of every family,
    // ordered by name.
    QByteArray render();
    // The families, ordered by name (under the registry's lock while fn runs).
    void forEachFamily(const std::function<void(const FamilyBase &)> &fn) const;

private:
    template<class S>
    Family<S> &family(const std::string &name, const std::string &help, MetricType type,
                      std::vector<std::string> labelNames, typename Family<S>::Make make);

    mutable std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<FamilyBase>> m_families;
    std::vector<std::unique_ptr<FamilyBase>> m_detached; // misregistered, see above
    std::vector<std::function<void(Registry &)>> m_collectors;
    ConstLabels m_constLabels;
};

// False when the environment says KILN_METRICS=off (or 0, false, no): then nodes install no
// observers and serve no /metrics, which is what the cost bench compares against.
bool enabled();

} // namespace Kiln::Metrics
