#include "shared/cluster/hrw.h"

#include "shared/cluster/smap.h"

#include <xxhash.h>

namespace Kiln::Cluster {

quint64 nameDigest(const QByteArray &uname)
{
    return XXH64(uname.constData(), size_t(uname.size()), HrwSeed);
}

quint64 nodeIdDigest(const QString &id)
{
    const QByteArray utf8 = id.toUtf8();
    return XXH64(utf8.constData(), size_t(utf8.size()), HrwSeed) & 0x7fffffffffffffffULL;
}

quint64 hrwMix(quint64 x)
{
    constexpr quint64 Golden = 0x9e3779b97f4a7c15ULL;
    constexpr quint64 C1 = 0xbf58476d1ce4e5b9ULL;
    constexpr quint64 C2 = 0x94d049bb133111ebULL;
    quint64 z = x + Golden;
    z = (z ^ (z >> 30)) * C1;
    z = (z ^ (z >> 27)) * C2;
    z = (z ^ (z >> 31)) + Golden;
    z = (z ^ (z >> 30)) * C1;
    z = (z ^ (z >> 27)) * C2;
    z = (z ^ (z >> 31)) * 5;
    const quint64 rotated = (z << 7) | (z >> 57);
    return rotated * 9;
}

QByteArray objectUname(const QString &bucket, const QString &object)
{
    return QByteArray("ais/@#/") + bucket.toUtf8() + '/' + object.toUtf8();
}

const Snode *hrwTarget(const Smap &smap, const QByteArray &uname)
{
    const quint64 digest = nameDigest(uname);
    const Snode *best = nullptr;
    quint64 bestWeight = 0;
    // Iterates in id order, so ties (practically impossible) resolve the same on every node.
    for (const Snode &node : smap.targets()) {
        if (node.inMaintenance())
            continue;
        const quint64 weight = hrwMix(node.idDigest ^ digest);
        if (!best || weight > bestWeight) {
            best = &node;
            bestWeight = weight;
        }
    }
    return best;
}

} // namespace Kiln::Cluster
