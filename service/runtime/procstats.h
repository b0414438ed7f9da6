#pragma once

#include <QElapsedTimer>

#include <sys/types.h>

namespace Kiln::Runtime {

// CPU and memory of a whole process group, read from /proc: every process whose pgrp is the
// group's (a transformer's workers and helpers included).
class ProcStats
{
public:
    explicit ProcStats(pid_t group = 0)
        : m_group(group)
    {}
    void setGroup(pid_t group) { m_group = group; }

    struct Sample
    {
        double cpuCores = 0; // average cores used since the previous sample
        qint64 rssBytes = 0;
        int processes = 0;
    };
    // Samples taken less than 250 ms apart return the previous CPU figure.
    Sample sample();

private:
    pid_t m_group;
    QElapsedTimer m_clock;
    quint64 m_lastTicks = 0;
    double m_lastCpu = 0;
};

} // namespace Kiln::Runtime
