// Connection, the part that sends a streamed response body (BodySource): a file's bytes by
// sendfile on plain TCP, anything else read piece by piece while the socket has room.
#include "service/http/connection.h"

#include "service/http/bodysource.h"
#include "service/http/filesender.h"
#include "shared/core/logging.h"

#include <QScopedValueRollback>
#include <QTcpSocket>

namespace Kiln::Http {

void Connection::pumpSource()
{
    if (m_closed || !m_source || m_pumping)
        return;
    // flush() below may emit bytesWritten, whose handler comes back here.
    const QScopedValueRollback pumping(m_pumping, true);
    if (m_zeroCopy && !m_chunkedOut && m_source->fileSpan().fd >= 0)
        pumpFile();
    else
        pumpCopies();
}

void Connection::pumpFile()
{
    // Qt's buffer (the head, or a parked piece) goes first, without blocking; what it cannot
    // write now comes back through bytesWritten.
    if (m_socket->bytesToWrite() > 0) {
        m_socket->flush();
        if (m_closed || !m_source || m_socket->bytesToWrite() > 0)
            return;
    }
    QString error;
    switch (FileSender::pump(m_socket->socketDescriptor(), *m_source, HighWater, &m_bytesOut,
                             &error)) {
    case FileSender::Outcome::Done:
        return endSource(true);
    case FileSender::Outcome::Budget:
        QMetaObject::invokeMethod(this, &Connection::pumpSource, Qt::QueuedConnection);
        return;
    case FileSender::Outcome::Full: {
        // The socket is full. A small piece through Qt's buffer arms its write notifier, whose
        // bytesWritten brings us back when there is room: the event loop never waits.
        const QByteArray piece = m_source->read(ParkBytes);
        if (!m_source->errorString().isEmpty())
            return failSource(m_source->errorString());
        m_bytesOut += piece.size();
        m_socket->write(piece);
        if (m_source->atEnd())
            endSource();
        return;
    }
    case FileSender::Outcome::Closed:
    case FileSender::Outcome::Failed:
        return failSource(error);
    }
}

void Connection::pumpCopies()
{
    while (m_socket->bytesToWrite() < HighWater) {
        QByteArray chunk = m_source->read(ChunkSize);
        if (!m_source->errorString().isEmpty())
            return failSource(m_source->errorString());
        if (chunk.isEmpty()) {
            if (m_source->atEnd())
                endSource();
            return; // else wait for readyRead
        }
        m_bytesOut += chunk.size();
        if (m_chunkedOut) {
            m_socket->write(QByteArray::number(chunk.size(), 16) + "\r\n");
            m_socket->write(chunk);
            m_socket->write("\r\n");
        } else {
            FileSender::write(m_socket, chunk.constData(), chunk.size());
        }
    }
}

void Connection::endSource(bool fileSent)
{
    if (m_chunkedOut)
        m_socket->write("0\r\n\r\n");
    // A file sent whole by sendfile is done with at once: its file closes now, and no event is
    // posted per answer. Any other source may be on the stack (emitting the signal that brought
    // us here, or owning the code that handed it over) and goes from the event loop.
    if (fileSent)
        m_source.reset();
    else
        m_source.release()->deleteLater();
    finishResponse();
}

void Connection::failSource(const QString &error)
{
    // The status line is gone already: cutting the connection is the only honest signal.
    Log::http().error("response body for {} failed: {}", m_request->target, error);
    m_socket->abort();
    closeConnection();
}

} // namespace Kiln::Http
