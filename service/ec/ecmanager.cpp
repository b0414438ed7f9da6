#include "service/ec/ecmanager.h"

#include "service/ec/placement.h"
#include "service/target/objectstore.h"
#include "shared/api/bprops.h"
#include "shared/api/names.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QDir>
#include <QFile>
#include <QPointer>
#include <QtConcurrent>

#include <algorithm>

namespace Kiln::Ec {

// What a rebuild collected: the verified slices found on the targets (and here).
struct Gathered
{
    QString bucket;
    QString object;
    qsizetype pending = 0;
    QList<int> localHeld; // slice indices on this target's own disk
    QList<QPair<Cluster::Snode, int>> wanted; // (target, slice index) to fetch
    QList<SliceFile> found; // temporary: fetched; not: this target's own slice
};

namespace {

// The slices of the version most of them agree on, one per index.
int needed(const SliceMeta &meta)
{
    return meta.replica ? 1 : meta.data;
}

// The slices of one version of the object, one per index: the newest version that has enough
// of them to rebuild (a newer PUT whose slices did not all arrive must not lose to an older
// one, nor an older one win by numbers), else the largest group.
QList<SliceFile> agreeing(const QList<SliceFile> &found)
{
    QList<SliceFile> best;
    auto better = [](const QList<SliceFile> &a, const QList<SliceFile> &b) {
        const bool aEnough = a.size() >= needed(a.first().meta);
        const bool bEnough = !b.isEmpty() && b.size() >= needed(b.first().meta);
        if (aEnough != bEnough)
            return aEnough;
        if (b.isEmpty())
            return true;
        const qint64 av = a.first().meta.version.toLongLong();
        const qint64 bv = b.first().meta.version.toLongLong();
        return av != bv ? av > bv : a.size() > b.size();
    };
    for (const SliceFile &f : found) {
        QList<SliceFile> group;
        for (const SliceFile &o : found)
            if (o.meta.sameObject(f.meta)
                && std::none_of(group.begin(), group.end(),
                                [&](const SliceFile &g) { return g.meta.index == o.meta.index; }))
                group.append(o);
        if (better(group, best))
            best = group;
    }
    return best;
}

} // namespace

EcManager::EcManager(Target::TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_area(ctx.store)
    , m_transport(ctx.nam)
    , m_restore(ctx, m_area, [this](const QString &bucket, const QString &object) {
        rebuild(bucket, object, this, [](const Result<Target::ObjectInfo> &) {});
    })
{
    // Every committed object of an EC bucket gets its slices (a PUT, copy, rename, promote,
    // append, job result, rebalance arrival, rebuild): commits run on the I/O pool, so these
    // arrive queued on this thread. A deleted name's slices go.
    connect(&ctx.store, &Target::ObjectStore::objectCommitted, this,
            [this](const Target::ObjectInfo &info) { protect(info); });
    connect(&ctx.store, &Target::ObjectStore::objectRemoved, this, &EcManager::removed);
}

bool EcManager::enabledFor(const QString &bucket) const
{
    const Api::BucketProps *props = m_ctx.bmd.bucket(bucket);
    return props && props->ec.enabled;
}

QList<Cluster::Snode> EcManager::placement(const Target::ObjectInfo &info, bool *replica) const
{
    const Api::EcProps ec = m_ctx.bmd.bucket(info.bucket)->ec;
    *replica = info.size < ec.objsizeLimit || info.size < ec.dataSlices;
    return *replica
        ? slicePlacement(m_ctx.smap, info.bucket, info.name, ec.paritySlices)
        : slicePlacement(m_ctx.smap, info.bucket, info.name, ec.dataSlices + ec.paritySlices, true);
}

void EcManager::protect(const Target::ObjectInfo &info, QObject *context,
                        std::function<void(bool)> done)
{
    QPointer<QObject> ctx(context);
    auto finish = [ctx, done](bool ok) {
        if (done && ctx)
            done(ok);
    };
    if (!enabledFor(info.bucket))
        return finish(false);
    const Api::EcProps ec = m_ctx.bmd.bucket(info.bucket)->ec;
    bool replica = false;
    const QList<Cluster::Snode> to = placement(info, &replica);
    const QString cname = Api::objectCname(info.bucket, info.name);
    if (to.isEmpty()) {
        Log::target().warn("ec: {}: no other target to hold its slices", cname);
        return finish(false);
    }
    SliceArea *area = &m_area;
    const QString prefix = m_area.tempPath(info.bucket, info.name);
    whenReady(QtConcurrent::run(m_ctx.store.ioPool(),
                                [area, info, ec, replica, prefix] {
                                    // The owner keeps the whole object, never a slice of it.
                                    area->remove(info.bucket, info.name);
                                    return SliceCodec::split(info, ec.dataSlices, ec.paritySlices,
                                                             replica, prefix);
                                }),
              this, [this, info, to, cname, finish](const Result<QList<SliceFile>> &files) {
                  if (!files) {
                      Log::target().warn("ec: cannot encode {}: {}", cname, files.error().message);
                      return finish(false);
                  }
                  sendAll(info.bucket, info.name, to, *files, finish);
              });
}

void EcManager::sendAll(const QString &bucket, const QString &object,
                        const QList<Cluster::Snode> &to, const QList<SliceFile> &files,
                        std::function<void(bool)> done)
{
    auto pending = std::make_shared<qsizetype>(to.size());
    auto failures = std::make_shared<int>(0);
    for (qsizetype i = 0; i < to.size(); ++i) {
        // A replica is one file sent to every target; slice i goes to the i-th.
        const SliceFile &file = files.size() == 1 ? files.first() : files.at(i);
        QList<int> keep; // what this target holds of the object under this map
        for (qsizetype j = 0; j < to.size(); ++j)
            if (to.at(j).id == to.at(i).id)
                keep.append(files.size() == 1 ? 0 : int(j));
        m_transport.send(to.at(i), bucket, object, file.path, file.meta, keep,
                         [this, bucket, object, to, files, pending, failures, done](bool ok) {
                             *failures += ok ? 0 : 1;
                             if (--*pending > 0)
                                 return;
                             SliceCodec::discard(files);
                             Log::target().debug("ec: {} sent to {} targets ({} failed)",
                                                 Api::objectCname(bucket, object), to.size(),
                                                 *failures);
                             if (*failures == 0)
                                 dropElsewhere(bucket, object, to);
                             done(*failures == 0);
                         });
    }
}

void EcManager::dropElsewhere(const QString &bucket, const QString &object,
                              const QList<Cluster::Snode> &keep)
{
    for (const Cluster::Snode &t : m_ctx.smap.targets()) {
        const bool kept = std::any_of(keep.begin(), keep.end(),
                                      [&](const Cluster::Snode &k) { return k.id == t.id; });
        if (!kept && t.id != m_ctx.self.id)
            m_transport.drop(t, bucket, object);
    }
}

bool EcManager::rebuild(const QString &bucket, const QString &object, QObject *context,
                        Rebuilt done)
{
    if (!enabledFor(bucket))
        return false;
    // One rebuild per object at a time: GETs that miss meanwhile wait for the same result.
    QPointer<QObject> ctx(context);
    Rebuilt guarded = [ctx, done](const Result<Target::ObjectInfo> &info) {
        if (ctx)
            done(info);
    };
    const QString key = bucket + QLatin1Char('\n') + object;
    if (auto it = m_rebuilding.find(key); it != m_rebuilding.end()) {
        it->append(guarded);
        return true;
    }
    m_rebuilding.insert(key, {guarded});
    Rebuilt finish = [this, key](const Result<Target::ObjectInfo> &info) {
        for (const Rebuilt &waiter : m_rebuilding.take(key))
            waiter(info);
    };
    auto g = std::make_shared<Gathered>();
    g->bucket = bucket;
    g->object = object;
    QList<Cluster::Snode> others;
    for (const Cluster::Snode &t : m_ctx.smap.targets())
        if (t.id != m_ctx.self.id)
            others.append(t);
    // First which slices each target has (this one too: it may have held one before a map
    // change made it the owner), then those slices.
    g->pending = others.size() + 1;
    auto listed = [this, g, finish] {
        if (--g->pending == 0)
            fetchAll(g, this, finish);
    };
    SliceArea *area = &m_area;
    whenReady(QtConcurrent::run(m_ctx.store.ioPool(),
                                [area, bucket, object] { return area->held(bucket, object); }),
              this, [g, listed](const QList<int> &held) {
                  g->localHeld = held;
                  listed();
              });
    for (const Cluster::Snode &node : others)
        m_transport.held(node, bucket, object, [g, node, listed](const QList<int> &held) {
            for (int i : held)
                g->wanted.append({node, i});
            listed();
        });
    return true;
}

void EcManager::fetchAll(std::shared_ptr<Gathered> g, QObject *context, Rebuilt done)
{
    g->pending = g->wanted.size() + 1;
    auto arrived = [this, g, context, done] {
        if (--g->pending == 0)
            gathered(g, context, done);
    };
    SliceArea *area = &m_area;
    whenReady(QtConcurrent::run(
                  m_ctx.store.ioPool(),
                  [area, g] {
                      QList<SliceFile> good;
                      for (int i : g->localHeld) {
                          if (auto meta = area->verified(g->bucket, g->object, i))
                              good.append({area->path(g->bucket, g->object, i), *meta, false});
                          else if (meta.error().code != ErrorCode::NotFound)
                              Log::target().warn("{}: skipped", meta.error().message);
                      }
                      return good;
                  }),
              this, [g, arrived](const QList<SliceFile> &good) {
                  g->found += good;
                  arrived();
              });
    const QString prefix = m_area.tempPath(g->bucket, g->object);
    for (qsizetype k = 0; k < g->wanted.size(); ++k) {
        const QString path = prefix + QStringLiteral(".g%1").arg(k);
        const auto &[node, index] = g->wanted.at(k);
        m_transport.fetch(node, g->bucket, g->object, index, path,
                          [g, path, arrived](std::optional<SliceMeta> meta) {
                              if (meta)
                                  g->found.append({path, *meta, true});
                              arrived();
                          });
    }
}

void EcManager::gathered(std::shared_ptr<Gathered> g, QObject *context, Rebuilt done)
{
    const QList<SliceFile> use = agreeing(g->found);
    const int enough = use.isEmpty() ? 1 : needed(use.first().meta);
    const QString cname = Api::objectCname(g->bucket, g->object);
    if (use.size() < enough) {
        SliceCodec::discard(g->found);
        return done(makeError(ErrorCode::NotFound,
                              QStringLiteral("ec: %1: %2 good slices found, %3 needed")
                                  .arg(cname)
                                  .arg(use.size())
                                  .arg(enough)));
    }
    const SliceMeta meta = use.first().meta;
    QMap<int, QString> have;
    for (const SliceFile &f : use)
        have.insert(meta.replica ? 0 : f.meta.index, f.path);
    Target::ObjectStore *store = &m_ctx.store;
    const QString prefix = m_area.tempPath(g->bucket, g->object);
    whenReady(
        QtConcurrent::run(m_ctx.store.ioPool(),
                          [store, g, meta, have, prefix]() mutable -> Result<Target::ObjectInfo> {
                              QList<SliceFile> restored;
                              if (!meta.replica && have.size() < meta.data + meta.parity) {
                                  auto missing = SliceCodec::restoreMissing(meta, have, prefix);
                                  if (!missing) {
                                      SliceCodec::discard(g->found);
                                      return missing.error();
                                  }
                                  restored = *missing;
                                  for (const SliceFile &f : restored)
                                      have.insert(f.meta.index, f.path);
                              }
                              auto info = SliceCodec::writeObject(*store, g->bucket, g->object,
                                                                  meta, have);
                              SliceCodec::discard(restored);
                              SliceCodec::discard(g->found);
                              return info;
                          }),
        context, [this, done, cname](const Result<Target::ObjectInfo> &info) {
            if (!info) {
                Log::target().warn("ec: cannot rebuild {}: {}", cname, info.error().message);
                return done(info);
            }
            // Its commit protects it again (objectCommitted): the slices this map wants,
            // wherever they were lost.
            Log::target().info("ec: rebuilt {} ({} bytes) from its slices", cname, info->size);
            done(info);
        });
}

void EcManager::onSmapChanged()
{
    const Cluster::Smap before = m_lastSmap;
    m_lastSmap = m_ctx.smap;
    if (before.targets().isEmpty())
        return; // the first map since start: nothing was placed by another one here
    m_restore.onSmapChanged(before);
    for (const Api::BucketProps &props : m_ctx.bmd.buckets()) {
        if (!props.ec.enabled)
            continue;
        whenReady(m_ctx.store.walk(props.name, {}), this,
                  [this, before](const Result<QList<Target::ObjectInfo>> &objects) {
                      if (objects)
                          reprotect(before, *objects);
                  });
    }
}

void EcManager::reprotect(const Cluster::Smap &before, const QList<Target::ObjectInfo> &objects)
{
    auto ids = [](const QList<Cluster::Snode> &nodes) {
        QStringList out;
        for (const Cluster::Snode &n : nodes)
            out.append(n.id);
        return out;
    };
    int moved = 0;
    for (const Target::ObjectInfo &info : objects) {
        const Api::BucketProps *props = m_ctx.bmd.bucket(info.bucket);
        if (!props || !props->ec.enabled)
            return;
        const QList<Cluster::Snode> now = hrwOrder(m_ctx.smap, info.bucket, info.name);
        if (now.isEmpty() || now.first().id != m_ctx.self.id)
            continue; // not ours (rebalance sends it to its owner, which protects it)
        const int count = props->ec.dataSlices + props->ec.paritySlices;
        if (ids(slicePlacement(before, info.bucket, info.name, count, true))
            == ids(slicePlacement(m_ctx.smap, info.bucket, info.name, count, true)))
            continue;
        // The walk gives names and sizes; the slices carry the checksum and version too.
        if (auto full = m_ctx.store.stat(info.bucket, info.name)) {
            protect(*full);
            ++moved;
        }
    }
    if (moved > 0)
        Log::target().info("ec: new map: {} objects get their slices again", moved);
}

void EcManager::keepBuckets(const QStringList &buckets)
{
    m_area.dropBucketsExcept(buckets);
}

void EcManager::removed(const QString &bucket, const QString &object)
{
    if (!enabledFor(bucket))
        return;
    for (const Cluster::Snode &t : m_ctx.smap.targets())
        if (t.id != m_ctx.self.id)
            m_transport.drop(t, bucket, object);
    SliceArea *area = &m_area;
    // Nothing waits for it: a failure leaves a stale slice a later PUT overwrites.
    (void)QtConcurrent::run(m_ctx.store.ioPool(),
                            [area, bucket, object] { area->remove(bucket, object); });
}

} // namespace Kiln::Ec
