#include "service/http/filesender.h"

#include "service/http/bodysource.h"

#include <QSslSocket>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sys/sendfile.h>
#include <sys/socket.h>

namespace Kiln::Http {

namespace {

// sendfile(2) has no MSG_NOSIGNAL: to a peer that reset the connection it raises SIGPIPE, whose
// default action ends the process. Ignored once (kilnd's main does too), unless the program set
// a handler of its own; the call then fails with EPIPE, which pumpRange reports.
bool ignoreSigpipe()
{
    struct sigaction current = {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
        ::signal(SIGPIPE, SIG_IGN);
    return true;
}

} // namespace

bool FileSender::usable(const QTcpSocket *socket)
{
    static const bool enabled = qEnvironmentVariable("KILN_SENDFILE") != QLatin1String("0")
        && ignoreSigpipe();
    return enabled && plainSocket(socket);
}

bool FileSender::plainSocket(const QTcpSocket *socket)
{
    return socket->socketDescriptor() >= 0 && !qobject_cast<const QSslSocket *>(socket);
}

qint64 FileSender::sendNow(qintptr socket, const char *data, qint64 size, bool more)
{
    const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
    for (;;) {
        const ssize_t n = ::send(int(socket), data, size_t(size), flags);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return 0; // Qt's buffer takes it; a broken socket is reported from there
    }
}

void FileSender::write(QTcpSocket *socket, const char *data, qint64 size, bool more)
{
    static const bool enabled = qEnvironmentVariable("KILN_DIRECT_WRITE") != QLatin1String("0");
    qint64 sent = 0;
    if (enabled && size > 0 && socket->bytesToWrite() == 0 && plainSocket(socket))
        sent = sendNow(socket->socketDescriptor(), data, size, more);
    if (sent < size)
        socket->write(data + sent, size - sent);
}

FileSender::Outcome FileSender::pump(qintptr socket, BodySource &source, qint64 budget,
                                     qint64 *sent, QString *error)
{
    const FileSpan span = source.fileSpan();
    if (span.length == 0)
        return Outcome::Done;
    qint64 offset = span.offset, left = span.length;
    const Outcome outcome = pumpRange(socket, span.fd, &offset, &left, budget, error);
    source.skip(span.length - left);
    *sent += span.length - left;
    return outcome;
}

FileSender::Outcome FileSender::pumpRange(qintptr socket, int fd, qint64 *offset, qint64 *left,
                                          qint64 budget, QString *error)
{
    qint64 done = 0;
    for (;;) {
        if (*left == 0)
            return Outcome::Done;
        if (done >= budget)
            return Outcome::Budget;
        off_t position = off_t(*offset);
        const ssize_t n
            = ::sendfile(int(socket), fd, &position, size_t(std::min(*left, budget - done)));
        if (n > 0) {
            *offset += n;
            *left -= n;
            done += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return Outcome::Full;
        // 0: the file ended before the announced length (it shrank: the disk failed).
        *error = n == 0 ? QStringLiteral("the file ended %1 bytes early").arg(*left)
                        : QStringLiteral("sendfile failed: %1").arg(QString::fromLocal8Bit(
                              std::strerror(errno)));
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN))
            return Outcome::Closed;
        return Outcome::Failed;
    }
}

} // namespace Kiln::Http
