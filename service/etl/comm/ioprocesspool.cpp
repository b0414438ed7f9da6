#include "service/etl/comm/ioprocesspool.h"

#include "service/runtime/processreaper.h"

#include <QLocalSocket>
#include <QProcess>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace Kiln::Etl {
namespace {

constexpr qint64 IoReadBuffer = 1024 * 1024; // a program's output waiting for the client

bool sameCommand(const Runtime::IoCommand &a, const Runtime::IoCommand &b)
{
    return a.program == b.program && a.arguments == b.arguments && a.workDir == b.workDir
        && a.environment == b.environment && a.limits.memoryBytes == b.limits.memoryBytes
        && a.limits.cpuSeconds == b.limits.cpuSeconds && a.limits.nice == b.limits.nice
        && a.limits.cgroupProcs == b.limits.cgroupProcs;
}

// Killed at once with whatever it started in its group, and reaped without waiting here.
void discard(const IoProcess &p)
{
    if (p.process->state() != QProcess::NotRunning)
        Runtime::ProcessReaper::reap(p.process, std::chrono::milliseconds(0),
                                     Runtime::ProcessReaper::Scope::Group);
    else
        p.process->deleteLater();
}

} // namespace

IoProcessPool::IoProcessPool(QString etlName, Runtime::Instance *instance, QObject *parent)
    : QObject(parent)
    , m_etl(std::move(etlName))
    , m_instance(instance)
{
    m_idle.setSingleShot(true);
    m_idle.setInterval(IdleDrain);
    connect(&m_idle, &QTimer::timeout, this, &IoProcessPool::drain);
    if (instance) {
        connect(instance, &Runtime::Instance::stopped, this, &IoProcessPool::drain);
        connect(instance, &Runtime::Instance::exited, this, &IoProcessPool::drain);
    }
}

IoProcessPool::~IoProcessPool()
{
    drain();
}

Result<IoProcess> IoProcessPool::take(const Runtime::IoCommand &command, const QString &etlArgs)
{
    ++m_inFlight;
    m_idle.start();
    if (!etlArgs.isEmpty()) {
        Result<IoProcess> own = launch(command, &etlArgs);
        if (!own)
            release();
        return own;
    }
    std::optional<IoProcess> ready = takeWaiting(command);
    Result<IoProcess> taken = ready ? Result<IoProcess>(*ready) : launch(command, nullptr);
    if (!taken) {
        release();
        return taken;
    }
    refill(command);
    return taken;
}

void IoProcessPool::release()
{
    m_inFlight = std::max(0, m_inFlight - 1);
}

std::optional<IoProcess> IoProcessPool::takeWaiting(const Runtime::IoCommand &command)
{
    if (m_command && !sameCommand(*m_command, command))
        drain(); // a new plan (a relaunch): what waits was started for the old one
    m_command = command;
    while (!m_waiting.isEmpty()) {
        const IoProcess p = m_waiting.takeFirst();
        // One that ended while it waited (it did not wait for its stdin, or failed to start)
        // would answer with what it did without the object: a new one runs for the object.
        if (p.process->state() != QProcess::NotRunning
            && p.output->state() == QLocalSocket::ConnectedState)
            return p;
        discard(p);
    }
    return std::nullopt;
}

void IoProcessPool::refill(const Runtime::IoCommand &command)
{
    const int wanted = std::clamp(m_inFlight, 1, MaxWaiting);
    while (m_waiting.size() < wanted) {
        Result<IoProcess> p = launch(command, nullptr);
        if (!p)
            return;
        p->process->setParent(this);
        m_waiting.append(*p);
    }
}

void IoProcessPool::drain()
{
    m_idle.stop();
    for (const IoProcess &p : std::exchange(m_waiting, {}))
        discard(p);
}

Result<IoProcess> IoProcessPool::launch(const Runtime::IoCommand &command, const QString *etlArgs)
{
    // stdout goes to a socket pair instead of QProcess's pipe: QProcess reads a pipe as fast as
    // the program writes, whatever the client takes, but a socket's read buffer can be capped,
    // so a program faster than its client waits instead of growing the target.
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("ETL %1: cannot make a socket pair: %2")
                             .arg(m_etl, QString::fromLocal8Bit(::strerror(errno))));
    auto *process = new QProcess(this);
    process->setStandardOutputFile(QProcess::nullDevice());
    process->setChildProcessModifier([childOut = pair[1], limits = command.limits] {
        ::setpgid(0, 0);
        ::dup2(childOut, STDOUT_FILENO); // the copy on fd 1 survives exec, the pair's ends do not
        Runtime::applyChildLimits(limits);
    });
    auto *output = new QLocalSocket(process);
    output->setSocketDescriptor(pair[0], QLocalSocket::ConnectedState, QIODevice::ReadOnly);
    output->setReadBufferSize(IoReadBuffer);
    QProcessEnvironment env = command.environment;
    if (etlArgs)
        env.insert("ETL_ARGS", *etlArgs);
    process->setProcessEnvironment(env);
    process->setWorkingDirectory(command.workDir);
    process->start(command.program, command.arguments);
    // The child has its copy; the end of its output is the end of the stream.
    ::close(pair[1]);
    if (process->state() == QProcess::NotRunning) {
        const QString why = process->errorString();
        process->deleteLater();
        return makeError(ErrorCode::Internal,
                         QStringLiteral("ETL %1: cannot start the io:// process: %2").arg(m_etl, why));
    }
    return IoProcess{process, output};
}

} // namespace Kiln::Etl
