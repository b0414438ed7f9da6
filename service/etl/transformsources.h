#pragma once

#include "service/http/bodysource.h"

#include <QPointer>
#include <QProcess>

#include <functional>

class QNetworkReply;

namespace Kiln::Etl {

// The body of an ETL instance's HTTP answer, streamed on to the client. The reply's own buffer
// is capped, so a slow client slows the instance instead of growing the target.
class ReplyBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    ReplyBodySource(QNetworkReply *reply, qint64 size,
                    std::function<void(qint64 bytes, bool ok)> done, QObject *parent = nullptr);
    ~ReplyBodySource() override;

    qint64 size() const override { return m_size; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override { return m_error; }
    void fail(const QString &why);

private:
    void finish(bool ok);

    QPointer<QNetworkReply> m_reply;
    qint64 m_size;
    qint64 m_sent = 0;
    bool m_finished = false;
    bool m_reported = false;
    QString m_replyError; // the reply's error, reported once what came before it is read
    QString m_error;
    std::function<void(qint64, bool)> m_done;
};

// The stdout of an io:// process, streamed to the client.
class ProcessBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    ProcessBodySource(QProcess *process, QByteArray firstChunk,
                      std::function<void(qint64 bytes, bool ok)> done, QObject *parent = nullptr);
    ~ProcessBodySource() override;

    qint64 size() const override { return -1; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override { return m_error; }
    void fail(const QString &why);

private:
    QPointer<QProcess> m_process;
    QByteArray m_pending;
    qint64 m_sent = 0;
    bool m_exited = false;
    bool m_reported = false;
    QString m_error;
    std::function<void(qint64, bool)> m_done;
};

} // namespace Kiln::Etl
