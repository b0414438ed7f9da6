#pragma once

#include <QList>
#include <QString>

#include <cstdint>

namespace Kiln::Metrics {

class Registry;

// One of AIS's tracker values (stats.copyTracker entries) with its kind (stats.Kind*).
struct AisStat
{
    QString name; // "get.n", "err.get.n", "get.size", "get.ns.total", ...
    QString kind; // "counter", "size" or "total"
    std::int64_t value = 0;
};

// A node's request counters under AIS's internal tracker names, read from the Prometheus
// series RequestMetrics keeps (ais_<node>_get_count -> get.n, ..._err_get_count -> err.get.n,
// ..._get_bytes -> get.size, ..._get_ns_total -> get.ns.total), for what=node_status's tracker
// and what=metrics (the CLI's `ais show performance`). A series the registry lacks (metrics
// off, or a proxy's bytes) is left out, so each name means what AIS means by it.
QList<AisStat> aisStats(const Registry &registry, const char *nodeType);

} // namespace Kiln::Metrics
