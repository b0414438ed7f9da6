#include "tests/unit/service/http/rawhttpclient.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace Kiln::Http::Tests {

QByteArray RawResponse::header(const QByteArray &lowerName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerName)
            return value;
    }
    return {};
}

bool RawResponse::closesConnection() const
{
    return header("connection").toLower() == "close";
}

RawHttpClient::RawHttpClient(quint16 port, int timeoutMs)
{
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        return;
    }
    timeval timeout{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr) != 0) {
        m_error = QString::fromLocal8Bit(strerror(errno));
        ::close(m_fd);
        m_fd = -1;
    }
}

RawHttpClient::~RawHttpClient()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

bool RawHttpClient::send(const QByteArray &bytes)
{
    qsizetype done = 0;
    while (m_fd >= 0 && done < bytes.size()) {
        const ssize_t n
            = ::send(m_fd, bytes.constData() + done, size_t(bytes.size() - done), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            m_error = QString::fromLocal8Bit(strerror(errno));
            return false;
        }
        done += n;
    }
    return m_fd >= 0;
}

bool RawHttpClient::fill()
{
    if (m_fd < 0)
        return false;
    if (m_offset > 0 && m_offset == m_buffer.size()) {
        m_buffer.clear();
        m_offset = 0;
    }
    char chunk[256 * 1024];
    for (;;) {
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            m_error = errno == EAGAIN ? QStringLiteral("timed out")
                                      : QString::fromLocal8Bit(strerror(errno));
            return false;
        }
        if (n == 0) {
            m_error = QStringLiteral("connection closed by the server");
            return false;
        }
        m_buffer.append(chunk, n);
        return true;
    }
}

bool RawHttpClient::fillTo(qsizetype size)
{
    while (m_buffer.size() - m_offset < size) {
        if (!fill())
            return false;
    }
    return true;
}

qsizetype RawHttpClient::lineEnd(qsizetype from)
{
    for (;;) {
        const qsizetype at = m_buffer.indexOf("\r\n", m_offset + from);
        if (at >= 0)
            return at - m_offset;
        if (!fill())
            return -1;
    }
}

QByteArray RawHttpClient::takeFront(qsizetype size)
{
    QByteArray front = m_buffer.mid(m_offset, size);
    m_offset += size;
    if (m_offset > 8 * 1024 * 1024 || m_offset == m_buffer.size()) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    return front;
}

std::optional<RawResponse> RawHttpClient::readResponse(bool headOnly)
{
    // The head ends with an empty line.
    qsizetype headEnd = -1;
    for (;;) {
        headEnd = m_buffer.indexOf("\r\n\r\n", m_offset);
        if (headEnd >= 0)
            break;
        if (!fill())
            return std::nullopt;
    }
    const QByteArray head = takeFront(headEnd - m_offset + 4);
    const QList<QByteArray> lines = head.left(head.size() - 4).split('\n');
    RawResponse response;
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    if (statusLine.size() < 2 || !statusLine[0].startsWith("HTTP/1.")) {
        m_error = QStringLiteral("bad status line: %1").arg(QString::fromLatin1(lines.first()));
        return std::nullopt;
    }
    response.status = statusLine[1].toInt();
    response.reason = lines.first().trimmed().mid(statusLine[0].size() + statusLine[1].size() + 2);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            response.headers.append({line.left(colon).toLower(), line.mid(colon + 1).trimmed()});
    }
    if (headOnly || (response.status >= 100 && response.status < 200) || response.status == 204
        || response.status == 304)
        return response;

    if (response.header("transfer-encoding").toLower() == "chunked") {
        response.chunked = true;
        for (;;) {
            const qsizetype end = lineEnd(0);
            if (end < 0)
                return std::nullopt;
            const QByteArray sizeLine = takeFront(end + 2).trimmed();
            bool ok = false;
            const qsizetype size = sizeLine.split(';').first().toLongLong(&ok, 16);
            if (!ok) {
                m_error = QStringLiteral("bad chunk size line");
                return std::nullopt;
            }
            if (size == 0) {
                // Trailers, if any, end with an empty line.
                for (;;) {
                    const qsizetype trailerEnd = lineEnd(0);
                    if (trailerEnd < 0)
                        return std::nullopt;
                    takeFront(trailerEnd + 2);
                    if (trailerEnd == 0)
                        return response;
                }
            }
            if (!fillTo(size + 2))
                return std::nullopt;
            response.body += takeFront(size);
            if (takeFront(2) != "\r\n") {
                m_error = QStringLiteral("chunk not followed by CRLF");
                return std::nullopt;
            }
        }
    }
    const QByteArray length = response.header("content-length");
    if (!length.isEmpty()) {
        const qsizetype size = length.toLongLong();
        if (!fillTo(size))
            return std::nullopt;
        response.body = takeFront(size);
        return response;
    }
    // No length: the body runs to the end of the connection.
    while (fill()) { }
    response.body = takeFront(m_buffer.size() - m_offset);
    return response;
}

QByteArray RawHttpClient::readSome(qsizetype max)
{
    if (m_buffer.size() == m_offset && !fill())
        return {};
    return takeFront(std::min(max, m_buffer.size() - m_offset));
}

bool RawHttpClient::waitForClose()
{
    while (fill()) {
        m_buffer.clear();
        m_offset = 0;
    }
    return m_error != QStringLiteral("timed out");
}

void RawHttpClient::abort()
{
    if (m_fd < 0)
        return;
    const linger reset{1, 0};
    ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::close(m_fd);
    m_fd = -1;
}

} // namespace Kiln::Http::Tests
