#include "service/runtime/cgroup.h"

#include "service/runtime/childlimits.h"
#include "shared/core/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <unistd.h>

namespace Kiln::Runtime {

namespace {

QByteArray readSmall(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeSmall(const QString &path, const QByteArray &value)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(value) == value.size() && f.flush();
}

bool hasWord(const QByteArray &list, const char *word)
{
    return list.simplified().split(' ').contains(word);
}

QString joinPath(const QString &mount, const QString &path)
{
    return QDir::cleanPath(mount + '/' + path);
}

// v2: the cpu (and memory) controllers for the children of dir, enabled if they are not yet.
// The kernel refuses that for a cgroup that holds processes itself (not the root): kilnd's own
// cgroup must then be delegated with the controllers already enabled.
CgroupHost v2Host(const QString &dir)
{
    CgroupHost host;
    const QByteArray available = readSmall(dir + "/cgroup.controllers");
    if (!hasWord(available, "cpu")) {
        host.why = QStringLiteral("cgroup v2 %1 has no cpu controller").arg(dir);
        return host;
    }
    if (::access(QFile::encodeName(dir).constData(), W_OK) != 0) {
        host.why = QStringLiteral("cgroup v2 %1 is not writable").arg(dir);
        return host;
    }
    QByteArray enabled = readSmall(dir + "/cgroup.subtree_control");
    if (!hasWord(enabled, "cpu") && !writeSmall(dir + "/cgroup.subtree_control", "+cpu")) {
        host.why = QStringLiteral("cgroup v2 %1 cannot give its children the cpu controller "
                                  "(it holds processes: delegate one with cpu enabled)")
                       .arg(dir);
        return host;
    }
    if (hasWord(available, "memory") && !hasWord(enabled, "memory"))
        writeSmall(dir + "/cgroup.subtree_control", "+memory");
    enabled = readSmall(dir + "/cgroup.subtree_control");
    host.kind = CgroupHost::Kind::V2;
    host.dir = dir;
    host.memory = hasWord(enabled, "memory");
    return host;
}

CgroupHost v1Host(const QString &dir)
{
    CgroupHost host;
    if (!QFileInfo::exists(dir + "/cpu.cfs_quota_us")) {
        host.why = QStringLiteral("cgroup v1 %1 has no cpu.cfs_quota_us").arg(dir);
        return host;
    }
    if (::access(QFile::encodeName(dir).constData(), W_OK) != 0) {
        host.why = QStringLiteral("cgroup v1 %1 is not writable").arg(dir);
        return host;
    }
    host.kind = CgroupHost::Kind::V1Cpu;
    host.dir = dir;
    return host;
}

// rmdir, again every 100 ms while the kernel still counts exiting processes (EBUSY).
void removeDir(const QByteArray &dir, int attemptsLeft)
{
    if (::rmdir(dir.constData()) == 0 || errno == ENOENT)
        return;
    if (errno != EBUSY || attemptsLeft <= 0) {
        Log::runtime().warn("cannot remove cgroup {}: {}", dir.constData(), std::strerror(errno));
        return;
    }
    QTimer::singleShot(100, [dir, attemptsLeft] { removeDir(dir, attemptsLeft - 1); });
}

// Only kilnd's own cgroup and instance cgroups below dir: nobody else's tree.
bool onlyKilnBelow(const QString &dir, const QString &own)
{
    const QStringList children = QDir(dir).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    return std::all_of(children.begin(), children.end(), [&](const QString &c) {
        return c == QFileInfo(own).fileName() || c.startsWith(QLatin1String("kiln-"));
    });
}

// systemd's Delegate= with DelegateSubgroup=: kilnd runs in a leaf of the delegated cgroup, whose
// children already have cpu; the instances' cgroups go beside kilnd's (nothing is enabled there).
// Not in a parent that holds other cgroups (a slice of the system's or a user's session).
CgroupHost v2Beside(const QString &own)
{
    const QString parent = QFileInfo(own).path();
    CgroupHost host;
    if (parent == own || !hasWord(readSmall(parent + "/cgroup.subtree_control"), "cpu")
        || ::access(QFile::encodeName(parent).constData(), W_OK) != 0
        || !onlyKilnBelow(parent, own))
        return host;
    host.kind = CgroupHost::Kind::V2;
    host.dir = parent;
    host.memory = hasWord(readSmall(parent + "/cgroup.subtree_control"), "memory");
    return host;
}

// Instance cgroups a target left when it was killed (its ETL processes died with it: they are
// empty): "kiln-<pid>-..." of a pid no longer running.
void removeLeftovers(const QString &dir)
{
    const QStringList children = QDir(dir).entryList({"kiln-*"}, QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &c : children) {
        const QString pid = c.section('-', 1, 1);
        if (!pid.isEmpty() && !QFileInfo::exists("/proc/" + pid)
            && ::rmdir(QFile::encodeName(dir + '/' + c).constData()) == 0)
            Log::runtime().info("removed the cgroup {} of a target that is gone",
                                (dir + '/' + c).toStdString());
    }
}

} // namespace

CgroupPlaces CgroupPlaces::parse(const QByteArray &mounts, const QByteArray &selfCgroup)
{
    CgroupPlaces p;
    for (const QByteArray &line : mounts.split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        if (f.size() < 4)
            continue;
        if (f[2] == "cgroup2" && p.v2Mount.isEmpty())
            p.v2Mount = QString::fromUtf8(f[1]);
        else if (f[2] == "cgroup" && f[3].split(',').contains("cpu") && p.v1CpuMount.isEmpty())
            p.v1CpuMount = QString::fromUtf8(f[1]);
    }
    // "0::/path" (v2), "4:cpu,cpuacct:/path" (v1).
    for (const QByteArray &line : selfCgroup.split('\n')) {
        const qsizetype a = line.indexOf(':');
        const qsizetype b = a < 0 ? -1 : line.indexOf(':', a + 1);
        if (b < 0)
            continue;
        const QByteArray controllers = line.mid(a + 1, b - a - 1);
        const QString path = QString::fromUtf8(line.mid(b + 1));
        if (line.left(a) == "0" && controllers.isEmpty())
            p.v2Path = path;
        else if (controllers.split(',').contains("cpu"))
            p.v1CpuPath = path;
    }
    return p;
}

CgroupHost CgroupHost::detect(const CgroupPlaces &places)
{
    QStringList why;
    if (!places.v2Mount.isEmpty() && !places.v2Path.isEmpty()) {
        const QString own = joinPath(places.v2Mount, places.v2Path);
        CgroupHost v2 = v2Host(own);
        if (v2.kind != Kind::None)
            return v2;
        if (own != QDir::cleanPath(places.v2Mount)) {
            if (CgroupHost beside = v2Beside(own); beside.kind != Kind::None)
                return beside;
        }
        why << v2.why;
    }
    if (!places.v1CpuMount.isEmpty() && !places.v1CpuPath.isEmpty()) {
        CgroupHost v1 = v1Host(joinPath(places.v1CpuMount, places.v1CpuPath));
        if (v1.kind != Kind::None)
            return v1;
        why << v1.why;
    }
    CgroupHost none;
    none.why = why.isEmpty() ? QStringLiteral("no cgroup hierarchy with a cpu controller")
                             : why.join("; ");
    return none;
}

const CgroupHost &CgroupHost::local()
{
    static const CgroupHost host = [] {
        CgroupHost h = detect(CgroupPlaces::parse(readSmall("/proc/self/mounts"),
                                                  readSmall("/proc/self/cgroup")));
        if (h.kind != Kind::None)
            removeLeftovers(h.dir);
        Log::runtime().info("ETL CPU limits: {}", h.describe().toStdString());
        return h;
    }();
    return host;
}

QString CgroupHost::describe() const
{
    switch (kind) {
    case Kind::V2:
        return QStringLiteral("cgroup v2 under %1 (cpu.max%2)")
            .arg(dir, memory ? QStringLiteral(", memory.max") : QString());
    case Kind::V1Cpu:
        return QStringLiteral("cgroup v1 under %1 (cpu.cfs_quota_us)").arg(dir);
    case Kind::None:
        break;
    }
    return QStringLiteral("no cgroup (%1): servers run at nice %2, io:// objects get RLIMIT_CPU")
        .arg(why)
        .arg(FallbackNice);
}

Result<std::unique_ptr<InstanceCgroup>> InstanceCgroup::create(const CgroupHost &host,
                                                               const QString &name,
                                                               double cpuCores, qint64 memoryBytes)
{
    if (host.kind == CgroupHost::Kind::None)
        return makeError(ErrorCode::Unavailable, host.why);
    static std::atomic<int> serial{0};
    const QString dir = QStringLiteral("%1/kiln-%2-%3-%4")
                            .arg(host.dir)
                            .arg(::getpid())
                            .arg(++serial)
                            .arg(name);
    if (::mkdir(QFile::encodeName(dir).constData(), 0755) != 0)
        return makeError(ErrorCode::Unavailable, QStringLiteral("cannot make cgroup %1: %2")
                                                     .arg(dir, QString::fromLocal8Bit(
                                                                   std::strerror(errno))));
    std::unique_ptr<InstanceCgroup> cg(new InstanceCgroup(host.kind, dir));
    QStringList limits;
    Result<void> written;
    if (host.kind == CgroupHost::Kind::V2) {
        const QByteArray max = cpuMaxValue(cpuCores);
        written = cg->write("cpu.max", max);
        limits << "cpu.max " + QString::fromLatin1(max);
        if (written && host.memory && memoryBytes > 0) {
            written = cg->write("memory.max", QByteArray::number(memoryBytes));
            limits << QStringLiteral("memory.max %1").arg(memoryBytes);
        }
    } else {
        const qint64 quota = cpuQuotaMicros(cpuCores);
        written = cg->write("cpu.cfs_period_us", QByteArray::number(CpuPeriodMicros));
        if (written)
            written = cg->write("cpu.cfs_quota_us", QByteArray::number(quota > 0 ? quota : -1));
        limits << QStringLiteral("cpu.cfs_quota_us %1 of %2").arg(quota).arg(CpuPeriodMicros);
    }
    if (!written)
        return written.error(); // cg's destructor removes the folder
    cg->m_limits = limits.join(", ");
    return cg;
}

InstanceCgroup::~InstanceCgroup()
{
    remove();
}

std::string InstanceCgroup::procsFile() const
{
    return QFile::encodeName(m_dir + "/cgroup.procs").toStdString();
}

Result<void> InstanceCgroup::write(const char *file, const QByteArray &value) const
{
    const QString path = m_dir + '/' + QLatin1String(file);
    if (!writeSmall(path, value))
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("cannot write %1 to %2").arg(QString::fromLatin1(value), path));
    return {};
}

void InstanceCgroup::remove()
{
    if (std::exchange(m_removed, true))
        return;
    // v2 kills everything inside at once (cgroup.kill, Linux 5.14); else one by one.
    if (m_kind != CgroupHost::Kind::V2 || !writeSmall(m_dir + "/cgroup.kill", "1")) {
        for (const QByteArray &pid : readSmall(m_dir + "/cgroup.procs").split('\n')) {
            if (const int p = pid.toInt(); p > 1)
                ::kill(p, SIGKILL);
        }
    }
    removeDir(QFile::encodeName(m_dir), 30);
}

} // namespace Kiln::Runtime
