#pragma once

#include <QByteArray>

#include <chrono>
#include <string>

namespace Kiln::Runtime {

// What an ETL process gets, applied in the forked child before it runs the program.
struct ChildLimits
{
    qint64 memoryBytes = 0; // RLIMIT_DATA; 0: none
    qint64 cpuSeconds = 0; // RLIMIT_CPU (fallback without a cgroup, io:// objects); 0: none
    int nice = 0; // added to the scheduling priority (fallback without a cgroup, servers)
    std::string cgroupProcs; // the cgroup.procs file of the instance's cgroup; empty: none
};

// Applies them to the calling process; safe in a QProcess child modifier (async-signal-safe:
// open, write, close, setrlimit, setpriority only). A cgroup that cannot be joined falls back to
// the nice value, as the CPU is then not limited otherwise.
void applyChildLimits(const ChildLimits &limits) noexcept;

// RLIMIT_DATA for the calling process; async-signal-safe.
void applyMemoryLimit(qint64 bytes) noexcept;

// The CFS period the CPU limit is measured over (the kernel's default, 100 ms), in µs.
inline constexpr qint64 CpuPeriodMicros = 100000;
// The smallest quota the kernel takes (1 ms), in µs.
inline constexpr qint64 MinCpuQuotaMicros = 1000;

// CPU time allowed per period for a limit in cores ("500m" = 0.5 → 50000 of 100000 µs);
// at least MinCpuQuotaMicros; 0 for no limit (cores <= 0).
qint64 cpuQuotaMicros(double cores, qint64 periodMicros = CpuPeriodMicros);
// cgroup v2's cpu.max for the limit: "<quota> <period>", or "max <period>" for none.
QByteArray cpuMaxValue(double cores, qint64 periodMicros = CpuPeriodMicros);
// RLIMIT_CPU for one io:// object's process without a cgroup: the CPU seconds the limit allows
// over the object's timeout (at least 1); 0 for no limit.
qint64 cpuSecondsPerObject(double cores, std::chrono::milliseconds objTimeout);

// The nice value the fallback gives an instance's server when its spec limits the CPU.
inline constexpr int FallbackNice = 10;

} // namespace Kiln::Runtime
