#include "service/http/responsehead.h"

#include "service/http/errors.h"

#include <QDateTime>
#include <QLocale>

namespace Kiln::Http {

// The Date header changes once a second: formatted then, not per answer.
const QByteArray &httpDate()
{
    thread_local qint64 second = -1;
    thread_local QByteArray text;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (now != second) {
        second = now;
        text = QLocale::c()
                   .toString(QDateTime::fromSecsSinceEpoch(now, Qt::UTC),
                             QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"))
                   .toLatin1();
    }
    return text;
}

QByteArray responseHead(int status, const Headers &headers, qint64 length, bool chunked,
                        bool close)
{
    QByteArray head;
    head.reserve(512);
    head.append("HTTP/1.1 ").append(QByteArray::number(status)).append(' ');
    head.append(reasonPhrase(status)).append("\r\nDate: ").append(httpDate());
    head.append("\r\nServer: kilnd\r\n");
    bool hasType = false;
    bool hasLength = false; // a HEAD answer states the object's length itself
    for (const auto &[name, value] : headers) {
        head.append(name).append(": ").append(value).append("\r\n");
        hasType = hasType || name.compare("content-type", Qt::CaseInsensitive) == 0;
        hasLength = hasLength || name.compare("content-length", Qt::CaseInsensitive) == 0;
    }
    if (!hasType && length != 0)
        head.append("Content-Type: application/octet-stream\r\n");
    if (chunked)
        head.append("Transfer-Encoding: chunked\r\n");
    else if (!hasLength)
        head.append("Content-Length: ").append(QByteArray::number(length)).append("\r\n");
    head.append(close ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n");
    return head;
}

} // namespace Kiln::Http
