#include "service/runtime/containerinstance.h"

#include "service/runtime/containerengine.h"
#include "service/runtime/launchplan.h"
#include "service/runtime/processreaper.h"
#include "shared/core/logging.h"

namespace Kiln::Runtime {

ContainerInstance::ContainerInstance(InstanceSpec spec, ContainerPlan plan, ContainerEngine *engine,
                                     QObject *parent)
    : InstanceLifecycle(std::move(spec), Log::runtime(), parent)
    , m_plan(std::move(plan))
    , m_engine(engine)
{
    connect(&m_probe, &ReadinessProbe::succeeded, this, [this] {
        if (state() != State::Starting)
            return;
        markReady(QStringLiteral("127.0.0.1:%1").arg(m_hostPort));
        refreshStats();
    });
}

QString ContainerInstance::timeoutDetail() const
{
    const QByteArray tail = m_log.tail(5);
    return QStringLiteral(" (container of %1)").arg(m_plan.image)
        + (tail.isEmpty() ? QString() : QStringLiteral("; last output: ") + QString::fromUtf8(tail));
}

ContainerInstance::~ContainerInstance()
{
    // The container outlives no target: remove it without waiting for the engine's answer (by
    // name when `run` has not answered yet).
    if ((!m_id.isEmpty() || m_runInFlight) && state() != State::Stopped && m_engine)
        QProcess::startDetached(m_engine->program(),
                                {"rm", "-f", m_id.isEmpty() ? m_plan.name : m_id});
    // CLI calls still running are cut off from this half-destroyed object (their lambdas
    // have this as context), killed, and reaped without waiting on this thread.
    for (QProcess *p : findChildren<QProcess *>(Qt::FindDirectChildrenOnly))
        ProcessReaper::reap(p, std::chrono::milliseconds(0));
}

QProcess *ContainerInstance::runCli(const QStringList &arguments, Done done)
{
    auto *process = new QProcess(this);
    connect(process, &QProcess::finished, this,
            [process, done = std::move(done)](int code, QProcess::ExitStatus status) {
                process->deleteLater();
                done(status == QProcess::NormalExit ? code : -1, process->readAllStandardOutput(),
                     process->readAllStandardError());
            });
    connect(process, &QProcess::errorOccurred, this, [process](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            Q_EMIT process->finished(-1, QProcess::CrashExit);
    });
    Log::runtime().debug("{} {}", m_engine->program(), arguments.join(' '));
    process->start(m_engine->program(), arguments);
    return process;
}

void ContainerInstance::start()
{
    if (!beginStart())
        return;
    if (!m_engine)
        return failStart(makeError(ErrorCode::Internal, "the container engine is gone"));
    connect(m_engine, &ContainerEngine::probed, this, &ContainerInstance::onEngineProbed,
            Qt::SingleShotConnection);
    m_engine->probe();
}

void ContainerInstance::onEngineProbed()
{
    if (state() != State::Launching)
        return;
    if (m_engine->state() != ContainerEngine::State::Available)
        return failStart(cannotRunImage(m_plan.image, m_engine->describe()));
    m_log.append(QStringLiteral("kiln: %1 %2\n")
                     .arg(m_engine->program(), m_plan.runArguments().join(' '))
                     .toUtf8());
    m_runInFlight = true;
    runCli(m_plan.runArguments(), [this](int code, const QByteArray &out, const QByteArray &err) {
        m_runInFlight = false;
        onRun(code, out, err);
    });
}

void ContainerInstance::onRun(int exitCode, const QByteArray &out, const QByteArray &err)
{
    if (exitCode == 0)
        m_id = QString::fromUtf8(out).trimmed().section('\n', -1);
    if (state() == State::Stopping) { // stopped while the engine was creating it
        if (m_id.isEmpty())
            markStopped();
        else
            removeContainer();
        return;
    }
    if (state() != State::Launching) {
        removeContainer(); // failed meanwhile (init timeout)
        return;
    }
    if (exitCode != 0 || m_id.isEmpty()) {
        m_log.append(err);
        return failStart(runError(QString::fromUtf8(err).trimmed()));
    }
    Log::runtime().info("{}: container {} ({}) started", context(), m_id.left(12), m_plan.image);
    follow();
    runCli({"port", m_id, QStringLiteral("%1/tcp").arg(m_plan.containerPort)},
           [this](int code, const QByteArray &out, const QByteArray &err) {
               onPortAnswered(code, out, err);
           });
}

Error ContainerInstance::runError(const QString &why) const
{
    const bool pull = why.contains("Unable to find image") || why.contains("pull")
        || why.contains("manifest unknown") || why.contains("not found");
    const QString &name = spec().msg.name;
    return makeError(
        ErrorCode::InvalidArgument,
        pull ? QStringLiteral("ETL %1: image \"%2\" cannot run: it is not on this machine and %3 "
                              "could not pull it (no network or no such image?): %4. Load it "
                              "first (%3 load / %3 build), or map the image to a local command "
                              "(etl.images in kilnd's config)")
                   .arg(name, m_plan.image, m_engine->program(), why)
             : QStringLiteral("ETL %1: %2 cannot run image \"%3\" (local: no mapping in "
                              "etl.images): %4")
                   .arg(name, m_engine->program(), m_plan.image, why));
}

void ContainerInstance::onPortAnswered(int exitCode, const QByteArray &out, const QByteArray &err)
{
    if (state() != State::Launching)
        return;
    m_hostPort = exitCode == 0 ? parsePublishedPort(out) : 0;
    if (m_hostPort <= 0)
        return failStart(makeError(ErrorCode::InvalidArgument,
                                   QStringLiteral("ETL %1: container port %2 is not published: %3")
                                       .arg(spec().msg.name)
                                       .arg(m_plan.containerPort)
                                       .arg(QString::fromUtf8(err + out).trimmed())));
    setStarting();
    QUrl url = endpoint();
    url.setPath(m_plan.probePath);
    m_probe.start(url);
}

void ContainerInstance::follow()
{
    // Logs come from the engine (stdout and stderr of the container, interleaved).
    m_logsProcess = new QProcess(this);
    m_logsProcess->setProcessChannelMode(QProcess::MergedChannels);
    connect(m_logsProcess, &QProcess::readyReadStandardOutput, this, [this] {
        if (m_logsProcess)
            m_log.append(m_logsProcess->readAllStandardOutput());
    });
    connect(m_logsProcess, &QProcess::finished, m_logsProcess, &QObject::deleteLater);
    m_logsProcess->start(m_engine->program(), {"logs", "-f", m_id});

    m_waitProcess = runCli({"wait", m_id}, [this](int, const QByteArray &out, const QByteArray &) {
        onWaitAnswered(out);
    });
}

void ContainerInstance::onWaitAnswered(const QByteArray &out)
{
    const QString status = QString::fromUtf8(out).trimmed();
    const QString tail = QString::fromUtf8(m_log.tail(10));
    const QString how = QStringLiteral("the container exited with status %1%2")
                            .arg(status.isEmpty() ? QStringLiteral("unknown") : status,
                                 tail.isEmpty() ? QString() : "; last output:\n" + tail);
    switch (state()) {
    case State::Launching:
    case State::Starting:
        return failStart(contextError(ErrorCode::InvalidArgument, how));
    case State::Ready:
        markExited(contextError(ErrorCode::Aborted, how));
        return;
    default:
        return;
    }
}

void ContainerInstance::cleanUpFailedStart()
{
    m_probe.stop();
    removeContainer();
}

void ContainerInstance::removeContainer()
{
    if (m_id.isEmpty() || !m_engine)
        return;
    runCli({"rm", "-f", m_id}, [this](int code, const QByteArray &, const QByteArray &err) {
        if (code != 0)
            Log::runtime().warn("{}: container {}: rm failed: {}", context(), m_id.left(12),
                                err.trimmed());
        if (state() == State::Stopping)
            markStopped();
    });
}

void ContainerInstance::stop()
{
    if (state() == State::Stopping)
        return;
    m_probe.stop();
    if (m_runInFlight) {
        // The engine creates the container even if its CLI dies now: let `run` answer, then
        // remove what it made (onRun), and only then say stopped.
        return setStopping();
    }
    if (state() == State::Stopped || m_id.isEmpty() || !m_engine)
        return markStoppedLater();
    setStopping();
    removeContainer();
}

QUrl ContainerInstance::endpoint() const
{
    QUrl url;
    url.setScheme("http");
    url.setHost("127.0.0.1");
    url.setPort(m_hostPort);
    return url;
}

void ContainerInstance::refreshStats()
{
    if (m_statsInFlight || m_id.isEmpty() || state() != State::Ready)
        return;
    m_statsInFlight = true;
    runCli({"stats", "--no-stream", "--format", "{{json .}}", m_id},
           [this](int code, const QByteArray &out, const QByteArray &) {
               m_statsInFlight = false;
               if (code != 0)
                   return;
               if (const auto s = parseContainerStats(out.trimmed().split('\n').last()))
                   m_lastStats = *s;
           });
}

Usage ContainerInstance::usage()
{
    // The engine's numbers from the last sample (a `stats` call takes a second or two); each
    // call asks for the next one.
    refreshStats();
    Usage u;
    u.cpuCores = m_lastStats.cpuCores;
    u.memBytes = m_lastStats.memBytes;
    u.cpuLimit = m_plan.cpus.toDouble();
    u.memLimit = m_plan.memory.toLongLong();
    return u;
}

} // namespace Kiln::Runtime
