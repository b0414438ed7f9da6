#include "service/node/syssampler.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <sys/statfs.h>
#include <unistd.h>

namespace Kiln::Node {
namespace {

QByteArray readProc(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// "/proc/meminfo" values in bytes, by key ("MemTotal").
QHash<QByteArray, quint64> memInfo()
{
    QHash<QByteArray, quint64> out;
    for (const QByteArray &line : readProc("/proc/meminfo").split('\n')) {
        const QList<QByteArray> parts = line.simplified().split(' ');
        if (parts.size() >= 2 && parts[0].endsWith(':'))
            out.insert(parts[0].chopped(1), parts[1].toULongLong() * 1024);
    }
    return out;
}

Api::MemStat memStat()
{
    const auto m = memInfo();
    Api::MemStat s;
    s.total = m.value("MemTotal");
    s.free = m.value("MemFree");
    s.used = s.total - s.free;
    s.buffCache = m.value("Buffers") + m.value("Cached") + m.value("SReclaimable");
    s.actualFree = m.value("MemAvailable", s.free);
    s.actualUsed = s.total - s.actualFree;
    s.swapTotal = m.value("SwapTotal");
    s.swapFree = m.value("SwapFree");
    s.swapUsed = s.swapTotal - s.swapFree;
    return s;
}

// Host CPU ticks from the first line of /proc/stat: busy (all but idle and iowait) and total.
std::pair<quint64, quint64> hostTicks()
{
    const QByteArray stat = readProc("/proc/stat");
    const QList<QByteArray> f = stat.left(stat.indexOf('\n')).simplified().split(' ');
    quint64 total = 0, idle = 0;
    for (int i = 1; i < f.size(); ++i) {
        total += f[i].toULongLong();
        if (i == 4 || i == 5) // idle, iowait
            idle += f[i].toULongLong();
    }
    return {total - idle, total};
}

// This process's user and system ticks (/proc/self/stat fields 14 and 15, after the command,
// which may hold spaces and sits in parentheses).
std::pair<quint64, quint64> procTicks()
{
    const QByteArray stat = readProc("/proc/self/stat");
    const QList<QByteArray> f = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    return f.size() > 12 ? std::pair{f[11].toULongLong(), f[12].toULongLong()}
                         : std::pair<quint64, quint64>{0, 0};
}

struct MountEntry
{
    QString point, source, type;
    QString device; // major:minor
};

QString unescapeMount(QString s)
{
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\");
}

// The mount of /proc/self/mountinfo that holds path (the longest mount point above it).
MountEntry mountOf(const QString &path)
{
    MountEntry best;
    for (const QByteArray &line : readProc("/proc/self/mountinfo").split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        const qsizetype dash = f.indexOf("-");
        if (f.size() < 5 || dash < 0 || dash + 2 >= f.size())
            continue;
        const QString point = unescapeMount(QString::fromUtf8(f[4]));
        const bool above = path == point || point == "/"
            || path.startsWith(point.endsWith('/') ? point : point + '/');
        if (above && point.size() >= best.point.size())
            best = MountEntry{point, unescapeMount(QString::fromUtf8(f[dash + 2])),
                              QString::fromUtf8(f[dash + 1]), QString::fromUtf8(f[2])};
    }
    return best;
}

// The whole disk a block device belongs to ("sda" for sda1); none for tmpfs, overlay, ...
QStringList disksOf(const QString &device)
{
    const QFileInfo link(QStringLiteral("/sys/dev/block/") + device);
    if (!link.exists())
        return {};
    const QString real = link.canonicalFilePath();
    if (QFile::exists(real + "/partition"))
        return {QFileInfo(QFileInfo(real).path()).fileName()};
    return {QFileInfo(real).fileName()};
}

} // namespace

SysSampler::SysSampler()
{
    const auto [busy, total] = hostTicks();
    const auto [user, system] = procTicks();
    m_cpu = CpuSample{busy, total, user + system};
    m_cpuClock.start();
}

Api::MemCpuInfo SysSampler::memCpu()
{
    const qint64 tick = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    const auto [busy, total] = hostTicks();
    const auto [user, system] = procTicks();
    if (m_cpuClock.elapsed() >= 1000) {
        if (total > m_cpu.total)
            m_cpuUtil = qint64((busy - m_cpu.busy) * 100 / (total - m_cpu.total));
        const double seconds = m_cpuClock.elapsed() / 1000.0;
        m_procPercent = double(user + system - m_cpu.procTicks) / double(tick) / seconds * 100;
        m_cpu = CpuSample{busy, total, user + system};
        m_cpuClock.restart();
    }
    Api::MemCpuInfo info;
    info.mem = memStat();
    const QList<QByteArray> statm = readProc("/proc/self/statm").simplified().split(' ');
    const quint64 page = quint64(sysconf(_SC_PAGESIZE));
    if (statm.size() >= 3) {
        info.proc.memSize = statm[0].toULongLong() * page;
        info.proc.memResident = statm[1].toULongLong() * page;
        info.proc.memShare = statm[2].toULongLong() * page;
    }
    info.proc.cpuUser = user * 1000 / quint64(tick);
    info.proc.cpuSystem = system * 1000 / quint64(tick);
    info.proc.cpuTotal = info.proc.cpuUser + info.proc.cpuSystem;
    info.proc.cpuLastTimeMs = QDateTime::currentMSecsSinceEpoch();
    info.proc.cpuPercent = m_procPercent;
    info.memUsed = info.proc.memResident;
    info.memAvail = info.mem.actualFree;
    info.pctMemUsed = info.mem.total ? double(info.memUsed) * 100 / double(info.mem.total) : 0;
    info.pctCpuUsed = m_procPercent;
    info.cpuUtil = m_cpuUtil;
    const QList<QByteArray> load = readProc("/proc/loadavg").split(' ');
    for (int i = 0; i < 3 && i < load.size(); ++i)
        info.load[i] = load[i].toDouble();
    return info;
}

QList<Api::MountpathCapacity> SysSampler::capacity(const QStringList &folders, QString *error) const
{
    QList<Api::MountpathCapacity> out;
    for (const QString &folder : folders) {
        struct statfs st
        { };
        if (::statfs(QFile::encodeName(folder).constData(), &st) != 0) {
            *error = QStringLiteral("mountpath %1: %2").arg(folder, qt_error_string(errno));
            continue;
        }
        Api::MountpathCapacity m;
        m.path = folder;
        const MountEntry mount = mountOf(QDir(folder).canonicalPath());
        m.fs = mount.source;
        m.fsType = mount.type;
        m.disks = disksOf(mount.device);
        std::memcpy(m.fsid, &st.f_fsid, sizeof m.fsid);
        const quint64 unit = quint64(st.f_frsize ? st.f_frsize : st.f_bsize);
        m.used = quint64(st.f_blocks - st.f_bfree) * unit;
        m.avail = quint64(st.f_bavail) * unit;
        m.pctUsed = m.used + m.avail ? int(m.used * 100 / (m.used + m.avail)) : 0;
        out.append(m);
    }
    return out;
}

QList<Api::DiskStats> SysSampler::diskStats(const QStringList &disks)
{
    const bool measure = !m_diskClock.isValid() || m_diskClock.elapsed() >= 1000;
    if (measure) {
        const double ms = m_diskClock.isValid() ? double(m_diskClock.elapsed()) : 0;
        for (const QByteArray &line : readProc("/proc/diskstats").split('\n')) {
            const QList<QByteArray> f = line.simplified().split(' ');
            if (f.size() < 13)
                continue;
            const QString name = QString::fromLatin1(f[2]);
            const DiskSample now{f[3].toULongLong(), f[5].toULongLong(), f[7].toULongLong(),
                                 f[9].toULongLong(), f[12].toULongLong()};
            const auto prev = m_disks.constFind(name);
            if (prev != m_disks.constEnd() && ms > 0) {
                Api::DiskStats d{name};
                const quint64 rb = (now.readSectors - prev->readSectors) * 512;
                const quint64 wb = (now.writeSectors - prev->writeSectors) * 512;
                d.readBps = qint64(rb * 1000 / ms);
                d.writeBps = qint64(wb * 1000 / ms);
                d.readAvgSize
                    = now.reads > prev->reads ? qint64(rb / (now.reads - prev->reads)) : 0;
                d.writeAvgSize
                    = now.writes > prev->writes ? qint64(wb / (now.writes - prev->writes)) : 0;
                d.utilPct = std::min<qint64>(100, qint64((now.ioMs - prev->ioMs) * 100 / ms));
                m_diskRates.insert(name, d);
            }
            m_disks.insert(name, now);
        }
        m_diskClock.restart();
    }
    QList<Api::DiskStats> out;
    for (const QString &d : disks)
        out.append(m_diskRates.value(d, Api::DiskStats{d}));
    return out;
}

} // namespace Kiln::Node
