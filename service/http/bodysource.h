#pragma once

#include <QByteArray>
#include <QFile>
#include <QObject>
#include <QString>

#include <memory>

namespace Kiln::Http {

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

Q_SIGNALS:
    void readyRead();
    void failed();
};

// Streams a byte range of an open file.
class FileBodySource final : public BodySource
{
    Q_OBJECT
public:
    FileBodySource(std::unique_ptr<QFile> file, qint64 offset, qint64 length,
                   QObject *parent = nullptr);

    qint64 size() const override { return m_length; }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override { return m_remaining == 0 || !m_error.isEmpty(); }
    QString errorString() const override { return m_error; }

private:
    std::unique_ptr<QFile> m_file;
    qint64 m_length;
    qint64 m_remaining; // bytes still to send
    QString m_error;
};

} // namespace Kiln::Http
