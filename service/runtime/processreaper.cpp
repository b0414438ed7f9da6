#include "service/runtime/processreaper.h"

#include "shared/core/logging.h"

#include <QCoreApplication>
#include <QProcess>
#include <QThread>

#include <csignal>
#include <cstdlib>
#include <map>
#include <mutex>

namespace Kiln::Runtime {
namespace {

// The processes being reaped, by pid, with whether the whole group goes: readable from any
// thread and from the shutdown hooks, which only send signals.
struct Registry
{
    std::mutex mutex;
    std::map<qint64, ProcessReaper::Scope> pids;
    bool hooked = false;
};

Registry &registry()
{
    static auto *r = new Registry; // never destroyed: the exit hook may run after statics
    return *r;
}

void signalProcess(qint64 pid, ProcessReaper::Scope scope, int signal)
{
    if (pid <= 1)
        return;
    if (scope == ProcessReaper::Scope::Group)
        ::kill(-pid_t(pid), signal);
    ::kill(pid_t(pid), signal);
}

void hookShutdown(Registry &r)
{
    if (std::exchange(r.hooked, true))
        return;
    // ~QCoreApplication runs the post routines; exit() covers a process without one.
    if (QCoreApplication::instance())
        qAddPostRoutine(&ProcessReaper::killAll);
    std::atexit(&ProcessReaper::killAll);
}

} // namespace

void ProcessReaper::reap(QProcess *process, std::chrono::milliseconds grace, Scope scope)
{
    if (!process)
        return;
    Q_ASSERT(process->thread() == QThread::currentThread());
    if (QObject *owner = process->parent())
        process->disconnect(owner);
    if (process->state() == QProcess::NotRunning) {
        process->setParent(nullptr);
        process->deleteLater();
        return;
    }
    auto *reaper = new ProcessReaper(process, scope);
    if (grace.count() <= 0) {
        reaper->sendSignal(SIGKILL);
        return;
    }
    reaper->sendSignal(SIGTERM);
    reaper->m_killTimer.setInterval(int(std::min<qint64>(grace.count(), INT_MAX)));
    reaper->m_killTimer.start();
}

ProcessReaper::ProcessReaper(QProcess *process, Scope scope)
    : m_process(process)
    , m_pid(process->processId())
    , m_scope(scope)
{
    process->setParent(this);
    {
        Registry &r = registry();
        const std::lock_guard lock(r.mutex);
        r.pids[m_pid] = m_scope;
        hookShutdown(r);
    }
    m_killTimer.setSingleShot(true);
    // A coarse timer may fire up to 5 % early: the grace period is a promise to the child.
    m_killTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        Log::runtime().info("pid {} still runs after SIGTERM: killing it", m_pid);
        sendSignal(SIGKILL);
    });
    connect(process, &QProcess::finished, this, &ProcessReaper::onFinished);
}

ProcessReaper::~ProcessReaper()
{
    Registry &r = registry();
    const std::lock_guard lock(r.mutex);
    r.pids.erase(m_pid);
}

void ProcessReaper::sendSignal(int signal) const
{
    signalProcess(m_pid, m_scope, signal);
}

void ProcessReaper::onFinished()
{
    m_killTimer.stop();
    // What the leader spawned may still run in its group: it goes with it.
    if (m_scope == Scope::Group)
        ::kill(-pid_t(m_pid), SIGKILL);
    {
        Registry &r = registry();
        const std::lock_guard lock(r.mutex);
        r.pids.erase(m_pid);
    }
    m_pid = 0;
    deleteLater(); // the process with it
}

int ProcessReaper::pending()
{
    Registry &r = registry();
    const std::lock_guard lock(r.mutex);
    return int(r.pids.size());
}

void ProcessReaper::killAll()
{
    Registry &r = registry();
    const std::lock_guard lock(r.mutex);
    for (const auto &[pid, scope] : r.pids)
        signalProcess(pid, scope, SIGKILL);
}

} // namespace Kiln::Runtime
