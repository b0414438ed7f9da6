#include "service/runtime/containerinstance.h"

#include "service/runtime/containerengine.h"
#include "service/runtime/launchplan.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"

#include <QNetworkReply>

namespace Kiln::Runtime {

ContainerInstance::ContainerInstance(InstanceSpec spec, ContainerPlan plan, ContainerEngine *engine,
                                     QObject *parent)
    : Instance(parent)
    , m_spec(std::move(spec))
    , m_plan(std::move(plan))
    , m_engine(engine)
{
    m_probeTimer.setInterval(250);
    connect(&m_probeTimer, &QTimer::timeout, this, &ContainerInstance::probe);
    m_initTimer.setSingleShot(true);
    m_initTimer.setInterval(int(std::min<qint64>(m_spec.msg.initTimeout.count(), INT_MAX)));
    connect(&m_initTimer, &QTimer::timeout, this, [this] {
        failStart(makeError(ErrorCode::InvalidArgument,
                            QStringLiteral("ETL %1 on target %2: container of %3 did not become "
                                           "ready within %4%5")
                                .arg(m_spec.msg.name, m_spec.targetId, m_plan.image,
                                     formatDuration(m_spec.msg.initTimeout),
                                     m_log.tail(5).isEmpty() ? QString()
                                                             : QStringLiteral("; last output: ")
                                             + QString::fromUtf8(m_log.tail(5)))));
    });
}

ContainerInstance::~ContainerInstance()
{
    // The container outlives no target: remove it without waiting for the engine's answer (by
    // name when `run` has not answered yet).
    if ((!m_id.isEmpty() || m_runInFlight) && m_state != State::Stopped && m_engine)
        QProcess::startDetached(m_engine->program(),
                                {"rm", "-f", m_id.isEmpty() ? m_plan.name : m_id});
    // ~QProcess of a CLI call still running emits finished into this half-destroyed object:
    // cut every one off first (their lambdas have this as context).
    for (QProcess *p : findChildren<QProcess *>(Qt::FindDirectChildrenOnly)) {
        p->disconnect(this);
        p->kill();
    }
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
    if (m_state != State::Created)
        return;
    m_state = State::Launching;
    m_started.start();
    m_initTimer.start();
    if (!m_engine)
        return failStart(makeError(ErrorCode::Internal, "the container engine is gone"));
    connect(m_engine, &ContainerEngine::probed, this, &ContainerInstance::onEngineProbed,
            Qt::SingleShotConnection);
    m_engine->probe();
}

void ContainerInstance::onEngineProbed()
{
    if (m_state != State::Launching)
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
    if (m_state == State::Stopping) { // stopped while the engine was creating it
        if (m_id.isEmpty()) {
            m_state = State::Stopped;
            Q_EMIT stopped();
        } else {
            removeContainer();
        }
        return;
    }
    if (m_state != State::Launching) {
        removeContainer(); // failed meanwhile (init timeout)
        return;
    }
    if (exitCode != 0 || m_id.isEmpty()) {
        m_log.append(err);
        const QString why = QString::fromUtf8(err).trimmed();
        const bool pull = why.contains("Unable to find image") || why.contains("pull")
            || why.contains("manifest unknown") || why.contains("not found");
        return failStart(makeError(
            ErrorCode::InvalidArgument,
            pull ? QStringLiteral(
                       "ETL %1: image \"%2\" cannot run: it is not on this machine and %3 "
                       "could not pull it (no network or no such image?): %4. Load it first "
                       "(%3 load / %3 build), or map the image to a local command "
                       "(etl.images in kilnd's config)")
                       .arg(m_spec.msg.name, m_plan.image, m_engine->program(), why)
                 : QStringLiteral("ETL %1: %2 cannot run image \"%3\" (local: no mapping in "
                                  "etl.images): %4")
                       .arg(m_spec.msg.name, m_engine->program(), m_plan.image, why)));
    }
    Log::runtime().info("etl[{}] container {} ({}) started for target {}", m_spec.msg.name,
                        m_id.left(12), m_plan.image, m_spec.targetId);
    follow();
    runCli({"port", m_id, QStringLiteral("%1/tcp").arg(m_plan.containerPort)},
           [this](int code, const QByteArray &out, const QByteArray &err) {
               if (m_state != State::Launching)
                   return;
               m_hostPort = code == 0 ? parsePublishedPort(out) : 0;
               if (m_hostPort <= 0)
                   return failStart(
                       makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("ETL %1: container port %2 is not published: %3")
                                     .arg(m_spec.msg.name)
                                     .arg(m_plan.containerPort)
                                     .arg(QString::fromUtf8(err + out).trimmed())));
               m_state = State::Starting;
               m_probeTimer.start();
               probe();
           });
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
        const QString status = QString::fromUtf8(out).trimmed();
        const QString tail = QString::fromUtf8(m_log.tail(10));
        const QString how = QStringLiteral("ETL %1 on target %2: the container exited with "
                                           "status %3%4")
                                .arg(m_spec.msg.name, m_spec.targetId,
                                     status.isEmpty() ? QStringLiteral("unknown") : status,
                                     tail.isEmpty() ? QString() : "; last output:\n" + tail);
        switch (m_state) {
        case State::Launching:
        case State::Starting:
            return failStart(makeError(ErrorCode::InvalidArgument, how));
        case State::Ready:
            m_state = State::Exited;
            Log::runtime().warn("{}", how);
            Q_EMIT exited(makeError(ErrorCode::Aborted, how));
            return;
        default:
            return;
        }
    });
}

void ContainerInstance::probe()
{
    if (m_state != State::Starting || m_probeInFlight)
        return;
    QUrl url = endpoint();
    url.setPath(m_plan.probePath);
    QNetworkRequest request(url);
    request.setTransferTimeout(5000);
    m_probeInFlight = true;
    QNetworkReply *reply = m_nam.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        m_probeInFlight = false;
        if (m_state != State::Starting)
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 200 && status < 400) {
            m_state = State::Ready;
            m_probeTimer.stop();
            m_initTimer.stop();
            Log::runtime().info("etl[{}] container ready on 127.0.0.1:{} for target {} after {} ms",
                                m_spec.msg.name, m_hostPort, m_spec.targetId, m_started.elapsed());
            refreshStats();
            Q_EMIT ready();
        }
    });
}

void ContainerInstance::failStart(const Error &error)
{
    if (m_state == State::Failed || m_state == State::Stopped || m_state == State::Ready
        || m_state == State::Stopping)
        return;
    m_state = State::Failed;
    m_initTimer.stop();
    m_probeTimer.stop();
    Log::runtime().warn("etl[{}] failed to start on target {}: {}", m_spec.msg.name,
                        m_spec.targetId, error.message);
    removeContainer();
    Q_EMIT failed(error);
}

void ContainerInstance::removeContainer()
{
    if (m_id.isEmpty() || !m_engine)
        return;
    runCli({"rm", "-f", m_id}, [this](int code, const QByteArray &, const QByteArray &err) {
        if (code != 0)
            Log::runtime().warn("etl[{}] container {}: rm failed: {}", m_spec.msg.name,
                                m_id.left(12), err.trimmed());
        if (m_state == State::Stopping) {
            m_state = State::Stopped;
            Q_EMIT stopped();
        }
    });
}

void ContainerInstance::stop()
{
    if (m_state == State::Stopping)
        return;
    m_initTimer.stop();
    m_probeTimer.stop();
    if (m_runInFlight) {
        // The engine creates the container even if its CLI dies now: let `run` answer, then
        // remove what it made (onRun), and only then say stopped.
        m_state = State::Stopping;
        return;
    }
    if (m_state == State::Stopped || m_id.isEmpty() || !m_engine) {
        m_state = State::Stopped;
        QMetaObject::invokeMethod(this, &Instance::stopped, Qt::QueuedConnection);
        return;
    }
    m_state = State::Stopping;
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

QString ContainerInstance::phase() const
{
    switch (m_state) {
    case State::Created:
    case State::Launching:
    case State::Starting:
        return QStringLiteral("Pending");
    case State::Ready:
        return QStringLiteral("Running");
    case State::Stopping:
    case State::Stopped:
        return QStringLiteral("Succeeded");
    case State::Failed:
    case State::Exited:
        return QStringLiteral("Failed");
    }
    return QStringLiteral("Unknown");
}

void ContainerInstance::refreshStats()
{
    if (m_statsInFlight || m_id.isEmpty() || m_state != State::Ready)
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
