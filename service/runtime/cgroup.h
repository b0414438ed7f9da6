#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <string>

namespace Kiln::Runtime {

// The cgroup hierarchies this process is in: where cgroup2 and cgroup v1's cpu controller are
// mounted, and this process's path in each (from /proc/self/mounts and /proc/self/cgroup).
struct CgroupPlaces
{
    QString v2Mount;
    QString v2Path;
    QString v1CpuMount;
    QString v1CpuPath;

    static CgroupPlaces parse(const QByteArray &mounts, const QByteArray &selfCgroup);
};

// How an instance's CPU limit is applied on this machine, found once per process: cgroup v2
// (cpu.max, memory.max) where this process's cgroup hands the cpu controller to children it
// makes, else cgroup v1's cpu controller (cpu.cfs_quota_us) where its folder is writable, else
// none (the fallback: a lower priority for servers and RLIMIT_CPU per io:// object).
struct CgroupHost
{
    enum class Kind { None, V2, V1Cpu };
    Kind kind = Kind::None;
    QString dir; // where instance cgroups are made
    bool memory = false; // v2: memory.max is available too
    QString why; // Kind::None: why no cgroup can be used

    // Checks the places (and enables cpu, memory for the children of a v2 cgroup if needed).
    static CgroupHost detect(const CgroupPlaces &places);
    // This process's, detected (and logged) once.
    static const CgroupHost &local();
    QString describe() const;
};

// One instance's own cgroup with its CPU (and on v2, memory) limit: made before the instance's
// first process starts, which joins it (ChildLimits::cgroupProcs); removed, with whatever is
// still in it, when the instance stops or is destroyed.
class InstanceCgroup
{
public:
    static Result<std::unique_ptr<InstanceCgroup>> create(const CgroupHost &host,
                                                          const QString &name, double cpuCores,
                                                          qint64 memoryBytes);
    ~InstanceCgroup();
    InstanceCgroup(const InstanceCgroup &) = delete;
    InstanceCgroup &operator=(const InstanceCgroup &) = delete;

    QString path() const { return m_dir; }
    std::string procsFile() const;
    // What it limits, for the log: "cpu.max 20000 100000, memory.max 134217728".
    QString describe() const { return m_limits; }
    // Kills what is left in it and removes it (retried for a while if the kernel still counts
    // exiting processes). Safe to call more than once.
    void remove();

private:
    InstanceCgroup(CgroupHost::Kind kind, QString dir) : m_kind(kind), m_dir(std::move(dir)) {}
    Result<void> write(const char *file, const QByteArray &value) const;

    CgroupHost::Kind m_kind;
    QString m_dir;
    QString m_limits;
    bool m_removed = false;
};

} // namespace Kiln::Runtime
