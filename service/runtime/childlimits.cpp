#include "service/runtime/childlimits.h"

#include <cmath>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace Kiln::Runtime {

namespace {

// Writes "0" (the writing process itself) to a cgroup.procs file: the process moves there, and
// everything it forks later starts there.
bool joinCgroup(const char *procsFile) noexcept
{
    const int fd = ::open(procsFile, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, "0", 1) == 1;
    ::close(fd);
    return ok;
}

} // namespace

void applyMemoryLimit(qint64 bytes) noexcept
{
    if (bytes <= 0)
        return;
    const rlimit limit{rlim_t(bytes), rlim_t(bytes)};
    ::setrlimit(RLIMIT_DATA, &limit);
}

void applyChildLimits(const ChildLimits &limits) noexcept
{
    applyMemoryLimit(limits.memoryBytes);
    int nice = limits.nice;
    if (!limits.cgroupProcs.empty() && !joinCgroup(limits.cgroupProcs.c_str()))
        nice = FallbackNice;
    if (limits.cpuSeconds > 0) {
        // The soft limit sends SIGXCPU, the hard one a second later SIGKILL.
        const rlimit cpu{rlim_t(limits.cpuSeconds), rlim_t(limits.cpuSeconds + 1)};
        ::setrlimit(RLIMIT_CPU, &cpu);
    }
    if (nice > 0)
        ::setpriority(PRIO_PROCESS, 0, nice);
}

qint64 cpuQuotaMicros(double cores, qint64 periodMicros)
{
    if (!(cores > 0) || periodMicros <= 0)
        return 0;
    const double quota = std::round(cores * double(periodMicros));
    return std::max(MinCpuQuotaMicros, qint64(quota));
}

QByteArray cpuMaxValue(double cores, qint64 periodMicros)
{
    const qint64 quota = cpuQuotaMicros(cores, periodMicros);
    return (quota > 0 ? QByteArray::number(quota) : QByteArray("max")) + ' '
        + QByteArray::number(periodMicros);
}

qint64 cpuSecondsPerObject(double cores, std::chrono::milliseconds objTimeout)
{
    if (!(cores > 0))
        return 0;
    const double seconds = std::ceil(cores * double(objTimeout.count()) / 1000.0);
    return std::max<qint64>(1, qint64(seconds));
}

} // namespace Kiln::Runtime
