#include "service/runtime/containerengine.h"

#include "shared/core/logging.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

namespace Kiln::Runtime {

ContainerEngine::ContainerEngine(const QString &choice, QObject *parent)
    : QObject(parent)
    , m_state(choice == QLatin1String("off") ? State::Off : State::Unavailable)
{
    if (choice == QLatin1String("auto"))
        m_candidates = {QStringLiteral("docker"), QStringLiteral("podman")};
    else if (choice != QLatin1String("off"))
        m_candidates = {choice};
}

ContainerEngine::~ContainerEngine()
{
    // A probe still running would report into this half-destroyed object from ~QProcess
    // (which waits for the killed child and emits finished): cut it off first.
    for (QProcess *p : findChildren<QProcess *>(Qt::FindDirectChildrenOnly))
        p->disconnect(this);
}

void ContainerEngine::probe()
{
    if (m_state == State::Probing)
        return;
    if (m_state == State::Off || m_state == State::Available || m_candidates.isEmpty()) {
        QMetaObject::invokeMethod(this, &ContainerEngine::probed, Qt::QueuedConnection);
        return;
    }
    m_state = State::Probing;
    tryNext();
}

void ContainerEngine::tryNext()
{
    if (m_candidates.isEmpty()) {
        m_state = State::Unavailable;
        Log::runtime().info("container engine: none ({})", m_failures.join("; "));
        Q_EMIT probed();
        return;
    }
    const QString program = m_candidates.takeFirst();
    const QString path = QStandardPaths::findExecutable(program);
    if (path.isEmpty()) {
        m_failures << QStringLiteral("%1 is not installed").arg(program);
        return tryNext();
    }
    auto *process = new QProcess(this);
    auto *deadline = new QTimer(process);
    deadline->setSingleShot(true);
    // A daemon that hangs must not keep the engine "probing" for ever.
    connect(deadline, &QTimer::timeout, process, [process] { process->kill(); });
    connect(process, &QProcess::finished, this, [this, process, program](int code) {
        process->deleteLater();
        const QString out = QString::fromUtf8(process->readAllStandardOutput()).trimmed();
        const QString err = QString::fromUtf8(process->readAllStandardError()).trimmed();
        if (code == 0 && !out.isEmpty()) {
            m_state = State::Available;
            m_program = program;
            m_version = out;
            Log::runtime().info("container engine: {} {}", program, out);
            Q_EMIT probed();
            return;
        }
        m_failures << QStringLiteral("%1 does not answer: %2")
                          .arg(program,
                               err.isEmpty() ? QStringLiteral("no server version")
                                             : err.section('\n', -1));
        tryNext();
    });
    connect(process, &QProcess::errorOccurred, this,
            [this, process, program](QProcess::ProcessError e) {
                if (e != QProcess::FailedToStart)
                    return;
                process->deleteLater();
                m_failures << QStringLiteral("%1 cannot start").arg(program);
                tryNext();
            });
    // Podman has no server unless remote: its own version stands for the engine's.
    process->start(path,
                   program == QLatin1String("podman")
                       ? QStringList{"info", "--format", "{{.Version.Version}}"}
                       : QStringList{"version", "--format", "{{.Server.Version}}"});
    deadline->start(10000);
}

QString ContainerEngine::describe() const
{
    switch (m_state) {
    case State::Off:
        return QStringLiteral("etl.containers is off");
    case State::Probing:
        return QStringLiteral("the container engine is still being probed");
    case State::Available:
        return QStringLiteral("%1 %2 runs").arg(m_program, m_version);
    case State::Unavailable:
        return m_failures.isEmpty()
            ? QStringLiteral("no container engine is configured")
            : QStringLiteral("no container engine runs (%1)").arg(m_failures.join("; "));
    }
    return {};
}

} // namespace Kiln::Runtime
