#pragma once

#include "service/http/bodysource.h"
#include "shared/core/result.h"

#include <QFuture>

#include <memory>

namespace Kiln::Target {

// An archive read of AIS's GET: one member (?archpath=) or every member that matches
// (?archregx= with ?archmode=regexp|prefix|suffix|substr|wdskey, answered as a TAR).
struct ArchiveRead
{
    QString archpath; // one member; empty: a match
    QString regex;
    QString mode; // empty: no archive read
    QString mime; // ?archmime=, or empty: from the object's name, then its first bytes
    bool isArchiveRead() const { return !archpath.isEmpty() || !mode.isEmpty(); }
    QString describe() const; // AIS's "(archpath=...)" / "(archregx=..., archmode=...)"
};

// The state of one archive read: libarchive's reader positioned at a member, and for a
// multi-match the TAR being written. Made and first moved on the I/O pool, then read by one
// ArchiveSource on the target's main thread.
class ArchiveCursor;

// Reads .tar, .tgz/.tar.gz, .zip and .tar.lz4 shards with Debian's libarchive. open() finds the
// member (or the first match) on the I/O pool, so a miss is a clean 404 before any byte is
// sent; the bytes are then pulled chunk by chunk as the client takes them.
class ArchiveSource final : public Http::BodySource
{
    Q_OBJECT
public:
    // Validates the query the way AIS's target does (400 for a bad mode, or both forms at once).
    static Result<ArchiveRead> parse(const QString &archpath, const QString &regex,
                                     const QString &mode, const QString &mime);
    // objectName picks the format by extension, as AIS does. NotFound when nothing matches.
    static QFuture<Result<std::shared_ptr<ArchiveCursor>>> open(const ArchiveRead &read,
                                                                const QString &path,
                                                                const QString &objectName,
                                                                QThreadPool *pool);

    explicit ArchiveSource(std::shared_ptr<ArchiveCursor> cursor, QObject *parent = nullptr);
    ~ArchiveSource() override;

    qint64 size() const override;
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override;
    QString errorString() const override;
    bool isTar() const; // a multi-match answer

private:
    std::shared_ptr<ArchiveCursor> m_cursor;
};

} // namespace Kiln::Target
