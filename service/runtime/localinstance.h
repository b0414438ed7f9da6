#pragma once

#include "service/runtime/cgroup.h"
#include "service/runtime/instancelifecycle.h"
#include "service/runtime/ioforkserver.h"
#include "service/runtime/launchplan.h"
#include "service/runtime/logring.h"
#include "service/runtime/procstats.h"
#include "service/runtime/readinessprobe.h"
#include "service/runtime/sandbox.h"

#include <QProcess>
#include <QTimer>

#include <functional>
#include <memory>

namespace Kiln::Runtime {

class VenvCache;

// An ETL instance as a local process group: prepares its venv and files, starts the command,
// probes readiness over HTTP (io://: the interpreter and code are ready, or the fork server
// listens), captures its output
// in a bounded ring, and kills the whole group on stop. Lives on the target's main thread.
class LocalInstance final : public InstanceLifecycle
{
    Q_OBJECT
public:
    LocalInstance(InstanceSpec spec, LaunchPlan plan, VenvCache *venvs, QObject *parent = nullptr);
    ~LocalInstance() override;

    // Makes the plan again with another free port. The port is found free by the runtime and
    // taken by the child a moment later; another process may bind it in between. When the child
    // then exits saying its address is in use, it is launched again on a port from this, up to
    // MaxRelaunches times, instead of failing the init.
    using Replanner = std::function<Result<LaunchPlan>()>;
    void setReplanner(Replanner replan) { m_replan = std::move(replan); }
    static constexpr int MaxRelaunches = 3;
    // Runs the instance's processes under this sandbox when it is enabled (not owned).
    void setSandbox(const Sandbox *sandbox) { m_sandbox = sandbox; }

    void start() override;
    void stop() override;
    QUrl endpoint() const override;
    Usage usage() override;
    QByteArray logs() const override { return m_log.contents(); }
    std::optional<IoCommand> ioCommand() const override;
    QList<qint64> pids() const override;

private:
    QString timeoutDetail() const override;
    void cleanUpFailedStart() override;
    void onVenvReady(const Result<QString> &venv);
    // io:// code runs its objects through a fork server when this target can attach to one.
    void chooseForkServer();
    QString forkServerSocket() const;
    Result<void> writeFiles() const;
    void applyVenv();
    void launch();
    bool relaunchIfPortTaken();
    void onProbeSucceeded();
    void onFinished(int exitCode, QProcess::ExitStatus status);
    void killGroup(int signal);
    QString resolveProgram(const QString &program) const;
    bool sandboxed() const;
    // The command that runs the plan: sandboxed when the sandbox is on, else as planned.
    Result<SandboxedCommand> command() const;
    // What its processes get: the spec's memory limit, its cgroup or the fallback for its CPU
    // limit (sandboxed only, like the rest of the sandbox).
    ChildLimits childLimits() const;
    double cpuLimit() const;
    // Puts the instance in a cgroup of its own when its spec limits the CPU and this machine
    // has one to give (CgroupHost::local()); otherwise says which fallback applies.
    void makeCgroup();
    void releaseCgroup() { m_cgroup.reset(); }
    QString exitDescription(int exitCode, QProcess::ExitStatus status) const;

    LaunchPlan m_plan;
    VenvCache *m_venvs;
    QString m_venvDir;
    // What runs the plan (sandboxed or not): made once the venv is ready and again on a
    // relaunch's new plan, so io:// objects do not rebuild it one by one.
    std::optional<SandboxedCommand> m_command;
    QProcess *m_process = nullptr; // child; deleted with this
    qint64 m_pgid = 0;
    LogRing m_log;
    ProcStats m_stats;
    ReadinessProbe m_probe;
    SocketProbe m_socketProbe; // the fork server's readiness
    bool m_forkServer = false;
    QTimer m_killTimer; // SIGKILL once a stop's grace is over
    Replanner m_replan;
    const Sandbox *m_sandbox = nullptr;
    std::unique_ptr<InstanceCgroup> m_cgroup; // from makeCgroup() until the instance stops
    int m_relaunches = 0;
};

} // namespace Kiln::Runtime
