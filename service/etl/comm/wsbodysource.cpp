#include "service/etl/comm/wsbodysource.h"

#include "service/http/wsclient.h"

#include <algorithm>

namespace Kiln::Etl {

WsBodySource::WsBodySource(Http::WsClient *socket, std::function<void(qint64, bool)> done,
                           QObject *parent)
    : Http::BodySource(parent)
    , m_socket(socket)
    , m_done(std::move(done))
{ }

WsBodySource::~WsBodySource()
{
    report(m_error.isEmpty() && atEnd());
    if (m_socket)
        m_socket->setReadPaused(false);
}

void WsBodySource::append(const QByteArray &chunk)
{
    if (!m_error.isEmpty() || chunk.isEmpty())
        return;
    m_chunks.append(chunk);
    m_buffered += chunk.size();
    if (m_buffered >= MaxBuffered && m_socket)
        m_socket->setReadPaused(true);
    Q_EMIT readyRead();
}

void WsBodySource::end()
{
    m_ended = true;
    if (m_socket)
        m_socket->setReadPaused(false);
    m_socket = nullptr; // the connection carries the next object from here
    Q_EMIT readyRead();
}

void WsBodySource::fail(const QString &why)
{
    if (!m_error.isEmpty() || (m_ended && m_buffered == 0 && m_reported))
        return;
    m_error = why;
    m_chunks.clear();
    m_buffered = 0;
    m_socket = nullptr;
    report(false);
    Q_EMIT failed();
}

QByteArray WsBodySource::read(qint64 maxBytes)
{
    if (!m_error.isEmpty())
        return {};
    QByteArray out;
    while (!m_chunks.isEmpty() && out.size() < maxBytes) {
        QByteArray &front = m_chunks.first();
        const qint64 take = std::min<qint64>(maxBytes - out.size(), front.size());
        if (take == front.size() && out.isEmpty()) {
            out = std::move(front);
            m_chunks.removeFirst();
        } else {
            out += front.left(take);
            front.remove(0, take);
            if (front.isEmpty())
                m_chunks.removeFirst();
        }
    }
    m_buffered -= out.size();
    m_sent += out.size();
    if (m_socket && m_buffered < MaxBuffered / 2)
        m_socket->setReadPaused(false);
    if (atEnd())
        report(true);
    return out;
}

bool WsBodySource::atEnd() const
{
    return !m_error.isEmpty() || (m_ended && m_buffered == 0);
}

void WsBodySource::report(bool ok)
{
    if (std::exchange(m_reported, true))
        return;
    if (m_done)
        m_done(m_sent, ok);
}

} // namespace Kiln::Etl
