#include "service/http/bodysource.h"

namespace Kiln::Http {

FileBodySource::FileBodySource(std::unique_ptr<QFile> file, qint64 offset, qint64 length,
                               QObject *parent)
    : BodySource(parent)
    , m_file(std::move(file))
    , m_length(length)
    , m_position(offset)
    , m_remaining(length)
{
    // A freshly opened file is at 0 already: no lseek for a whole-object GET.
    if (offset != m_file->pos() && !m_file->seek(offset))
        m_error = QStringLiteral("seek failed: %1").arg(m_file->errorString());
}

QByteArray FileBodySource::read(qint64 maxBytes)
{
    if (atEnd())
        return {};
    // Bytes sent by sendfile (skip()) moved our position, not the file's.
    if (m_file->pos() != m_position && !m_file->seek(m_position)) {
        m_error = QStringLiteral("seek failed: %1").arg(m_file->errorString());
        return {};
    }
    QByteArray chunk = m_file->read(std::min(maxBytes, m_remaining));
    if (chunk.isEmpty()) {
        // The file shrank under us (deleted and truncated objects are replaced by rename, so this
        // means the disk failed): stop rather than send fewer bytes than announced.
        m_error = QStringLiteral("read failed: %1").arg(m_file->errorString());
        return {};
    }
    m_position += chunk.size();
    m_remaining -= chunk.size();
    return chunk;
}

FileSpan FileBodySource::fileSpan() const
{
    if (!m_error.isEmpty())
        return {};
    return {m_file->handle(), m_position, m_remaining};
}

void FileBodySource::skip(qint64 bytes)
{
    bytes = std::min(bytes, m_remaining);
    m_position += bytes;
    m_remaining -= bytes;
}

} // namespace Kiln::Http
