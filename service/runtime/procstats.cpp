#include "service/runtime/procstats.h"

#include <QByteArray>
#include <QDir>
#include <QFile>

#include <unistd.h>

namespace Kiln::Runtime {
namespace {

QByteArray readProcFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

} // namespace

ProcStats::Sample ProcStats::sample()
{
    Sample s;
    if (m_group <= 0)
        return s;
    static const long ticksPerSecond = sysconf(_SC_CLK_TCK);
    static const long pageSize = sysconf(_SC_PAGESIZE);
    quint64 ticks = 0;
    const QStringList pids = QDir("/proc").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &pid : pids) {
        if (!pid.front().isDigit())
            continue;
        const QByteArray stat = readProcFile("/proc/" + pid + "/stat");
        // The command name may hold spaces and parentheses: fields start after the last ')'.
        const qsizetype close = stat.lastIndexOf(')');
        if (close < 0)
            continue;
        const QList<QByteArray> f = stat.mid(close + 2).split(' ');
        // f[0] = state (field 3), f[2] = pgrp (5), f[11] = utime (14), f[12] = stime (15)
        if (f.size() < 13 || f[2].toLongLong() != m_group)
            continue;
        ticks += f[11].toULongLong() + f[12].toULongLong();
        const QList<QByteArray> statm = readProcFile("/proc/" + pid + "/statm").split(' ');
        if (statm.size() > 1)
            s.rssBytes += statm[1].toLongLong() * pageSize;
        ++s.processes;
    }
    if (!m_clock.isValid()) {
        m_clock.start();
        m_lastTicks = ticks;
    } else if (m_clock.elapsed() >= 250) {
        const double seconds = m_clock.nsecsElapsed() / 1e9;
        const quint64 delta = ticks >= m_lastTicks ? ticks - m_lastTicks : 0;
        m_lastCpu = double(delta) / double(ticksPerSecond) / seconds;
        m_lastTicks = ticks;
        m_clock.restart();
    }
    s.cpuCores = m_lastCpu;
    return s;
}

} // namespace Kiln::Runtime
