#pragma once

#include "shared/api/nodestatus.h"

#include <QList>

namespace Kiln::Metrics {

class Registry;

// Sets AIS's per-disk gauges of a target, labelled by disk as AIS labels them
// (stats/target_stats.go RegDiskMetrics): ais_target_disk_read_bps, _write_bps,
// _avg_rsize, _avg_wsize and _util, from the node's SysSampler figures.
void setDiskStats(Registry &registry, const QList<Api::DiskStats> &disks);

} // namespace Kiln::Metrics
