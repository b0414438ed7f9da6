#include "service/runtime/localinstance.h"

#include "service/runtime/ioforkserver.h"
#include "service/runtime/portowner.h"
#include "service/runtime/processreaper.h"
#include "service/runtime/sandbox.h"
#include "service/runtime/venvcache.h"
#include "shared/core/logging.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace Kiln::Runtime {

LocalInstance::LocalInstance(InstanceSpec spec, LaunchPlan plan, VenvCache *venvs, QObject *parent)
    : InstanceLifecycle(std::move(spec), Log::runtime(), parent)
    , m_plan(std::move(plan))
    , m_venvs(venvs)
{
    const Etl::InitMsg &msg = this->spec().msg;
    const bool pod = msg.kind == Etl::InitKind::PodSpec;
    m_probe.setInterval(
        std::chrono::milliseconds(std::clamp(pod ? msg.pod.probePeriodSeconds * 1000 : 250, 100, 500)));
    m_probe.setTimeout(std::chrono::seconds(pod ? msg.pod.probeTimeoutSeconds : 5));
    connect(&m_probe, &ReadinessProbe::succeeded, this, &LocalInstance::onProbeSucceeded);
    connect(&m_socketProbe, &SocketProbe::succeeded, this, &LocalInstance::onProbeSucceeded);
    m_killTimer.setSingleShot(true);
    m_killTimer.setInterval(2000); // AIS's abort grace
    connect(&m_killTimer, &QTimer::timeout, this, [this] { killGroup(SIGKILL); });
}

LocalInstance::~LocalInstance()
{
    // The group dies at once; the child is reaped later, without waiting on this thread.
    if (m_process && m_process->state() != QProcess::NotRunning)
        ProcessReaper::reap(m_process, std::chrono::milliseconds(0), ProcessReaper::Scope::Group);
}

QString LocalInstance::timeoutDetail() const
{
    const QByteArray tail = m_log.tail(5);
    return tail.isEmpty() ? QString() : QStringLiteral("; last output: ") + QString::fromUtf8(tail);
}

void LocalInstance::start()
{
    if (!beginStart())
        return;
    // Sandboxed, a pod's workingDir is the ETL's folder bound in place; nothing is made on the host.
    if ((!sandboxed() && !QDir().mkpath(m_plan.workDir)) || !QDir().mkpath(spec().workDir))
        return failStart(
            makeError(ErrorCode::Internal, QStringLiteral("cannot create %1").arg(spec().workDir)));
    if (auto written = writeFiles(); !written)
        return failStart(written.error());
    if (m_plan.requirements.isEmpty()) {
        QMetaObject::invokeMethod(
            this, [this] { onVenvReady(QString()); }, Qt::QueuedConnection);
        return;
    }
    m_log.append("kiln: preparing a python venv for: " + m_plan.requirements.join(", ").toUtf8()
                 + '\n');
    m_venvs->ensure(
        m_plan.requirements, this, [this](Result<QString> venv) { onVenvReady(venv); },
        [this](const QByteArray &out) { m_log.append(out); });
}

Result<void> LocalInstance::writeFiles() const
{
    for (const auto &[name, content] : m_plan.files) {
        QFile f(spec().workDir + '/' + name);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || f.write(content) != content.size())
            return makeError(ErrorCode::Internal,
                             QStringLiteral("cannot write %1").arg(f.fileName()));
    }
    return {};
}

void LocalInstance::applyVenv()
{
    if (m_venvDir.isEmpty())
        return;
    m_plan.environment.insert("VIRTUAL_ENV", m_venvDir);
    m_plan.environment.insert("PATH", m_venvDir + "/bin:" + m_plan.environment.value("PATH"));
}

void LocalInstance::onVenvReady(const Result<QString> &venv)
{
    if (state() != State::Launching)
        return;
    if (!venv)
        return failStart(venv.error());
    m_venvDir = *venv;
    applyVenv();
    chooseForkServer();
    if (resolveProgram(m_plan.program).isEmpty())
        return failStart(
            makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("ETL %1: command \"%2\" is not found on this machine")
                          .arg(spec().msg.name, m_plan.program)));
    Result<SandboxedCommand> cmd = command();
    if (!cmd)
        return failStart(cmd.error());
    m_command = std::move(*cmd);
    makeCgroup();
    if (m_plan.io && !m_forkServer) {
        // Nothing runs between objects; ready means the interpreter and code are in place.
        return markReady(QStringLiteral("io://"));
    }
    launch();
}

void LocalInstance::chooseForkServer()
{
    m_forkServer = m_plan.io && !m_plan.forkServerArguments.isEmpty()
        && !IoForkServer::attachProgram().isEmpty();
    if (m_forkServer)
        m_plan.arguments = m_plan.forkServerArguments;
}

QString LocalInstance::resolveProgram(const QString &program) const
{
    if (program.contains('/'))
        return QFileInfo(program).isExecutable() ? program : QString();
    const QStringList path = m_plan.environment.value("PATH").split(':', Qt::SkipEmptyParts);
    QString found = QStandardPaths::findExecutable(program, path);
    // Debian has python3 but no "python" unless a venv provides one.
    if (found.isEmpty() && program == "python")
        found = QStandardPaths::findExecutable("python3", path);
    return found;
}

bool LocalInstance::sandboxed() const
{
    return m_sandbox && m_sandbox->enabled();
}

Result<SandboxedCommand> LocalInstance::command() const
{
    const QString program = resolveProgram(m_plan.program);
    if (!sandboxed())
        return SandboxedCommand{program, m_plan.arguments, m_plan.workDir};
    return m_sandbox->wrap(SandboxJob{program, m_plan.arguments, spec().workDir, m_plan.workDir,
                                      m_venvDir, spec().msg.readsObjectFiles()});
}

double LocalInstance::cpuLimit() const
{
    return sandboxed() ? Etl::parseCpuQuantity(spec().msg.cpuLimit()).value_or(0) : 0;
}

ChildLimits LocalInstance::childLimits() const
{
    ChildLimits limits;
    if (!sandboxed())
        return limits;
    limits.memoryBytes = Etl::parseMemoryQuantity(spec().msg.memoryLimit()).value_or(0);
    if (m_cgroup)
        limits.cgroupProcs = m_cgroup->procsFile();
    else if (const double cores = cpuLimit(); cores > 0 && m_plan.io)
        limits.cpuSeconds = cpuSecondsPerObject(cores, spec().msg.objTimeout);
    else if (cores > 0)
        limits.nice = FallbackNice;
    return limits;
}

void LocalInstance::makeCgroup()
{
    const double cores = cpuLimit();
    if (cores <= 0 || m_cgroup)
        return;
    const ChildLimits l = childLimits();
    auto cg = InstanceCgroup::create(CgroupHost::local(), spec().msg.name, cores, l.memoryBytes);
    QString how;
    if (cg) {
        m_cgroup = std::move(*cg);
        how = QStringLiteral("cgroup %1 (%2)").arg(m_cgroup->path(), m_cgroup->describe());
    } else if (m_plan.io) {
        how = QStringLiteral("RLIMIT_CPU %1 s per object, no cgroup: %2")
                  .arg(cpuSecondsPerObject(cores, spec().msg.objTimeout))
                  .arg(cg.error().message);
    } else {
        how = QStringLiteral("nice %1 only, no rate limit without a cgroup: %2")
                  .arg(FallbackNice)
                  .arg(cg.error().message);
    }
    Log::runtime().info("{}: CPU limit {} cores: {}", context(), cores, how.toStdString());
    m_log.append(QStringLiteral("kiln: CPU limit %1 cores: %2\n").arg(cores).arg(how).toUtf8());
}

void LocalInstance::launch()
{
    setStarting();
    Result<SandboxedCommand> cmd = command(); // the plan may be a relaunch's new one
    if (!cmd)
        return failStart(cmd.error()); // bwrap went away before a relaunch
    m_command = std::move(*cmd);
    m_process = new QProcess(this);
    m_process->setProgram(m_command->program);
    m_process->setArguments(m_command->arguments);
    ChildLimits limits = childLimits();
    QProcessEnvironment environment = m_plan.environment;
    if (m_forkServer) {
        // The per-object CPU limit is each forked process's, not the long-lived server's.
        environment.insert("KILN_IO_CPU_SECONDS", QString::number(limits.cpuSeconds));
        limits.cpuSeconds = 0;
        QFile::remove(forkServerSocket()); // a stale one would look ready at once
    }
    m_process->setProcessEnvironment(environment);
    m_process->setWorkingDirectory(m_command->hostWorkingDir);
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setChildProcessModifier([limits] {
        // Own process group (stop kills all of it); die with the target, never orphaned.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        applyChildLimits(limits);
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this,
            [this] { m_log.append(m_process->readAllStandardOutput()); });
    connect(m_process, &QProcess::started, this, [this] {
        m_pgid = m_process->processId();
        m_stats.setGroup(pid_t(m_pgid));
        if (m_forkServer) {
            Log::runtime().info("{}: started the io:// fork server, pid {}", context(), m_pgid);
            return m_socketProbe.start(forkServerSocket());
        }
        Log::runtime().info("{}: started pid {} on port {}", context(), m_pgid, m_plan.port);
        QUrl url = endpoint();
        url.setPath(m_plan.probePath);
        m_probe.start(url);
    });
    connect(m_process, &QProcess::finished, this, &LocalInstance::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            failStart(
                makeError(ErrorCode::InvalidArgument,
                          QStringLiteral("ETL %1: cannot start \"%2\": %3")
                              .arg(spec().msg.name, m_plan.program, m_process->errorString())));
    });
    m_process->start();
}

QString LocalInstance::forkServerSocket() const
{
    return m_command->hostWorkingDir + '/' + IoForkServer::SocketName;
}

void LocalInstance::onProbeSucceeded()
{
    if (state() != State::Starting)
        return;
    if (m_forkServer)
        return markReady(QStringLiteral("io:// fork server"));
    if (m_pgid > 0 && !listenerBelongsToGroup(quint16(m_plan.port), pid_t(m_pgid))) {
        // Somebody else's server took the port between our probe for a free one and the
        // instance's bind: its answer is not this instance's.
        return failStart(makeError(
            ErrorCode::Unavailable,
            QStringLiteral("ETL %1: port %2 on this machine is held by another process, not by "
                           "the instance; try the init again (a new port is picked)")
                .arg(spec().msg.name)
                .arg(m_plan.port)));
    }
    markReady(QStringLiteral("127.0.0.1:%1").arg(m_plan.port));
}

QString LocalInstance::exitDescription(int exitCode, QProcess::ExitStatus status) const
{
    // Sandboxed, the child is bwrap, which exits with 128 + the signal that killed the code.
    const bool killedInSandbox
        = sandboxed() && status == QProcess::NormalExit && exitCode > 128 && exitCode < 160;
    QString how = status == QProcess::CrashExit
        ? QStringLiteral("was killed (exit status %1)").arg(exitCode)
        : killedInSandbox ? QStringLiteral("was killed (signal %1)").arg(exitCode - 128)
                          : QStringLiteral("exited with status %1").arg(exitCode);
    const QByteArray tail = m_log.tail(10);
    if (!tail.isEmpty())
        how += QStringLiteral("; last output:\n") + QString::fromUtf8(tail);
    return how;
}

void LocalInstance::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_log.append(m_process->readAllStandardOutput());
    killGroup(SIGKILL); // whatever it spawned goes with it
    m_probe.stop();
    m_socketProbe.stop();
    m_killTimer.stop();
    const QString what = QStringLiteral("the container ") + exitDescription(exitCode, status);
    switch (state()) {
    case State::Stopping:
        releaseCgroup();
        return markStopped();
    case State::Starting:
        if (relaunchIfPortTaken())
            return;
        [[fallthrough]];
    case State::Launching:
        releaseCgroup();
        return failStart(contextError(ErrorCode::InvalidArgument, what));
    case State::Ready:
        releaseCgroup();
        markExited(contextError(ErrorCode::Aborted, what));
        return;
    default:
        return;
    }
}

bool LocalInstance::relaunchIfPortTaken()
{
    if (!m_replan || m_relaunches >= MaxRelaunches
        || !m_log.tail(10).toLower().contains("address already in use"))
        return false;
    auto plan = m_replan();
    if (!plan)
        return false;
    const int taken = m_plan.port;
    m_plan = std::move(*plan);
    applyVenv();
    if (!writeFiles())
        return false;
    ++m_relaunches;
    m_log.append(QStringLiteral("kiln: port %1 was taken by another process before the instance "
                                "bound it; starting it again on port %2\n")
                     .arg(taken)
                     .arg(m_plan.port)
                     .toUtf8());
    Log::runtime().info("{}: port {} taken; relaunching on port {}", context(), taken,
                        m_plan.port);
    m_process->deleteLater(); // finished: nothing left to wait for
    m_process = nullptr;
    m_pgid = 0;
    launch();
    return true;
}

void LocalInstance::cleanUpFailedStart()
{
    m_probe.stop();
    m_socketProbe.stop();
    killGroup(SIGKILL);
    releaseCgroup();
}

void LocalInstance::stop()
{
    if (state() == State::Stopping)
        return; // stopped() follows when the group is gone
    if (state() == State::Stopped)
        return markStoppedLater(); // callers wait for stopped(): say it again for this call
    m_probe.stop();
    m_socketProbe.stop();
    if (!m_process || m_process->state() == QProcess::NotRunning) {
        killGroup(SIGKILL);
        releaseCgroup(); // io:// objects still running in it go with it
        return markStoppedLater();
    }
    setStopping();
    killGroup(SIGTERM);
    m_killTimer.start();
}

void LocalInstance::killGroup(int signal)
{
    if (m_pgid > 1)
        ::kill(-pid_t(m_pgid), signal);
}

QUrl LocalInstance::endpoint() const
{
    if (m_plan.io)
        return {};
    QUrl url;
    url.setScheme("http");
    url.setHost("127.0.0.1");
    url.setPort(m_plan.port);
    return url;
}

Usage LocalInstance::usage()
{
    Usage u;
    const ProcStats::Sample s = m_stats.sample();
    u.cpuCores = s.cpuCores;
    u.memBytes = s.rssBytes;
    u.cpuLimit = Etl::parseCpuQuantity(spec().msg.cpuLimit()).value_or(0);
    u.memLimit = Etl::parseMemoryQuantity(spec().msg.memoryLimit()).value_or(0);
    return u;
}

std::optional<IoCommand> LocalInstance::ioCommand() const
{
    if (!m_plan.io || state() != State::Ready)
        return std::nullopt;
    if (!m_command)
        return std::nullopt;
    if (m_forkServer)
        return IoCommand{IoForkServer::attachProgram(), {IoForkServer::SocketName},
                         m_plan.environment, m_command->hostWorkingDir, childLimits()};
    return IoCommand{m_command->program, m_command->arguments, m_plan.environment,
                     m_command->hostWorkingDir, childLimits()};
}

QList<qint64> LocalInstance::pids() const
{
    if (m_process && m_process->state() != QProcess::NotRunning)
        return {m_process->processId()};
    return {};
}

} // namespace Kiln::Runtime
