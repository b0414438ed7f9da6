#pragma once

#include "service/http/bodysource.h"

#include <QByteArray>
#include <QList>
#include <QPointer>

#include <functional>

namespace Kiln::Http {
class WsClient;
}

namespace Kiln::Etl {

// A transformed object arriving over a websocket, passed on to the client as it comes. Holds at
// most about MaxBuffered bytes: past that the websocket stops reading until the client caught up.
// done(bytes, ok) runs once: ok when the client got all of it.
class WsBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    static constexpr qint64 MaxBuffered = 2 * 1024 * 1024;

    WsBodySource(Http::WsClient *socket, std::function<void(qint64 bytes, bool ok)> done,
                 QObject *parent = nullptr);
    ~WsBodySource() override;

    void append(const QByteArray &chunk);
    void end();
    void fail(const QString &why);

    // Fixes size(): the whole length once the message ended, else unknown (sent chunked).
    void seal() { m_size = m_ended ? m_sent + m_buffered : -1; }
    qint64 buffered() const { return m_buffered; }
    bool ended() const { return m_ended; }

    qint64 size() const override { return m_size; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override { return m_error; }

private:
    void report(bool ok);

    QPointer<Http::WsClient> m_socket;
    QList<QByteArray> m_chunks;
    qint64 m_buffered = 0;
    qint64 m_sent = 0;
    qint64 m_size = -1;
    bool m_ended = false;
    bool m_reported = false;
    QString m_error;
    std::function<void(qint64, bool)> m_done;
};

} // namespace Kiln::Etl
