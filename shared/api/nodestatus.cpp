#include "shared/api/nodestatus.h"

#include <QJsonArray>

#include <algorithm>

namespace Kiln::Api {
namespace {

// cos.NodeStateFlags: all is well when exactly these two are set.
constexpr qint64 ClusterStarted = 1 << 1;
constexpr qint64 NodeStarted = 1 << 2;

// Go's ",string" tag: 64-bit counters travel as decimal strings.
QString str(quint64 v)
{
    return QString::number(v);
}

QJsonObject memStatJson(const MemStat &m)
{
    return QJsonObject{{"Total", qint64(m.total)},
                       {"Used", qint64(m.used)},
                       {"Free", qint64(m.free)},
                       {"BuffCache", qint64(m.buffCache)},
                       {"ActualFree", qint64(m.actualFree)},
                       {"ActualUsed", qint64(m.actualUsed)},
                       {"SwapTotal", qint64(m.swapTotal)},
                       {"SwapFree", qint64(m.swapFree)},
                       {"SwapUsed", qint64(m.swapUsed)}};
}

QJsonObject procStatsJson(const ProcStats &p)
{
    return QJsonObject{{"CPU",
                        QJsonObject{{"User", qint64(p.cpuUser)},
                                    {"System", qint64(p.cpuSystem)},
                                    {"Total", qint64(p.cpuTotal)},
                                    {"LastTime", p.cpuLastTimeMs},
                                    {"Percent", p.cpuPercent}}},
                       {"Mem",
                        QJsonObject{{"Size", qint64(p.memSize)},
                                    {"Resident", qint64(p.memResident)},
                                    {"Share", qint64(p.memShare)}}}};
}

QJsonObject memCpuJson(const MemCpuInfo &m)
{
    return QJsonObject{
        {"mem_used", qint64(m.memUsed)},
        {"mem_avail", qint64(m.memAvail)},
        {"pct_mem_used", m.pctMemUsed},
        {"pct_cpu_used", m.pctCpuUsed},
        {"load_avg", QJsonObject{{"One", m.load[0]}, {"Five", m.load[1]}, {"Fifteen", m.load[2]}}},
        {"cpu_util", m.cpuUtil},
        {"mem", memStatJson(m.mem)},
        {"proc", procStatsJson(m.proc)}};
}

QJsonObject cdfJson(const MountpathCapacity &m)
{
    return QJsonObject{
        {"mountpath_label", ""},
        {"fs",
         QJsonObject{{"Fs", m.fs},
                     {"FsType", m.fsType},
                     // cos.FsID marshals as "a,b".
                     {"FsID", QStringLiteral("%1,%2").arg(m.fsid[0]).arg(m.fsid[1])}}},
        {"disks", QJsonArray::fromStringList(m.disks)},
        {"used", str(m.used)},
        {"avail", str(m.avail)},
        {"pct_used", m.pctUsed}};
}

// AIS's cos.NodeStateInfo: the versions of the metadata this node holds.
QJsonObject stateJson(const NodeStatus &s)
{
    const auto versioned = [](qint64 v) { return QJsonObject{{"version", QString::number(v)}}; };
    QJsonObject smap{
        {"Primary",
         QJsonObject{{"pub_url", s.primary.id.isEmpty() ? QString() : s.primary.url()},
                     {"control_url", s.primary.id.isEmpty() ? QString() : s.primary.url()},
                     {"id", s.primary.id}}},
        {"uuid", s.smapUuid},
        {"version", QString::number(s.smapVersion)}};
    QJsonObject bmd = versioned(s.bmdVersion);
    bmd.insert("uuid", s.smapUuid);
    return QJsonObject{{"smap", smap},
                       {"bmd", bmd},
                       {"rmd", versioned(0)},
                       {"config", versioned(1)},
                       {"etlmd", versioned(s.etlMdVersion)},
                       {"flags", (s.clusterStarted ? ClusterStarted : 0) | NodeStarted}};
}

} // namespace

QJsonObject tcdfJson(const QList<MountpathCapacity> &mountpaths, const QString &error)
{
    QJsonObject byPath;
    quint64 used = 0, avail = 0;
    int pctMin = mountpaths.isEmpty() ? 0 : 100, pctMax = 0, pctSum = 0;
    for (const MountpathCapacity &m : mountpaths) {
        byPath.insert(m.path, cdfJson(m));
        used += m.used;
        avail += m.avail;
        pctMin = std::min(pctMin, m.pctUsed);
        pctMax = std::max(pctMax, m.pctUsed);
        pctSum += m.pctUsed;
    }
    return QJsonObject{{"mountpaths", byPath},
                       {"cs_err", error},
                       {"total_used", str(used)},
                       {"total_avail", str(avail)},
                       {"pct_max", pctMax},
                       {"pct_avg", mountpaths.isEmpty() ? 0 : int(pctSum / mountpaths.size())},
                       {"pct_min", pctMin}};
}

QJsonObject NodeStatus::toJson() const
{
    // stats.copyTracker: a tracker's value marshals as a bare number.
    QJsonObject counters{{"up.ns.time", uptimeNs}};
    for (const auto &[name, value] : tracker)
        counters.insert(name, value);
    QJsonObject out{{"snode", snode.toJson()},
                    {"tracker", counters},
                    {"capacity", tcdfJson(mountpaths, capacityError)},
                    {"status", ""}, // the CLI shows "online"
                    {"deployment", deployment},
                    {"ais_version", version},
                    {"build_time", buildTime},
                    {"k8s_pod_name", podName},
                    {"cluster", stateJson(*this)},
                    {"sys_info", memCpuJson(memCpu)},
                    {"smap_version", QString::number(smapVersion)}};
    if (!rebalanceSnap.isEmpty())
        out.insert("rebalance_snap", rebalanceSnap);
    return out;
}

QJsonObject mountpathListJson(const QStringList &available)
{
    return QJsonObject{{"available", QJsonArray::fromStringList(available)},
                       {"waiting_dd", QJsonArray()},
                       {"disabled", QJsonArray()}};
}

QJsonObject diskCapacityJson(const QList<DiskStats> &disks,
                             const QList<MountpathCapacity> &mountpaths, const QString &error)
{
    QJsonObject all;
    for (const DiskStats &d : disks)
        all.insert(d.name,
                   QJsonObject{{"RBps", d.readBps},
                               {"Ravg", d.readAvgSize},
                               {"WBps", d.writeBps},
                               {"Wavg", d.writeAvgSize},
                               {"Util", d.utilPct}});
    // fs.TcdfExt embeds cos.AllDiskStats (a map: one field of that name) and fs.Tcdf (flattened).
    QJsonObject out = tcdfJson(mountpaths, error);
    out.insert("AllDiskStats", all);
    return out;
}

} // namespace Kiln::Api
