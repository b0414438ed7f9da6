#pragma once

#include "service/target/metacache.h"
#include "service/target/objectinfo.h"
#include "service/target/writegate.h"
#include "shared/api/lso.h"
#include "shared/core/ownedfd.h"
#include "shared/core/result.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QReadWriteLock>
#include <QStringList>
#include <QThreadPool>

#include <memory>

class QFile;

namespace Kiln::Mirror {
class Replicas;
}

namespace Kiln::Target {

class ObjectWriter;

// One bucket's share on this target (AIS's bucket summary, per target).
struct BucketUsage
{
    QString bucket;
    qint64 objects = 0;
    qint64 bytes = 0; // sum of object sizes
    qint64 minSize = -1; // -1: no objects
    qint64 maxSize = 0;
    qint64 onDisk = 0; // allocated blocks
};

// A target's objects on its mountpaths. Layout per mountpath:
//   <mp>/buckets/<bucket>/<object name as a relative path>   the objects
//   <mp>/tmp/                                                 writes in flight (same filesystem)
//   <mp>/trash/                                               destroyed buckets being removed
// Object metadata (checksum, version) lives in the file's extended attributes, written before
// the atomic rename. Cheap calls run on the caller's thread; fsync, rename, listing and bucket
// removal run on the store's own I/O pool and return futures.
class ObjectStore final : public QObject
{
    Q_OBJECT
public:
    explicit ObjectStore(const QStringList &mountpaths, QObject *parent = nullptr);
    ~ObjectStore() override;

    // Creates the layout and removes what a crash left in tmp/ and trash/.
    Result<void> open();
    const QStringList &mountpaths() const { return m_mountpaths; }
    QThreadPool *ioPool() { return &m_pool; }
    // The objects' copies on the other mountpaths (mirror.copies).
    Mirror::Replicas &replicas() const { return *m_replicas; }

    Result<void> createBucket(const QString &bucket);
    // Moves the bucket's folders to trash/ at once and deletes them in the background.
    Result<void> destroyBucket(const QString &bucket);
    QStringList localBuckets() const;

    // Metadata from the file's extended attributes, read once per version of the file (MetaCache).
    Result<ObjectInfo> stat(const QString &bucket, const QString &name) const;
    // Drops what stat() keeps of the file at path (it is being replaced or removed).
    void forgetMeta(const QString &path) const;
    // The file stat() found, opened read-only.
    Result<OwnedFd> openForRead(const ObjectInfo &info) const;
    // The object's file at its own mountpath, opened, with what stat() gives of it, in one path
    // walk (open, then fstat of the descriptor): a plain read's way (WorkerReads). No other
    // mountpath is looked at: a missing file is NotFound, and the caller asks stat().
    struct Opened
    {
        ObjectInfo info;
        OwnedFd fd;
    };
    Result<Opened> openPrimary(const QString &bucket, const QString &name) const;
    // The NotFound of a read of an object the store does not hold: "ais://b/o does not exist",
    // tcode ErrObjNotFound.
    static Error objectMissing(const QString &bucket, const QString &name);
    // A writer with the bucket's checksum type and versioning (see setWriteSettings).
    Result<std::unique_ptr<ObjectWriter>> beginWrite(const QString &bucket, const QString &name);
    // Why an object goes: a delete (rename, move, sync) or a move to its owner (rebalance).
    enum class Removal { Deleted, MovedAway };
    // A Deleted object's name is announced by objectRemoved (found or not: its EC slices go);
    // an object MovedAway is not (its new owner places its slices).
    Result<void> remove(const QString &bucket, const QString &name,
                        Removal why = Removal::Deleted);
    // Adds or replaces custom metadata keys of a stored object (AIS set-custom); replaceAll
    // drops the keys not given. 404 when the object is missing.
    Result<ObjectInfo> setCustom(const QString &bucket, const QString &name, const CustomMd &custom,
                                 bool replaceAll);
    // Writes the whole file at path into the writer. Blocking: for the I/O pool.
    static Result<qint64> pour(const QString &path, ObjectWriter &writer);
    // pour() then commit, on the I/O pool: a local copy, a promoted file.
    QFuture<Result<ObjectInfo>> writeFromFile(const QString &path,
                                              std::shared_ptr<ObjectWriter> writer);

    // Per bucket, how new objects are written; kept current from the bucket metadata.
    void setWriteSettings(const QHash<QString, WriteSettings> &settings);
    WriteSettings writeSettings(const QString &bucket) const;
    // The copies a read of this bucket picks from: its mirror copies when this target has more
    // than one mountpath to hold them, else 1 (a plain read).
    int readCopies(const QString &bucket) const
    {
        return m_mountpaths.size() > 1 ? writeSettings(bucket).copies : 1;
    }

    // One page of names after msg's continuation token / start_after, filtered by prefix.
    QFuture<Result<Api::LsoPage>> list(const QString &bucket, const Api::LsoMsg &msg,
                                       const QString &locationTag) const;

    // Every object of the bucket below a prefix (all mountpaths), in AIS name order.
    QFuture<Result<QList<ObjectInfo>>> walk(const QString &bucket, const QString &prefix) const;

    // Counts and sizes of the buckets' objects below prefix, on the I/O pool.
    QFuture<Result<QList<BucketUsage>>> summarize(const QStringList &buckets,
                                                  const QString &prefix) const;
    // Total size of the filesystems under the mountpaths (each filesystem once).
    qint64 diskCapacity() const;

    // The mountpath that holds (or will hold) this object: HRW over the mountpaths.
    QString mountpathFor(const QString &bucket, const QString &name) const;
    QString objectPath(const QString &mountpath, const QString &bucket, const QString &name) const;
    QString bucketDir(const QString &mountpath, const QString &bucket) const;
    // Every object commit passes it; a leaving target closes it before its last pass.
    WriteGate &writeGate() { return m_gate; }

Q_SIGNALS:
    // Every object a writer committed (a PUT, copy, rename, promote, append, job result, move,
    // EC rebuild), emitted on the committing thread (often the I/O pool) once it and its mirror
    // copies are in place; observers on other threads get it queued (service/ec protects it).
    void objectCommitted(const Kiln::Target::ObjectInfo &info);
    // An object deleted (see Removal), emitted on the caller's thread.
    void objectRemoved(const QString &bucket, const QString &name);

private:
    // Size, times and the cached xattr metadata (MetaCache) of the file at path, stat as st.
    void fillFromStat(ObjectInfo &info, const QByteArray &path, const struct stat &st) const;
    Result<void> removeFiles(const QString &bucket, const QString &name);

    friend class ObjectWriter;
    QString tempDir(const QString &mountpath) const;

    QStringList m_mountpaths;
    mutable QThreadPool m_pool;
    mutable QReadWriteLock m_settingsLock; // beginWrite may run on the I/O pool
    QHash<QString, WriteSettings> m_settings;
    mutable MetaCache m_meta;
    WriteGate m_gate;
    std::unique_ptr<Mirror::Replicas> m_replicas;
};

} // namespace Kiln::Target
