#pragma once

#include "shared/cluster/snode.h"

#include <QList>
#include <QString>

namespace Kiln::Cluster {
class Smap;
}

namespace Kiln::Ec {

// Targets in HRW order for an object (highest weight first, maintenance skipped): the first
// is the owner, the next ones hold its slices or replicas.
QList<Cluster::Snode> hrwOrder(const Cluster::Smap &smap, const QString &bucket,
                               const QString &object);
// The `count` targets after the owner that hold the object's slices: slice i goes to the i-th.
// A map with fewer targets gives each of them several slices in turn when `wrap` (slices: any
// one target lost still leaves the owner's copy or enough slices), else fewer (replicas).
QList<Cluster::Snode> slicePlacement(const Cluster::Smap &smap, const QString &bucket,
                                     const QString &object, int count, bool wrap = false);

} // namespace Kiln::Ec
