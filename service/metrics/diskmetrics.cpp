#include "service/metrics/diskmetrics.h"

#include "service/metrics/registry.h"

namespace Kiln::Metrics {

void setDiskStats(Registry &r, const QList<Api::DiskStats> &disks)
{
    auto &readBps = r.gauge("ais_target_disk_read_bps", "read bandwidth (B/s)", {"disk"});
    auto &readSize = r.gauge("ais_target_disk_avg_rsize", "average read size (bytes)", {"disk"});
    auto &writeBps = r.gauge("ais_target_disk_write_bps", "write bandwidth (B/s)", {"disk"});
    auto &writeSize = r.gauge("ais_target_disk_avg_wsize", "average write size (bytes)",
                              {"disk"});
    auto &util = r.gauge("ais_target_disk_util", "disk utilization (%)", {"disk"});
    for (const Api::DiskStats &d : disks) {
        const LabelValues disk{d.name.toStdString()};
        readBps.with(disk).set(double(d.readBps));
        readSize.with(disk).set(double(d.readAvgSize));
        writeBps.with(disk).set(double(d.writeBps));
        writeSize.with(disk).set(double(d.writeAvgSize));
        util.with(disk).set(double(d.utilPct));
    }
}

} // namespace Kiln::Metrics
