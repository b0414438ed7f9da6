#pragma once

#include "service/ec/slicemeta.h"
#include "shared/core/result.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Kiln::Target {
class ObjectStore;
}

namespace Kiln::Ec {

// The slices and replicas this target keeps for objects other targets own, hidden from listing:
//   <mp>/ec/<bucket>/<slice index>/<object name>   a slice (or a whole replica, index 0),
// metadata in MetaXattr, on the object's HRW mountpath. A target holds more than one slice of
// an object only when the map has fewer targets than slices. Files arrive in <mp>/tmp/ and are
// renamed into place. Every call blocks (file I/O): for the store's I/O pool.
class SliceArea final
{
public:
    explicit SliceArea(Target::ObjectStore &store);

    QString path(const QString &bucket, const QString &object, int index) const;
    // The slice indices held here for the object (files present, not yet checked).
    QList<int> held(const QString &bucket, const QString &object) const;
    // A fresh temporary file name on the object's mountpath (same filesystem as path()).
    QString tempPath(const QString &bucket, const QString &object) const;
    // Sets meta on the file at tempPath, fsyncs it and renames it over path().
    Result<void> install(const QString &tempPath, const QString &bucket, const QString &object,
                         const SliceMeta &meta) const;
    // The slice's metadata after its bytes were checked against sliceCksum: NotFound when there
    // is none, Internal (the file stays, a restore overwrites it) when it is corrupted.
    Result<SliceMeta> verified(const QString &bucket, const QString &object, int index) const;
    // Removes the object's slices but the ones in keep; true when one was there.
    bool remove(const QString &bucket, const QString &object, const QList<int> &keep = {}) const;
    // The names of the objects with a slice here (each once).
    QStringList objects(const QString &bucket) const;
    // The slices of buckets not in keep (destroyed ones) move to <mp>/trash/ at once and are
    // deleted on the I/O pool. Cheap (renames): the one call here for the main thread.
    void dropBucketsExcept(const QStringList &keep) const;

    // xxhash2 of a file's bytes.
    static Result<QString> hashFile(const QString &path);

private:
    Target::ObjectStore &m_store;
};

} // namespace Kiln::Ec
