#include "service/http/filesender.h"

#include "service/http/bodysource.h"

#include <QSslSocket>

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace Kiln::Http {

bool FileSender::usable(const QTcpSocket *socket)
{
    static const bool enabled = qEnvironmentVariable("KILN_SENDFILE") != QLatin1String("0");
    return enabled && !qobject_cast<const QSslSocket *>(socket) && socket->socketDescriptor() >= 0;
}

qint64 FileSender::sendHead(qintptr socket, const QByteArray &head)
{
    for (;;) {
        const ssize_t n = ::send(int(socket), head.constData(), size_t(head.size()),
                                 MSG_MORE | MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return 0; // Qt's buffer takes it; a broken socket is reported from there
    }
}

FileSender::Outcome FileSender::pump(qintptr socket, BodySource &source, qint64 budget,
                                     qint64 *sent, QString *error)
{
    qint64 done = 0;
    for (;;) {
        const FileSpan span = source.fileSpan();
        if (span.length == 0)
            return Outcome::Done;
        if (done >= budget)
            return Outcome::Budget;
        off_t offset = off_t(span.offset);
        const ssize_t n = ::sendfile(int(socket), span.fd, &offset,
                                     size_t(std::min(span.length, budget - done)));
        if (n > 0) {
            source.skip(n);
            done += n;
            *sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return Outcome::Full;
        // 0: the file ended before the announced length (it shrank: the disk failed).
        *error = n == 0 ? QStringLiteral("the file ended %1 bytes early").arg(span.length)
                        : QStringLiteral("sendfile failed: %1").arg(QString::fromLocal8Bit(
                              std::strerror(errno)));
        return Outcome::Failed;
    }
}

} // namespace Kiln::Http
