// ClientConnection, the part that sends a request: its head, then its body from memory, from a
// device read piece by piece, or from a regular file by sendfile (FileSender), with at most
// WriteHighWater bytes waiting in the socket's buffer.
#include "service/http/filesender.h"
#include "service/http/httpclient_p.h"

#include <QFile>
#include <QScopedValueRollback>

namespace Kiln::Http {
namespace {

constexpr qint64 WriteChunk = 256 * 1024;
constexpr qint64 WriteHighWater = 1024 * 1024; // queued in the socket before the body waits
constexpr qint64 OneCopyBody = 64 * 1024; // in-memory bodies up to this are joined to the head
constexpr qint64 ParkBytes = 16 * 1024; // through Qt's buffer when sendfile finds the socket full

} // namespace

void ClientConnection::sendHead()
{
    ClientRequest &r = m_call->m_request;
    QByteArray target = r.url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (r.url.hasQuery())
        target += '?' + r.url.query(QUrl::FullyEncoded).toLatin1();
    const bool device = r.bodyDevice != nullptr;
    const qint64 size = device ? r.bodySize : r.body.size();
    QByteArray head;
    head.reserve(256 + target.size());
    head += r.method + ' ' + target + " HTTP/1.1\r\nHost: " + m_host.toLatin1() + ':'
        + QByteArray::number(m_port) + "\r\n";
    for (const auto &[name, value] : r.headers)
        head += name + ": " + value + "\r\n";
    if (size > 0 || r.method == "PUT" || r.method == "POST")
        head += "Content-Length: " + QByteArray::number(size) + "\r\n";
    head += "\r\n";
    m_bodyFd = -1;
    m_uploadBroken = false;
    if (device) {
        if (m_call->m_attempts > 1 && !r.bodyDevice->isSequential())
            r.bodyDevice->seek(0);
        const auto *file = qobject_cast<const QFile *>(r.bodyDevice.get());
        if (file && file->handle() >= 0 && size > OneCopyBody && FileSender::usable(m_socket)) {
            // The head goes corked (MSG_MORE) and the file follows by sendfile (pumpBodyFile).
            m_bodyFd = file->handle();
            m_bodyOffset = file->pos();
            m_bodyLeft = size;
            FileSender::write(m_socket, head.constData(), head.size(), true);
            m_requestDone = false;
            return pumpBody();
        }
        const QByteArray first = r.bodyDevice->read(std::min(size, WriteChunk));
        m_bodyLeft = size - first.size();
        head += first;
    } else if (size <= OneCopyBody) {
        head += r.body;
        m_bodyLeft = 0;
    } else {
        // Larger bodies are not copied behind the head: with TCP_NODELAY the head goes at once
        // and the body follows without waiting for an ACK.
        FileSender::write(m_socket, head.constData(), head.size(), true);
        head = r.body;
        m_bodyLeft = 0;
    }
    FileSender::write(m_socket, head.constData(), head.size());
    m_requestDone = m_bodyLeft <= 0;
    if (!m_requestDone)
        pumpBody();
}

void ClientConnection::pumpBody()
{
    if (!m_call || m_requestDone || m_closed)
        return;
    if (m_bodyFd >= 0)
        return pumpBodyFile();
    QIODevice *device = m_call->m_request.bodyDevice.get();
    while (m_bodyLeft > 0 && m_socket->bytesToWrite() < WriteHighWater) {
        const QByteArray chunk = device->read(std::min(m_bodyLeft, WriteChunk));
        if (chunk.isEmpty()) {
            fail(QStringLiteral("the request body ended %1 bytes early").arg(m_bodyLeft));
            return;
        }
        m_bodyLeft -= chunk.size();
        FileSender::write(m_socket, chunk.constData(), chunk.size());
    }
    if (m_bodyLeft <= 0)
        bodySent();
}

void ClientConnection::bodySent()
{
    m_requestDone = true;
    if (m_messageComplete)
        complete(); // the answer came in before the upload ended
}

void ClientConnection::pumpBodyFile()
{
    if (m_pumpingFile || m_uploadBroken)
        return;
    const QScopedValueRollback pumping(m_pumpingFile, true);
    // Qt's buffer (the head, or a parked piece) drains first; bytesWritten brings us back.
    if (m_socket->bytesToWrite() > 0) {
        m_socket->flush();
        if (!m_call || m_closed || m_requestDone || m_socket->bytesToWrite() > 0)
            return;
    }
    QString error;
    switch (FileSender::pumpRange(m_socket->socketDescriptor(), m_bodyFd, &m_bodyOffset,
                                  &m_bodyLeft, WriteHighWater, &error)) {
    case FileSender::Outcome::Done:
        return bodySent();
    case FileSender::Outcome::Budget: // other connections get a turn
        QMetaObject::invokeMethod(this, &ClientConnection::pumpBody, Qt::QueuedConnection);
        return;
    case FileSender::Outcome::Full: {
        // A small piece through Qt's buffer arms its write notifier (bytesWritten: room again).
        QIODevice *device = m_call->m_request.bodyDevice.get();
        device->seek(m_bodyOffset);
        const QByteArray piece = device->read(std::min(m_bodyLeft, ParkBytes));
        if (piece.isEmpty())
            return fail(QStringLiteral("the request body ended %1 bytes early").arg(m_bodyLeft));
        m_bodyOffset += piece.size();
        m_bodyLeft -= piece.size();
        m_socket->write(piece);
        if (m_bodyLeft == 0)
            bodySent();
        return;
    }
    case FileSender::Outcome::Closed:
        // The server hung up, maybe after answering without reading the body (a 501 to a PUT).
        // Nothing more is sent; the socket's own read notifier delivers that answer, or the end
        // of the connection (onClosed: a reused connection is tried again), in that order.
        m_uploadBroken = true;
        return;
    case FileSender::Outcome::Failed:
        return fail(QStringLiteral("sending the request body: %1").arg(error));
    }
}

} // namespace Kiln::Http
