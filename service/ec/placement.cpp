#include "service/ec/placement.h"

#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"

#include <algorithm>

namespace Kiln::Ec {

QList<Cluster::Snode> hrwOrder(const Cluster::Smap &smap, const QString &bucket,
                               const QString &object)
{
    const quint64 digest = Cluster::nameDigest(Cluster::objectUname(bucket, object));
    QList<QPair<quint64, Cluster::Snode>> weighted;
    for (const Cluster::Snode &node : smap.targets()) {
        if (!node.inMaintenance())
            weighted.append({Cluster::hrwMix(node.idDigest ^ digest), node});
    }
    // Stable over the map's id order, as hrwTarget breaks ties: the first here is its owner.
    std::stable_sort(weighted.begin(), weighted.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    QList<Cluster::Snode> order;
    for (const auto &w : weighted)
        order.append(w.second);
    return order;
}

QList<Cluster::Snode> slicePlacement(const Cluster::Smap &smap, const QString &bucket,
                                     const QString &object, int count, bool wrap)
{
    QList<Cluster::Snode> order = hrwOrder(smap, bucket, object);
    if (!order.isEmpty())
        order.removeFirst();
    if (!wrap || order.isEmpty() || order.size() >= count)
        return order.mid(0, count);
    QList<Cluster::Snode> cycled;
    for (int i = 0; i < count; ++i)
        cycled.append(order.at(i % order.size()));
    return cycled;
}

} // namespace Kiln::Ec
