#pragma once

#include "service/target/targetcontext.h"

#include <QObject>

#include <functional>

namespace Kiln::Ec {

class SliceArea;

// After a map change, the objects whose owner left the map have no whole copy anywhere; the
// targets that hold their slices ask each new owner to rebuild (a one-byte GET through the
// owner's object route, whose miss rebuilds), or rebuild here when this target is the new
// owner. Without it a lost object would wait for its first GET. Lives on the target's main
// thread; the scan of the slice area runs on the store's I/O pool.
class RestoreTrigger final : public QObject
{
    Q_OBJECT
public:
    using RebuildHere = std::function<void(const QString &bucket, const QString &object)>;

    RestoreTrigger(Target::TargetContext ctx, SliceArea &area, RebuildHere rebuildHere,
                   QObject *parent = nullptr);

    void onSmapChanged(const Cluster::Smap &before);

private:
    void check(const Cluster::Smap &before, const QString &bucket, const QStringList &objects);
    void ask(const Cluster::Snode &owner, const QString &bucket, const QString &object);

    Target::TargetContext m_ctx;
    SliceArea &m_area;
    RebuildHere m_rebuildHere;
};

} // namespace Kiln::Ec
