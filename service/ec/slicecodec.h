#pragma once

#include "service/ec/slicemeta.h"
#include "service/target/objectinfo.h"
#include "shared/core/result.h"

#include <QList>
#include <QMap>
#include <QString>

namespace Kiln::Target {
class ObjectStore;
}

namespace Kiln::Ec {

// One slice (or replica) ready to send: its bytes in a file, its metadata.
struct SliceFile
{
    QString path;
    SliceMeta meta;
    bool temporary = true; // false: the object's own file (a replica), never removed
};

// Bytes per slice per stripe: the stripes are what is in memory at once, (data + parity) of them.
inline constexpr qint64 StripeBytes = 256 * 1024;

// The file work of erasure coding, stripe by stripe with bounded memory. Every call blocks:
// for the store's I/O pool.
namespace SliceCodec {

// The stored object as `data` data slices plus `parity` parity slices, in temporary files next
// to tmpPrefix; or, with replica set, the object's own file as a replica.
Result<QList<SliceFile>> split(const Target::ObjectInfo &object, int data, int parity, bool replica,
                               const QString &tmpPrefix);

// Rebuilds the slices missing from `have` (index -> file of a verified slice, at least `data`
// of them) into temporary files next to tmpPrefix; returns them.
Result<QList<SliceFile>> restoreMissing(const SliceMeta &meta, const QMap<int, QString> &have,
                                        const QString &tmpPrefix);

// Stores the object again on this target from its data slices (`have` holds all of them, or a
// replica at index 0), checked against the object checksum of meta before it replaces anything.
Result<Target::ObjectInfo> writeObject(Target::ObjectStore &store, const QString &bucket,
                                       const QString &object, const SliceMeta &meta,
                                       const QMap<int, QString> &have);

// Removes the temporary ones.
void discard(const QList<SliceFile> &files);

} // namespace SliceCodec
} // namespace Kiln::Ec
