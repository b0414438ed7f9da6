#pragma once

#include "shared/cluster/snode.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Kiln::Api {

// What a node reports of itself for `ais show cluster`, `ais storage ...` and the SDK's cluster
// calls: AIS's stats.NodeStatus and its parts, in AIS's JSON (the clients decode JSON as well
// as the msgpack they ask for). Built by service/node from /proc and statvfs; only encoded here.

// One mountpath's filesystem and capacity (AIS fs.CDF).
struct MountpathCapacity
{
    QString path;
    QString fs; // the mounted source, e.g. /dev/sda1
    QString fsType; // ext4, xfs, tmpfs, ...
    qint32 fsid[2] = {0, 0}; // statfs f_fsid: same value, same filesystem
    QStringList disks; // block devices under it, e.g. sda
    quint64 used = 0; // bytes
    quint64 avail = 0; // bytes a non-root writer may still use
    int pctUsed = 0;
};

// The host's memory as AIS's sys.MemStat has it (bytes).
struct MemStat
{
    quint64 total = 0, used = 0, free = 0, buffCache = 0, actualFree = 0, actualUsed = 0;
    quint64 swapTotal = 0, swapFree = 0, swapUsed = 0;
};

// This process's CPU (ms) and memory (bytes), AIS's sys.ProcStats.
struct ProcStats
{
    quint64 cpuUser = 0, cpuSystem = 0, cpuTotal = 0;
    qint64 cpuLastTimeMs = 0;
    double cpuPercent = 0;
    quint64 memSize = 0, memResident = 0, memShare = 0;
};

// AIS's apc.MemCPUInfo.
struct MemCpuInfo
{
    quint64 memUsed = 0; // this process's resident memory
    quint64 memAvail = 0; // the host's available memory
    double pctMemUsed = 0; // this process's resident memory, % of the host's
    double pctCpuUsed = 0; // this process
    double load[3] = {0, 0, 0}; // 1, 5, 15 minutes
    qint64 cpuUtil = 0; // the host's CPU utilization, %
    MemStat mem;
    ProcStats proc;
};

struct NodeStatus
{
    Cluster::Snode snode;
    qint64 uptimeNs = 0;
    QString deployment; // "K8s", "dev" (one machine's cluster), or the OS ("linux")
    QString version; // major.minor.build
    QString buildTime;
    QString podName; // Kubernetes pod, when in one
    qint64 smapVersion = 0;
    QString smapUuid;
    Cluster::Snode primary;
    qint64 bmdVersion = 0;
    qint64 etlMdVersion = 0;
    // AIS's node state flags: this node runs; the cluster it belongs to runs (the primary: has
    // targets; a target: joined).
    bool clusterStarted = false;
    MemCpuInfo memCpu;
    // Targets: their mountpaths; proxies have none.
    QList<MountpathCapacity> mountpaths;
    QString capacityError; // AIS cs_err: out of space, a mountpath that cannot be read
    // AIS's tracker beyond the uptime: request counters under AIS's names ("get.n", ...).
    QList<QPair<QString, qint64>> tracker;
    // AIS's rebalance_snap (a core.Snap): the node's latest rebalance; left out when empty.
    QJsonObject rebalanceSnap;

    QJsonObject toJson() const;
};

// AIS's fs.Tcdf: per-mountpath capacity with totals and min/avg/max percentages.
QJsonObject tcdfJson(const QList<MountpathCapacity> &mountpaths, const QString &error);

// AIS's apc.MountpathList (what=mountpaths).
QJsonObject mountpathListJson(const QStringList &available);

// One disk's I/O over the last sampling interval (AIS cos.DiskStats).
struct DiskStats
{
    QString name;
    qint64 readBps = 0, readAvgSize = 0, writeBps = 0, writeAvgSize = 0;
    qint64 utilPct = 0;
};

// AIS's fs.TcdfExt (what=disk): the disks' I/O and the mountpaths' capacity.
QJsonObject diskCapacityJson(const QList<DiskStats> &disks,
                             const QList<MountpathCapacity> &mountpaths, const QString &error);

} // namespace Kiln::Api
