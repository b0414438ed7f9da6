#include "service/metrics/aistracker.h"

#include "service/metrics/registry.h"

namespace Kiln::Metrics {

namespace {

struct Mapping
{
    const char *promSuffix; // after "ais_<node>_"
    const char *aisName;
    const char *kind;
};

// AIS's names (stats/common.go, stats/target_stats.go) for the series RequestMetrics keeps.
constexpr Mapping Mappings[] = {
    {"get_count", "get.n", "counter"},          {"put_count", "put.n", "counter"},
    {"head_count", "head.n", "counter"},        {"del_count", "del.n", "counter"},
    {"lst_count", "lst.n", "counter"},          {"err_get_count", "err.get.n", "counter"},
    {"err_put_count", "err.put.n", "counter"},  {"err_head_count", "err.head.n", "counter"},
    {"err_del_count", "err.del.n", "counter"},  {"err_lst_count", "err.lst.n", "counter"},
    {"get_bytes", "get.size", "size"},          {"put_bytes", "put.size", "size"},
    {"get_ns_total", "get.ns.total", "total"},  {"put_ns_total", "put.ns.total", "total"},
    {"lst_ns_total", "lst.ns.total", "total"},
};

} // namespace

QList<AisStat> aisStats(const Registry &registry, const char *nodeType)
{
    const std::string prefix = std::string("ais_") + nodeType + '_';
    QList<AisStat> out;
    registry.forEachFamily([&](const FamilyBase &family) {
        const std::string &name = family.name();
        const auto *counters = dynamic_cast<const CounterFamily *>(&family);
        if (!counters || !family.labelNames().empty() || name.rfind(prefix, 0) != 0)
            return;
        for (const Mapping &m : Mappings) {
            if (name.compare(prefix.size(), std::string::npos, m.promSuffix) != 0)
                continue;
            counters->forEach([&](const LabelValues &, const Counter &c) {
                out.append({QString::fromLatin1(m.aisName), QString::fromLatin1(m.kind),
                            std::int64_t(c.value())});
            });
        }
    });
    return out;
}

} // namespace Kiln::Metrics
