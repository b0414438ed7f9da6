#pragma once

#include "service/target/checksummer.h"
#include "service/target/objectinfo.h"
#include "shared/core/result.h"

#include <QFuture>
#include <QString>

#include <memory>

class QMutex;

namespace Kiln::Target {

class ObjectStore;

// The error tcode of a commit that kept a newer copy (see ObjectWriter::keepSource).
inline constexpr char NewerCopyTcode[] = "KilnNewerCopy";

// Receives one object's bytes into a temporary file on the object's mountpath, checksumming
// (with the bucket's checksum type) as it goes; commit() fsyncs and renames it over the final
// name on the store's I/O pool, so readers see the old version or the new one, never a mix. A
// writer destroyed before commit removes its temporary file: a failed or aborted PUT leaves
// nothing behind. An append session keeps one writer across several requests.
class ObjectWriter final
{
public:
    ObjectWriter(const ObjectWriter &) = delete;
    ObjectWriter &operator=(const ObjectWriter &) = delete;
    ~ObjectWriter();

    Result<void> write(const char *data, qsizetype size);
    qint64 bytesWritten() const { return m_written; }
    const QString &bucket() const { return m_target.bucket; }
    const QString &name() const { return m_target.name; }
    // The checksum of what was written so far, with the bucket's type.
    QString checksumType() const { return m_checksum.type(); }
    QString digest() const { return m_checksum.digest(); }
    // Custom metadata the committed object carries (a copy keeps its source's).
    void setCustom(const CustomMd &custom) { m_target.custom = custom; }
    // A copy that moves with rebalance keeps its source's version, and never replaces a copy
    // here that was written after the source was (a client's PUT to the new owner wins).
    void keepSource(const QString &version, qint64 sourceMtimeNs)
    {
        m_keepVersion = version;
        m_sourceMtimeNs = sourceMtimeNs;
    }
    // Append sessions write by position (several requests, and the object's old bytes copied in
    // on the I/O pool at the same time) and checksum the whole file once, at the flush.
    Result<void> writeAt(qint64 offset, const char *data, qsizetype size);
    // Copies `length` bytes of the file at path to the start of this one. Blocking.
    Result<void> fillFrom(const QString &path, qint64 length);
    // Recomputes the checksum over the temporary file. Blocking.
    Result<QString> rehash();

    // Consumes the writer's file. The future completes on the I/O pool.
    QFuture<Result<ObjectInfo>> commit();
    // The same, blocking: for work already running on the I/O pool.
    Result<ObjectInfo> commitNow();
    void abort();

private:
    friend class ObjectStore;
    ObjectWriter(ObjectStore *store, ObjectInfo target, QString tempPath, int fd,
                 Checksummer checksum, bool versioning);

    ObjectStore *m_store;
    ObjectInfo m_target; // bucket, name, path, mountpath of the final object
    QString m_tempPath;
    int m_fd;
    qint64 m_written = 0;
    Checksummer m_checksum;
    bool m_versioning;
    QString m_keepVersion; // see keepSource()
    qint64 m_sourceMtimeNs = 0;
};

// Striped locks, one of 256 per object path, shared by every writer of this process: commits
// and metadata updates of one object run one at a time (AIS takes the object's write lock).
QMutex &objectLock(const QByteArray &path);

} // namespace Kiln::Target
