#pragma once

#include "service/runtime/instance.h"
#include "shared/core/result.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <optional>

class QLocalSocket;
class QProcess;

namespace Kiln::Etl {

// An io:// program started for one object: its stdin open, its stdout on a socket pair whose
// read end is output (a child of process; see IoTransform for why not QProcess's pipe).
struct IoProcess
{
    QProcess *process = nullptr;
    QLocalSocket *output = nullptr;
};

// Starts one io:// ETL's processes on this target, and keeps a few started ahead of their objects
// so that a process's start-up overlaps the transfers of the objects before it. The contract
// stays one process per object, reading stdin to EOF: a waiting process has not seen any object.
//
// Sized to the work: after each object taken, as many wait as objects are in flight (at least
// one, at most MaxWaiting); none once no object came for IdleDrain. Only objects without
// etl_args take a waiting process (ETL_ARGS is in a process's environment from its start); the
// others start one of their own. Waiting processes are killed when the instance stops or exits,
// or when the pool goes. Lives on the target's main thread.
class IoProcessPool final : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxWaiting = 4;
    static constexpr std::chrono::seconds IdleDrain{10};

    IoProcessPool(QString etlName, Runtime::Instance *instance, QObject *parent);
    ~IoProcessPool() override;
    Q_DISABLE_COPY_MOVE(IoProcessPool)

    bool serves(const Runtime::Instance *instance) const { return instance && m_instance == instance; }
    // A started process for one object, owned by the caller from now on (reparent it); then
    // release() once the object is done with it.
    Result<IoProcess> take(const Runtime::IoCommand &command, const QString &etlArgs);
    void release();
    int waiting() const { return int(m_waiting.size()); }

private:
    Result<IoProcess> launch(const Runtime::IoCommand &command, const QString *etlArgs);
    std::optional<IoProcess> takeWaiting(const Runtime::IoCommand &command);
    void refill(const Runtime::IoCommand &command);
    void drain();

    QString m_etl;
    QPointer<Runtime::Instance> m_instance;
    QList<IoProcess> m_waiting; // started with m_command, no ETL_ARGS
    std::optional<Runtime::IoCommand> m_command;
    int m_inFlight = 0;
    QTimer m_idle;
};

} // namespace Kiln::Etl
