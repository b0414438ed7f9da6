#include "service/metrics/processcollector.h"

#include "service/metrics/registry.h"

#include <QDir>
#include <QFile>
#include <QStorageInfo>

#include <unistd.h>

namespace Kiln::Metrics {

namespace {

// The fields of /proc/self/stat after the command name, which may hold spaces and is in
// parentheses: fields[0] is field 3 (state) of proc(5).
QList<QByteArray> statFields()
{
    QFile file(QStringLiteral("/proc/self/stat"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray line = file.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close < 0 ? QList<QByteArray>() : line.mid(close + 2).split(' ');
}

double bootTimeSeconds()
{
    QFile file(QStringLiteral("/proc/stat"));
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith("btime "))
            return line.mid(6).trimmed().toDouble();
    }
    return 0;
}

void collectProcess(Registry &r)
{
    const QList<QByteArray> f = statFields();
    if (f.size() < 22)
        return;
    const double ticks = double(sysconf(_SC_CLK_TCK));
    const double pageSize = double(sysconf(_SC_PAGESIZE));
    // proc(5): utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
    r.gauge("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
        .unlabelled()
        .set((f[11].toDouble() + f[12].toDouble()) / ticks);
    r.gauge("process_threads", "Number of OS threads in the process.")
        .unlabelled()
        .set(f[17].toDouble());
    static const double start = bootTimeSeconds() + f[19].toDouble() / ticks;
    r.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")
        .unlabelled()
        .set(start);
    r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.")
        .unlabelled()
        .set(f[20].toDouble());
    r.gauge("process_resident_memory_bytes", "Resident memory size in bytes.")
        .unlabelled()
        .set(f[21].toDouble() * pageSize);
    const QDir fds(QStringLiteral("/proc/self/fd"));
    r.gauge("process_open_fds", "Number of open file descriptors.")
        .unlabelled()
        .set(double(fds.entryList(QDir::AllEntries | QDir::System | QDir::NoDotAndDotDot).size()));
}

} // namespace

void addProcessCollector(Registry &registry)
{
    registry.addCollector(collectProcess);
}

void addMountpathCollector(Registry &registry, const QStringList &mountpaths)
{
    registry.addCollector([mountpaths](Registry &r) {
        auto &capacity = r.gauge("kiln_mountpath_capacity_bytes",
                                 "size of the filesystem under a mountpath (bytes)", {"mountpath"});
        auto &used = r.gauge("kiln_mountpath_used_bytes",
                             "bytes in use on the filesystem under a mountpath", {"mountpath"});
        auto &available = r.gauge("kiln_mountpath_available_bytes",
                                  "bytes available to kilnd under a mountpath", {"mountpath"});
        for (const QString &path : mountpaths) {
            const QStorageInfo info(path);
            if (!info.isValid())
                continue;
            const std::string label = path.toStdString();
            capacity.with({label}).set(double(info.bytesTotal()));
            used.with({label}).set(double(info.bytesTotal() - info.bytesFree()));
            available.with({label}).set(double(info.bytesAvailable()));
        }
    });
}

} // namespace Kiln::Metrics
