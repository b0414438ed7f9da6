#pragma once

#include "service/target/objectinfo.h"
#include "shared/core/result.h"

#include <QByteArray>
#include <QStringList>

#include <atomic>
#include <memory>

namespace Kiln::Target {
class ObjectStore;
}

namespace Kiln::Mirror {

// What one pass over an object's copies did (make-n-copies, resilver).
struct SyncOutcome
{
    int written = 0; // copies made or repaired
    int removed = 0; // copies beyond the bucket's count dropped
};

// n-way mirroring of one target's objects across its mountpaths (AIS's mirror.copies): an
// object's copies live at the same relative path under the first `copies` mountpaths in HRW
// order for its name (the first one holds the primary, where a non-mirrored object lives), each
// with the primary's checksum, version and custom metadata in its extended attributes. Which
// mountpaths hold copies follows from the name, so no list of copies is stored. Every method
// blocks (file I/O): call it on the store's I/O pool. Changes to an object's copies run under
// the object's lock (Target::objectLock of the primary's path), as commits do.
class Replicas final
{
public:
    explicit Replicas(Target::ObjectStore &store);
    ~Replicas();
    Replicas(const Replicas &) = delete;
    Replicas &operator=(const Replicas &) = delete;

    // The mountpaths in HRW order for the object (the first is the primary's).
    QStringList placement(const QString &bucket, const QString &name) const;
    // The object's file paths in placement order.
    QList<QByteArray> paths(const QString &bucket, const QString &name) const;

    // After the primary was committed: copies it to the next copies-1 mountpaths and drops any
    // copy beyond them (copies 1 drops them all).
    Result<void> replicate(const QString &bucket, const QString &name, int copies);
    // Removes every copy but the primary; how many there were.
    int removeCopies(const QString &bucket, const QString &name);

    // For a GET: a copy whose bytes match its checksum, the least busy first; copies found
    // missing or corrupt on the way are rewritten from the good one. NotFound when no copy exists,
    // Internal when every copy is corrupt (nothing is served then).
    Result<Target::ObjectInfo> pickVerified(const QString &bucket, const QString &name, int copies);
    // make-n-copies and resilver: brings the object to exactly `copies` good copies at its
    // placement, from the first good one found.
    Result<SyncOutcome> sync(const QString &bucket, const QString &name, int copies);
    // The copies of the object present on disk, placement order (HEAD's Ais-Mirror-Paths).
    QStringList presentMountpaths(const QString &bucket, const QString &name) const;

    // GET reads in flight per mountpath (placement index in store order); for tests.
    int readsInFlight(const QString &mountpath) const;

private:
    int mountpathIndex(const QString &mountpath) const;
    // Rewrites the slots of `slots` (placement indexes) from the good copy at index `good`;
    // each slot is rechecked under the lock first. Returns how many were written.
    int repair(const QString &bucket, const QString &name, const QList<QByteArray> &paths,
               int good, const QList<int> &slots);

    Target::ObjectStore &m_store;
    std::unique_ptr<std::atomic<int>[]> m_reads; // per store mountpath
    std::atomic<unsigned> m_turn{0}; // which copy a GET tries first among equally loaded ones
};

} // namespace Kiln::Mirror
