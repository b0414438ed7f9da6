#include "service/etl/transformsources.h"

#include "service/http/httpclient.h"
#include "service/runtime/processreaper.h"

namespace Kiln::Etl {

CallBodySource::CallBodySource(Http::ClientCall *call, qint64 size,
                               std::function<void(qint64, bool)> done, QObject *parent)
    : Http::BodySource(parent)
    , m_call(call)
    , m_size(size)
    , m_done(std::move(done))
{
    call->setParent(this);
    connect(call, &Http::ClientCall::readyRead, this, &BodySource::readyRead);
    connect(call, &Http::ClientCall::finished, this, [this] {
        // Whatever arrived before an error is still delivered, then the error: an answer cut
        // short must never pass for a whole (shorter) result.
        if (!m_call->error().isEmpty() && m_call->bytesAvailable() == 0) {
            fail(m_call->error());
            return;
        }
        Q_EMIT readyRead();
    });
}

CallBodySource::~CallBodySource()
{
    finish(m_error.isEmpty() && atEnd());
    if (m_call && !m_call->isFinished())
        m_call->abort();
}

QByteArray CallBodySource::read(qint64 maxBytes)
{
    if (!m_call || !m_error.isEmpty())
        return {};
    QByteArray chunk = m_call->read(maxBytes);
    m_sent += chunk.size();
    // Checked on the read that drains a finished call, empty or not: the last bytes of an answer
    // cut short may come in the same read that finds it over.
    if (m_call->isFinished() && m_call->bytesAvailable() == 0) {
        if (!m_call->error().isEmpty()) {
            fail(m_call->error());
            return {};
        }
        if (m_size >= 0 && m_sent != m_size) {
            fail(QStringLiteral("the ETL instance announced %1 bytes but sent %2")
                     .arg(m_size)
                     .arg(m_sent));
            return {};
        }
        finish(true);
    }
    return chunk;
}

bool CallBodySource::atEnd() const
{
    return !m_error.isEmpty() || !m_call || (m_call->isFinished() && m_call->bytesAvailable() == 0);
}

void CallBodySource::fail(const QString &why)
{
    if (!m_error.isEmpty())
        return;
    m_error = why;
    if (m_call && !m_call->isFinished())
        m_call->abort();
    finish(false);
    Q_EMIT failed();
}

void CallBodySource::finish(bool ok)
{
    if (std::exchange(m_reported, true))
        return;
    if (m_done)
        m_done(m_sent, ok);
}

ProcessBodySource::ProcessBodySource(QProcess *process, QLocalSocket *output,
                                     std::function<void(qint64, bool)> done, QObject *parent)
    : Http::BodySource(parent)
    , m_process(process)
    , m_output(output)
    , m_done(std::move(done))
{
    process->setParent(this);
    connect(output, &QLocalSocket::readyRead, this, &BodySource::readyRead);
    connect(output, &QLocalSocket::disconnected, this, [this] {
        m_eof = true;
        Q_EMIT readyRead();
    });
    connect(process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        m_exited = true;
        if (status != QProcess::NormalExit || code != 0) {
            fail(QStringLiteral("the io:// process exited with status %1 mid-stream").arg(code));
            return;
        }
        Q_EMIT readyRead();
    });
    // The process may be gone already (an empty or small result read in one go).
    if (process->state() == QProcess::NotRunning) {
        m_exited = true;
        if (process->exitStatus() != QProcess::NormalExit || process->exitCode() != 0)
            m_error = QStringLiteral("the io:// process exited with status %1")
                          .arg(process->exitCode());
    }
    if (output->state() != QLocalSocket::ConnectedState)
        m_eof = true;
    if (output->bytesAvailable() > 0 || m_eof)
        QMetaObject::invokeMethod(this, &BodySource::readyRead, Qt::QueuedConnection);
}

ProcessBodySource::~ProcessBodySource()
{
    if (!std::exchange(m_reported, true) && m_done)
        m_done(m_sent, false);
    // Killed at once with whatever it spawned in its group, and reaped without waiting here.
    if (m_process && m_process->state() != QProcess::NotRunning)
        Runtime::ProcessReaper::reap(m_process, std::chrono::milliseconds(0),
                                     Runtime::ProcessReaper::Scope::Group);
}

QByteArray ProcessBodySource::read(qint64 maxBytes)
{
    if (!m_error.isEmpty() || !m_process || !m_output)
        return {};
    const QByteArray chunk = m_output->read(maxBytes);
    m_sent += chunk.size();
    // Reported by the read that drains it, as CallBodySource does: a reader may stop at atEnd().
    if (atEnd() && !std::exchange(m_reported, true) && m_done)
        m_done(m_sent, true);
    return chunk;
}

bool ProcessBodySource::atEnd() const
{
    return !m_error.isEmpty() || !m_process || !m_output
        || (m_exited && m_eof && m_output->bytesAvailable() == 0);
}

void ProcessBodySource::fail(const QString &why)
{
    if (!m_error.isEmpty())
        return;
    m_error = why;
    if (!std::exchange(m_reported, true) && m_done)
        m_done(m_sent, false);
    Q_EMIT failed();
}

} // namespace Kiln::Etl
