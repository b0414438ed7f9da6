#pragma once

#include <QJsonObject>

namespace Kiln::Metrics {

class Registry;

// The target's latest rebalance as gauges (set at each scrape from Target::Rebalancer's
// snapshot): whether one runs, the cluster map version it follows, and the objects and bytes it
// sent and received and the sends that failed. Gauges, not counters: each new map starts a
// rebalance with counters of its own (AIS's rebalance xaction stats work the same way), and the
// job id g<version> tells runs apart.
void setRebalanceStats(Registry &registry, const QJsonObject &snapshot);

} // namespace Kiln::Metrics
