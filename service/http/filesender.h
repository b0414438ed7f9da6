#pragma once

#include <QByteArray>
#include <QString>
#include <QtGlobal>

class QTcpSocket;

namespace Kiln::Http {

class BodySource;

// Zero-copy response bodies: sendfile(2) from an object's file to a plain TCP socket, so the
// bytes go from the page cache to the socket without passing through user space. Only the
// connection's socket descriptor is used, in the non-blocking mode Qt keeps it in; the caller
// flushes Qt's own write buffer first so the bytes keep their order on the wire.
class FileSender
{
public:
    enum class Outcome
    {
        Done, // the whole span went out
        Full, // the socket takes no more now
        Budget, // `budget` bytes went out; more remain (let other connections have a turn)
        Closed, // the peer is gone (EPIPE, ECONNRESET): the socket will report it too
        Failed, // the file or the socket failed (see error)
    };

    // A socket the kernel can sendfile to: not TLS, and not switched off by KILN_SENDFILE=0
    // (for A/B measurements).
    static bool usable(const QTcpSocket *socket);

    // Sends what it can of the bytes now, flagged MSG_MORE when `more` (a body follows at once);
    // returns the bytes sent (0 when the socket takes none now or failed: the caller writes the
    // rest).
    static qint64 sendNow(qintptr socket, const char *data, qint64 size, bool more);
    // Writes bytes in order behind what the socket's own buffer holds: straight to the kernel
    // when that buffer is empty (no copy into it, no wait for the event loop), the rest (what the
    // socket takes not now) through the buffer, whose write notifier then drains it.
    // `more` corks what goes out now (MSG_MORE), so a head shares a segment with the body that
    // follows it. KILN_DIRECT_WRITE=0 sends everything through the buffer, uncorked (for A/B
    // measurements).
    static void write(QTcpSocket *socket, const char *data, qint64 size, bool more = false);

    // Sends source's FileSpan to the socket descriptor until one of the outcomes; tells the
    // source (skip) and adds to *sent what went out.
    static Outcome pump(qintptr socket, BodySource &source, qint64 budget, qint64 *sent,
                        QString *error);
    // Sends *left bytes of file fd from *offset, moving both on, until one of the outcomes.
    static Outcome pumpRange(qintptr socket, int fd, qint64 *offset, qint64 *left, qint64 budget,
                             QString *error);

private:
    // A socket whose descriptor bytes may go to directly: open, and not TLS.
    static bool plainSocket(const QTcpSocket *socket);
};

} // namespace Kiln::Http
