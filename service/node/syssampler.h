#pragma once

#include "shared/api/nodestatus.h"

#include <QElapsedTimer>
#include <QHash>
#include <QStringList>

namespace Kiln::Node {

// This host's and process's memory, CPU, disks and the capacity of given folders, as AIS nodes
// report them, read from /proc, /sys and statfs. Rates (CPU %, disk bytes/s) are measured
// between two calls at least a second apart; a call sooner repeats the last figures, so the
// owner needs no timer. Reads only kernel pseudo-files and statfs of local folders: quick
// enough for the node's event loop. One per node process, used from its main thread.
class SysSampler
{
public:
    SysSampler();

    Api::MemCpuInfo memCpu();
    // The filesystem, disks and capacity under each folder; a folder that cannot be read is
    // left out and named in *error (AIS's cs_err).
    QList<Api::MountpathCapacity> capacity(const QStringList &folders, QString *error) const;
    // The I/O of the given disks (names as /proc/diskstats has them).
    QList<Api::DiskStats> diskStats(const QStringList &disks);

private:
    struct CpuSample
    {
        quint64 busy = 0, total = 0; // host, clock ticks
        quint64 procTicks = 0; // this process, clock ticks
    };
    struct DiskSample
    {
        quint64 reads = 0, readSectors = 0, writes = 0, writeSectors = 0, ioMs = 0;
    };

    QElapsedTimer m_cpuClock;
    CpuSample m_cpu;
    qint64 m_cpuUtil = 0;
    double m_procPercent = 0;
    QElapsedTimer m_diskClock;
    QHash<QString, DiskSample> m_disks;
    QHash<QString, Api::DiskStats> m_diskRates;
};

} // namespace Kiln::Node
