#pragma once

#include "service/http/bodysource.h"

#include <QLocalSocket>
#include <QPointer>
#include <QProcess>

#include <functional>

namespace Kiln::Http {
class ClientCall;
}

namespace Kiln::Etl {

// The body of an ETL instance's HTTP answer, streamed on to the client. The call buffers at most
// ClientCall::MaxBuffered bytes, so a slow client slows the instance instead of growing the target.
class CallBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    CallBodySource(Http::ClientCall *call, qint64 size,
                   std::function<void(qint64 bytes, bool ok)> done, QObject *parent = nullptr);
    ~CallBodySource() override;

    qint64 size() const override { return m_size; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override { return m_error; }
    void fail(const QString &why);

private:
    void finish(bool ok);

    QPointer<Http::ClientCall> m_call;
    qint64 m_size;
    qint64 m_sent = 0;
    bool m_reported = false;
    QString m_error;
    std::function<void(qint64, bool)> m_done;
};

// The stdout of an io:// process, streamed to the client.
class ProcessBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    // The program's stdout arrives on output (a socket pair, see IoTransform).
    ProcessBodySource(QProcess *process, QLocalSocket *output,
                      std::function<void(qint64 bytes, bool ok)> done, QObject *parent = nullptr);
    ~ProcessBodySource() override;

    qint64 size() const override { return -1; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override { return m_error; }
    void fail(const QString &why);

private:
    QPointer<QProcess> m_process;
    QPointer<QLocalSocket> m_output;
    qint64 m_sent = 0;
    bool m_exited = false;
    bool m_eof = false;
    bool m_reported = false;
    QString m_error;
    std::function<void(qint64, bool)> m_done;
};

} // namespace Kiln::Etl
