#include "service/http/bodysource.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace Kiln::Http {

FileBodySource::FileBodySource(OwnedFd fd, qint64 offset, qint64 length, QObject *parent)
    : BodySource(parent)
    , m_fd(std::move(fd))
    , m_length(length)
    , m_position(offset)
    , m_remaining(length)
{
    if (!m_fd.valid())
        m_error = QStringLiteral("no file descriptor");
}

QByteArray FileBodySource::read(qint64 maxBytes)
{
    if (atEnd())
        return {};
    QByteArray chunk(qsizetype(std::min(maxBytes, m_remaining)), Qt::Uninitialized);
    ssize_t n = -1;
    do {
        n = ::pread(m_fd.get(), chunk.data(), size_t(chunk.size()), off_t(m_position));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        // The file shrank under us (deleted and truncated objects are replaced by rename, so this
        // means the disk failed): stop rather than send fewer bytes than announced.
        m_error = QStringLiteral("read failed: %1")
                      .arg(n < 0 ? QString::fromLocal8Bit(std::strerror(errno))
                                 : QStringLiteral("the file ended early"));
        return {};
    }
    chunk.truncate(qsizetype(n));
    m_position += n;
    m_remaining -= n;
    return chunk;
}

FileSpan FileBodySource::fileSpan() const
{
    if (!m_error.isEmpty())
        return {};
    return {m_fd.get(), m_position, m_remaining};
}

void FileBodySource::skip(qint64 bytes)
{
    bytes = std::min(bytes, m_remaining);
    m_position += bytes;
    m_remaining -= bytes;
}

} // namespace Kiln::Http
