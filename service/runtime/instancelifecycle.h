#pragma once

#include "service/runtime/instance.h"

#include <QElapsedTimer>
#include <QTimer>

namespace spdlog {
class logger;
}

namespace Kiln::Runtime {

// The life of one ETL instance, whatever runs it: one state machine, the pod phase it implies,
// the init timer and the one way a start fails. LocalInstance, ContainerInstance and KubeInstance
// add how to launch, how to stop and how they learn their process' or pod's state, and report
// what they learn through the protected calls. Lives on the target's main thread.
class InstanceLifecycle : public Instance
{
    Q_OBJECT
public:
    enum class State {
        Created, // not started yet
        Launching, // the runtime prepares and launches it (venv, `run -d`, pod create)
        Starting, // it runs; the runtime waits for it to be ready
        Ready,
        Failed, // did not become ready; failed() said why
        Exited, // died after it was ready; exited() said why
        Stopping,
        Stopped,
    };

    State state() const { return m_state; }
    // Pending while it comes up, Running when ready, Succeeded once stopped, Failed otherwise.
    QString phase() const override;
    // "ETL <name> on target <id>": what every message about this instance starts with.
    virtual QString context() const;

protected:
    InstanceLifecycle(InstanceSpec spec, spdlog::logger &log, QObject *parent);

    const InstanceSpec &spec() const { return m_spec; }
    spdlog::logger &log() const { return m_log; }
    Error contextError(ErrorCode code, const QString &what) const;

    // Created -> Launching, and the init timer starts; false when it was started before.
    bool beginStart();
    // Launching -> Starting: it runs, readiness is next.
    void setStarting();
    // Launching or Starting -> Ready: the timer stops and ready() follows. where: its address.
    void markReady(const QString &where);
    // Launching or Starting -> Failed: the timer stops, cleanUpFailedStart() runs, failed()
    // follows. Ignored in any other state: exactly one of ready() or failed() is emitted.
    void failStart(const Error &error);
    // Ready -> Exited with exited(why); false (nothing done) in any other state.
    bool markExited(const Error &why);
    // -> Stopping; the init timer stops.
    void setStopping();
    // -> Stopped, and stopped() now.
    void markStopped();
    // -> Stopped, and stopped() from the event loop: stop() never signals inside its call.
    void markStoppedLater();

    // What the init timeout's message adds after "did not become ready within <t>".
    virtual QString timeoutDetail() const { return {}; }
    // Undoes what a failed start left (kill the group, remove the container, delete the pod).
    virtual void cleanUpFailedStart() { }

private:
    void onInitTimeout();

    InstanceSpec m_spec;
    spdlog::logger &m_log;
    State m_state = State::Created;
    QTimer m_initTimer;
    QElapsedTimer m_started;
};

} // namespace Kiln::Runtime
