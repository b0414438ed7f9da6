#pragma once

#include "service/ec/restoretrigger.h"
#include "service/ec/slicearea.h"
#include "service/ec/slicecodec.h"
#include "service/ec/slicetransport.h"
#include "service/target/objectinfo.h"
#include "service/target/targetcontext.h"
#include "shared/cluster/smap.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <memory>

namespace Kiln::Ec {

struct Gathered;

// Erasure coding of a target's objects in buckets with ec.enabled (AIS's EC). Lives on the
// target's main thread; encoding, decoding and file work run on the store's I/O pool.
//   protect  after every commit in the bucket (ObjectStore::objectCommitted): objects under
//            ec.objsize_limit are replicated whole to the next parity_slices targets in HRW
//            order, larger ones cut into data + parity slices for the next data + parity
//            targets (never the owner); stale slices elsewhere go.
//   rebuild  a GET whose owner lacks the object: every other target is asked for its slices,
//            corrupted ones are skipped, the object is decoded, checked against its checksum,
//            stored here and protected again (the missing slices come back).
//   removed  a deleted name (ObjectStore::objectRemoved: DELETE, rename, move, sync): the
//            slices go too.
class EcManager final : public QObject
{
    Q_OBJECT
public:
    using Rebuilt = std::function<void(const Result<Target::ObjectInfo> &)>;

    explicit EcManager(Target::TargetContext ctx, QObject *parent = nullptr);

    bool enabledFor(const QString &bucket) const;
    // done(ok), when given, runs on context's thread once every slice was sent (ec-encode).
    void protect(const Target::ObjectInfo &info, QObject *context = nullptr,
                 std::function<void(bool)> done = {});
    // False when the bucket is not erasure coded (nothing to do); else done runs on context's
    // thread, with NotFound when too few good slices were found.
    bool rebuild(const QString &bucket, const QString &object, QObject *context, Rebuilt done);
    void removed(const QString &bucket, const QString &object);
    // New bucket metadata: the slices of destroyed buckets go.
    void keepBuckets(const QStringList &buckets);
    // A new cluster map: the objects this target owns whose slice targets changed (a target
    // left or joined) are protected again, so the slices follow the map.
    void onSmapChanged();

private:
    // Where an object's slices go under the current map (empty: nowhere).
    QList<Cluster::Snode> placement(const Target::ObjectInfo &info, bool *replica) const;
    void sendAll(const QString &bucket, const QString &object, const QList<Cluster::Snode> &to,
                 const QList<SliceFile> &files, std::function<void(bool)> done);
    void fetchAll(std::shared_ptr<Gathered> g, QObject *context, Rebuilt done);
    void gathered(std::shared_ptr<Gathered> g, QObject *context, Rebuilt done);
    void reprotect(const Cluster::Smap &before, const QList<Target::ObjectInfo> &objects);
    void dropElsewhere(const QString &bucket, const QString &object,
                       const QList<Cluster::Snode> &keep);

    Target::TargetContext m_ctx;
    SliceArea m_area;
    SliceTransport m_transport;
    RestoreTrigger m_restore; // objects whose owner left: rebuilt on their new owner
    Cluster::Smap m_lastSmap; // the map slices were last placed by (onSmapChanged)
    QHash<QString, QList<Rebuilt>> m_rebuilding; // "bucket\nobject" -> the GETs waiting
};

} // namespace Kiln::Ec
