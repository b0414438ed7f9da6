#include "service/runtime/instancelifecycle.h"

#include "shared/core/duration.h"
#include "shared/core/logging.h"

namespace Kiln::Runtime {

InstanceLifecycle::InstanceLifecycle(InstanceSpec spec, spdlog::logger &log, QObject *parent)
    : Instance(parent)
    , m_spec(std::move(spec))
    , m_log(log)
{
    m_initTimer.setSingleShot(true);
    m_initTimer.setInterval(int(std::min<qint64>(m_spec.msg.initTimeout.count(), INT_MAX)));
    connect(&m_initTimer, &QTimer::timeout, this, &InstanceLifecycle::onInitTimeout);
}

QString InstanceLifecycle::phase() const
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

QString InstanceLifecycle::context() const
{
    return QStringLiteral("ETL %1 on target %2").arg(m_spec.msg.name, m_spec.targetId);
}

Error InstanceLifecycle::contextError(ErrorCode code, const QString &what) const
{
    return makeError(code, QStringLiteral("%1: %2").arg(context(), what));
}

bool InstanceLifecycle::beginStart()
{
    if (m_state != State::Created)
        return false;
    m_state = State::Launching;
    m_started.start();
    m_initTimer.start();
    return true;
}

void InstanceLifecycle::setStarting()
{
    if (m_state == State::Launching)
        m_state = State::Starting;
}

void InstanceLifecycle::markReady(const QString &where)
{
    if (m_state != State::Launching && m_state != State::Starting)
        return;
    m_state = State::Ready;
    m_initTimer.stop();
    m_log.info("{}: ready{} after {} ms", context(), where.isEmpty() ? QString() : " at " + where,
               m_started.elapsed());
    Q_EMIT ready();
}

void InstanceLifecycle::onInitTimeout()
{
    // AIS reports an ETL pod that is not ready within init_timeout as an ETL error with no code
    // of its own, which the proxy answers with 400; the same holds for every runtime here.
    failStart(contextError(ErrorCode::InvalidArgument,
                           QStringLiteral("did not become ready within %1%2")
                               .arg(formatDuration(m_spec.msg.initTimeout), timeoutDetail())));
}

void InstanceLifecycle::failStart(const Error &error)
{
    if (m_state != State::Launching && m_state != State::Starting)
        return;
    m_state = State::Failed;
    m_initTimer.stop();
    m_log.warn("etl[{}] failed to start on target {}: {}", m_spec.msg.name, m_spec.targetId,
               error.message);
    cleanUpFailedStart();
    Q_EMIT failed(error);
}

bool InstanceLifecycle::markExited(const Error &why)
{
    if (m_state != State::Ready)
        return false;
    m_state = State::Exited;
    m_log.warn("{}", why.message);
    Q_EMIT exited(why);
    return true;
}

void InstanceLifecycle::setStopping()
{
    m_initTimer.stop();
    m_state = State::Stopping;
}

void InstanceLifecycle::markStopped()
{
    m_initTimer.stop();
    m_state = State::Stopped;
    Q_EMIT stopped();
}

void InstanceLifecycle::markStoppedLater()
{
    m_initTimer.stop();
    m_state = State::Stopped;
    QMetaObject::invokeMethod(this, &Instance::stopped, Qt::QueuedConnection);
}

} // namespace Kiln::Runtime
