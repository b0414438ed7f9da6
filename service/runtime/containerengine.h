#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

namespace Kiln::Runtime {

// The docker or podman CLI this target drives containers with, found once by asking each
// candidate for its server version (asynchronously: `<cli> version --format ...`). Lives on
// the target's main thread; owned by the runtime.
class ContainerEngine final : public QObject
{
    Q_OBJECT
public:
    enum class State { Off, Probing, Available, Unavailable };

    // choice: off, auto (docker, then podman), docker or podman.
    explicit ContainerEngine(const QString &choice, QObject *parent = nullptr);
    ~ContainerEngine() override;

    // Starts the probe (once); probed() follows, also when it is already known.
    void probe();
    State state() const { return m_state; }
    QString program() const { return m_program; } // "docker", "podman" (Available)
    QString version() const { return m_version; }
    // One sentence for users: "docker 28.2.2 runs", "etl.containers is off", "docker and
    // podman do not answer (...)".
    QString describe() const;

Q_SIGNALS:
    void probed();

private:
    void tryNext();

    QStringList m_candidates; // still to ask
    QStringList m_failures; // "docker: Cannot connect to the Docker daemon ..."
    State m_state;
    QString m_program;
    QString m_version;
};

} // namespace Kiln::Runtime
