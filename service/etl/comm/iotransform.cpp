#include "service/etl/comm/iotransform.h"

#include "service/etl/comm/ioprocesspool.h"
#include "service/etl/transformsources.h"
#include "shared/core/duration.h"

#include <QFile>
#include <QLocalSocket>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace Kiln::Etl {
namespace {

constexpr qint64 StdinQueue = 1024 * 1024; // bytes queued for the program's stdin at most
constexpr qint64 StdinChunk = 256 * 1024; // read from the object's file at a time
constexpr qsizetype StderrTail = 8192; // the end of the program's stderr, for its error

} // namespace

IoTransform::IoTransform(TransformJob job, std::chrono::milliseconds timeout, const CommDeps &deps,
                         QObject *context, Communicator::Done done, QObject *parent)
    : QObject(parent)
    , m_job(std::move(job))
    , m_timeout(timeout)
    , m_deps(deps)
    , m_context(context)
    , m_done(std::move(done))
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(int(std::min<qint64>(m_timeout.count(), INT_MAX)));
    connect(&m_timer, &QTimer::timeout, this, &IoTransform::onTimeout);
}

IoTransform::~IoTransform()
{
    if (m_pool)
        m_pool->release();
}

void IoTransform::start(IoProcessPool &pool, const Runtime::IoCommand &command)
{
    m_input = std::make_unique<QFile>(m_job.fqn);
    if (!m_input->open(QIODevice::ReadOnly)) {
        m_answered = true;
        if (m_context)
            m_done(makeError(ErrorCode::NotFound, QStringLiteral("object not found")));
        return deleteLater();
    }
    Result<IoProcess> taken = pool.take(command, m_job.etlArgs);
    if (!taken) {
        m_answered = true;
        if (m_context)
            m_done(taken.error());
        return deleteLater();
    }
    m_pool = &pool;
    m_process = taken->process;
    m_output = taken->output;
    m_process->setParent(this);
    connect(m_process, &QProcess::readyReadStandardError, this, &IoTransform::onStderr);
    connect(m_process, &QProcess::bytesWritten, this, &IoTransform::feed);
    connect(m_process, &QProcess::started, this, &IoTransform::feed);
    connect(m_process, &QProcess::finished, this, &IoTransform::onFinished);
    connect(m_process, &QProcess::errorOccurred, this, &IoTransform::onError);
    connect(m_output, &QLocalSocket::readyRead, this, &IoTransform::startStream);
    m_timer.start();
    // A process started ahead of its object may have started, and even written, already.
    onStderr();
    if (m_process->state() == QProcess::Running)
        feed();
    if (m_output->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &IoTransform::startStream, Qt::QueuedConnection);
}

void IoTransform::feed()
{
    // Stdin is fed in chunks as the pipe drains, so a large object never sits in memory.
    while (m_process->bytesToWrite() < StdinQueue && !m_input->atEnd()) {
        const QByteArray chunk = m_input->read(StdinChunk);
        if (chunk.isEmpty())
            break;
        m_process->write(chunk);
    }
    if (m_input->atEnd() && m_process->bytesToWrite() == 0 && m_input->isOpen()) {
        m_input->close();
        m_process->closeWriteChannel();
    }
}

void IoTransform::onStderr()
{
    m_stderrTail += m_process->readAllStandardError();
    if (m_stderrTail.size() > StderrTail)
        m_stderrTail.remove(0, m_stderrTail.size() - StderrTail);
}

void IoTransform::onFinished(int code, QProcess::ExitStatus status)
{
    if (m_answered) {
        if (!m_body) // failed before streaming (a timeout): the process is gone now
            deleteLater();
        return;
    }
    if (status == QProcess::NormalExit && code == 0)
        return startStream(); // the output (maybe empty) is still to be read
    fail(makeEtlStatusError(500,
                            QStringLiteral("ETL error: the io:// process exited with "
                                           "status %1: %2")
                                .arg(code)
                                .arg(QString::fromUtf8(m_stderrTail).trimmed())));
    deleteLater();
}

void IoTransform::onError(QProcess::ProcessError error)
{
    if (error != QProcess::FailedToStart)
        return;
    fail(makeError(ErrorCode::Internal,
                   QStringLiteral("ETL %1: cannot start the io:// process: %2")
                       .arg(m_job.etlName, m_process->errorString())));
    deleteLater();
}

void IoTransform::onTimeout()
{
    if (m_body)
        return m_body->fail("object timeout while streaming");
    fail(makeError(ErrorCode::EtlTimeout,
                   QStringLiteral("ETL %1: the io:// process did not finish "
                                  "within obj_timeout %2")
                       .arg(m_job.etlName, formatDuration(m_timeout))));
}

void IoTransform::startStream()
{
    if (std::exchange(m_answered, true))
        return;
    m_output->disconnect(this);
    QPointer<Communicator> comm(m_deps.comm);
    QPointer<IoTransform> self(this);
    auto body = std::make_unique<ProcessBodySource>(
        m_process, m_output,
        [comm, self, etl = m_job.etlName, in = m_job.size](qint64 out, bool ok) {
            if (self)
                self->m_timer.stop();
            if (comm)
                comm->account(etl, in, out, ok);
        });
    if (!m_context) {
        m_process = nullptr;
        body.reset(); // ends the process
        return deleteLater();
    }
    m_body = body.get();
    setParent(body.get());
    m_done(std::unique_ptr<Http::BodySource>(std::move(body)));
}

void IoTransform::fail(const Error &error)
{
    if (std::exchange(m_answered, true))
        return;
    m_timer.stop();
    m_deps.comm->recordError(m_job, error);
    if (m_process->state() != QProcess::NotRunning)
        ::kill(-pid_t(m_process->processId()), SIGKILL);
    if (m_context)
        m_done(error);
}

} // namespace Kiln::Etl
