#pragma once

#include "shared/core/ownedfd.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <memory>

namespace Kiln::Http {

// Bytes of a body that lie as they are in an open file: the connection may send them by
// sendfile(2) without reading them. fd -1: the body has to be read (produced or transformed).
struct FileSpan
{
    int fd = -1;
    qint64 offset = 0; // of the next unsent byte in the file
    qint64 length = 0; // unsent bytes
};

// A response body produced piece by piece. The connection pulls from it only while the socket
// has room, so memory stays bounded whatever the body's size. Lives on the connection's thread.
class BodySource : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~BodySource() override = default;

    // Total size when known (sent as Content-Length), -1 otherwise (sent chunked).
    virtual qint64 size() const = 0;
    // Up to maxBytes; empty when nothing is ready now (wait for readyRead) or at the end.
    virtual QByteArray read(qint64 maxBytes) = 0;
    virtual bool atEnd() const = 0;
    // Non-empty once the source failed; the connection then cuts the response short.
    virtual QString errorString() const { return {}; }
    // The unsent rest as a file range, when it is one (see FileSpan).
    virtual FileSpan fileSpan() const { return {}; }
    // The connection sent this many bytes of fileSpan() itself; read() goes on after them.
    virtual void skip(qint64 bytes) { Q_UNUSED(bytes); }

Q_SIGNALS:
    void readyRead();
    void failed();
};

// Streams a byte range of an open file, by read() (pread, at its own position) or as a FileSpan
// (sendfile).
class FileBodySource final : public BodySource
{
    Q_OBJECT
public:
    // It closes the descriptor. A bare one, not a QFile: QFile::open of a descriptor costs an
    // fstat and an lseek, and a QFile per GET to build and destroy.
    FileBodySource(OwnedFd fd, qint64 offset, qint64 length, QObject *parent = nullptr);

    qint64 size() const override { return m_length; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override { return m_remaining == 0 || !m_error.isEmpty(); }
    QString errorString() const override { return m_error; }
    FileSpan fileSpan() const override;
    void skip(qint64 bytes) override;

private:
    OwnedFd m_fd;
    qint64 m_length;
    qint64 m_position; // in the file, of the next byte to send
    qint64 m_remaining; // bytes still to send
    QString m_error;
};

} // namespace Kiln::Http
