#include "service/metrics/rebalancemetrics.h"

#include "service/metrics/registry.h"

namespace Kiln::Metrics {

void setRebalanceStats(Registry &r, const QJsonObject &snap)
{
    r.gauge("kiln_rebalance_running", "1 while this target runs a rebalance")
        .unlabelled()
        .set(snap.value("running").toBool() ? 1 : 0);
    r.gauge("kiln_rebalance_smap_version", "the cluster map version of the latest rebalance")
        .unlabelled()
        .set(double(snap.value("smap_version").toInteger()));
    const struct
    {
        const char *name, *help, *key;
    } figures[] = {
        {"kiln_rebalance_sent_objects", "objects sent by the latest rebalance", "sent_objects"},
        {"kiln_rebalance_sent_bytes", "bytes sent by the latest rebalance", "sent_bytes"},
        {"kiln_rebalance_received_objects", "objects received by the latest rebalance",
         "received_objects"},
        {"kiln_rebalance_received_bytes", "bytes received by the latest rebalance",
         "received_bytes"},
        {"kiln_rebalance_errors", "sends of the latest rebalance that failed", "errors"},
    };
    for (const auto &f : figures)
        r.gauge(f.name, f.help).unlabelled().set(double(snap.value(f.key).toInteger()));
}

} // namespace Kiln::Metrics
