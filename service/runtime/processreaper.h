#pragma once

#include <QObject>
#include <QTimer>

#include <chrono>

class QProcess;

namespace Kiln::Runtime {

// Ends a child process whose owner is going away, without waiting for it: SIGTERM (to its whole
// process group when asked), SIGKILL once the grace period is over, and the QProcess deleted
// when it has finished. Nothing here blocks; the reaper lives on the process's thread and
// deletes itself with the process. Every process still being reaped when the application ends
// gets SIGKILL then (from a Qt post routine and at exit), so no child outlives its parent.
class ProcessReaper final : public QObject
{
    Q_OBJECT
public:
    enum class Scope {
        Process, // the process alone
        Group, // the process group it leads (setpgid(0, 0) in the child), spawned children too
    };
    static constexpr std::chrono::milliseconds DefaultGrace{2000}; // AIS's abort grace

    // Takes process over: it leaves its parent (connections to that parent are cut) and is
    // deleted once finished. A grace of 0 sends SIGKILL at once. process must live on the
    // calling thread.
    static void reap(QProcess *process, std::chrono::milliseconds grace = DefaultGrace,
                     Scope scope = Scope::Process);
    // Reaped processes not finished yet, on all threads.
    static int pending();
    // SIGKILL to every process still being reaped: what the end of the application does.
    static void killAll();

private:
    ProcessReaper(QProcess *process, Scope scope);
    ~ProcessReaper() override;
    void sendSignal(int signal) const;
    void onFinished();

    QProcess *m_process; // child
    qint64 m_pid; // read at the start: a finished QProcess no longer knows it
    Scope m_scope;
    QTimer m_killTimer;
};

} // namespace Kiln::Runtime
