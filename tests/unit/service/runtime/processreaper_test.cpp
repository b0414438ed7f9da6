#include "service/runtime/processreaper.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QPointer>
#include <QProcess>
#include <QTimer>

#include <csignal>

using namespace Kiln::Runtime;
using Kiln::Test::waitUntil;
using namespace std::chrono_literals;

namespace {

// Prints "up" once SIGTERM is ignored, then sleeps far longer than any test runs.
constexpr char IgnoresTerm[]
    = "import signal, sys, time\n"
      "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
      "print('up', flush=True)\n"
      "time.sleep(600)\n";

// Running, or stopped, but not gone and not a zombie (an orphan's zombie waits for whoever
// reaps orphans here, which may be slow in a container).
bool alive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !stat.open(QIODevice::ReadOnly))
        return false;
    const QByteArray line = stat.readAll();
    const qsizetype close = line.lastIndexOf(')');
    return close > 0 && line.size() > close + 2 && line.at(close + 2) != 'Z';
}

// A running python child that has said "up" (its handlers are in place).
QProcess *startPython(const char *code, QObject *parent)
{
    auto *process = new QProcess(parent);
    process->start(QStringLiteral("python3"), {QStringLiteral("-c"), QString::fromLatin1(code)});
    EXPECT_TRUE(waitUntil([&] { return process->canReadLine(); }, 10000));
    return process;
}

} // namespace

TEST(ProcessReaperTest, AChildIgnoringSigtermIsKilledAfterTheGrace)
{
    QObject owner;
    QPointer<QProcess> process = startPython(IgnoresTerm, &owner);
    ASSERT_EQ(process->state(), QProcess::Running);
    const qint64 pid = process->processId();
    int ticks = 0;
    QTimer ticker;
    QObject::connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
    ticker.start(10);

    QElapsedTimer clock;
    clock.start();
    ProcessReaper::reap(process, 600ms);
    const qint64 returnedAfter = clock.elapsed();
    EXPECT_EQ(process->parent() == &owner, false); // taken over
    EXPECT_EQ(ProcessReaper::pending(), 1);

    // SIGTERM is ignored: it still runs well into the grace period.
    waitUntil([] { return false; }, 300);
    EXPECT_TRUE(alive(pid));
    ASSERT_TRUE(waitUntil([&] { return process.isNull(); }, 10000));
    const qint64 goneAfter = clock.elapsed();
    EXPECT_GE(goneAfter, 600);
    EXPECT_FALSE(alive(pid));
    EXPECT_EQ(ProcessReaper::pending(), 0);
    // reap() returned at once and the loop kept turning while the child lingered.
    EXPECT_LT(returnedAfter, 100);
    EXPECT_GE(ticks, int(goneAfter / 10 / 4));
}

TEST(ProcessReaperTest, AChildThatHonoursSigtermGoesWithoutTheKill)
{
    QObject owner;
    QPointer<QProcess> process = startPython(
        "import sys, time\nprint('up', flush=True)\ntime.sleep(600)\n", &owner);
    QElapsedTimer clock;
    clock.start();
    ProcessReaper::reap(process, 30s);
    ASSERT_TRUE(waitUntil([&] { return process.isNull(); }, 10000));
    EXPECT_LT(clock.elapsed(), 30000);
}

TEST(ProcessReaperTest, GroupScopeTakesWhatTheLeaderSpawned)
{
    // The leader starts a grandchild in its own group and prints its pid.
    auto *process = new QProcess;
    process->setChildProcessModifier([] { ::setpgid(0, 0); });
    process->start(QStringLiteral("python3"),
                   {QStringLiteral("-c"),
                    QStringLiteral("import subprocess, time\n"
                                   "p = subprocess.Popen(['sleep', '600'])\n"
                                   "print(p.pid, flush=True)\n"
                                   "time.sleep(600)\n")});
    ASSERT_TRUE(waitUntil([&] { return process->canReadLine(); }, 10000));
    const qint64 grandchild = process->readLine().trimmed().toLongLong();
    ASSERT_TRUE(alive(grandchild));
    QPointer<QProcess> watched = process;
    ProcessReaper::reap(process, 0ms, ProcessReaper::Scope::Group);
    ASSERT_TRUE(waitUntil([&] { return watched.isNull(); }, 10000));
    EXPECT_TRUE(waitUntil([&] { return !alive(grandchild); }, 10000));
}

TEST(ProcessReaperTest, KillAllEndsWhatIsStillInItsGrace)
{
    QPointer<QProcess> process = startPython(IgnoresTerm, nullptr);
    const qint64 pid = process->processId();
    ProcessReaper::reap(process, 60s);
    ProcessReaper::killAll(); // what application shutdown does
    ASSERT_TRUE(waitUntil([&] { return process.isNull(); }, 10000));
    EXPECT_FALSE(alive(pid));
}

TEST(ProcessReaperTest, AFinishedProcessIsJustDeleted)
{
    QObject owner;
    QPointer<QProcess> process = new QProcess(&owner);
    process->start(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("pass")});
    ASSERT_TRUE(waitUntil([&] { return process->state() == QProcess::NotRunning; }, 10000));
    ProcessReaper::reap(process);
    EXPECT_EQ(ProcessReaper::pending(), 0);
    EXPECT_TRUE(waitUntil([&] { return process.isNull(); }));
}
