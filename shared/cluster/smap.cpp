#include "shared/cluster/smap.h"

#include <algorithm>

namespace Kiln::Cluster {

const Snode *Smap::target(const QString &id) const
{
    for (const Snode &node : m_targets) {
        if (node.id == id)
            return &node;
    }
    return nullptr;
}

void Smap::setIdentity(const QString &uuid, const QString &creationTime)
{
    m_uuid = uuid;
    m_creationTime = creationTime;
}

bool Smap::upsertTarget(const Snode &node)
{
    auto it = std::find_if(m_targets.begin(), m_targets.end(),
                           [&](const Snode &n) { return n.id == node.id; });
    if (it != m_targets.end()) {
        if (*it == node)
            return false;
        *it = node;
    } else {
        const auto pos
            = std::lower_bound(m_targets.begin(), m_targets.end(), node,
                               [](const Snode &a, const Snode &b) { return a.id < b.id; });
        m_targets.insert(pos, node);
    }
    ++m_version;
    return true;
}

bool Smap::removeTarget(const QString &id)
{
    const auto removed = m_targets.removeIf([&](const Snode &n) { return n.id == id; });
    if (removed == 0)
        return false;
    ++m_version;
    return true;
}

QJsonObject Smap::toJson() const
{
    QJsonObject tmap;
    for (const Snode &node : m_targets)
        tmap.insert(node.id, node.toJson());
    QJsonObject pmap;
    if (!m_primary.id.isEmpty())
        pmap.insert(m_primary.id, m_primary.toJson());
    return QJsonObject{{"tmap", tmap},
                       {"pmap", pmap},
                       {"proxy_si", m_primary.toJson()},
                       {"uuid", m_uuid},
                       {"creation_time", m_creationTime},
                       // AIS tags the version ",string": the Go client insists on a quoted number.
                       {"version", QString::number(m_version)}};
}

Result<Smap> Smap::fromJson(const QJsonObject &json)
{
    Smap smap;
    const QJsonValue version = json.value("version");
    bool ok = true;
    smap.m_version = version.isString() ? version.toString().toLongLong(&ok) : version.toInteger();
    if (!ok)
        return makeError(ErrorCode::InvalidArgument, "smap: bad version");
    smap.m_uuid = json.value("uuid").toString();
    smap.m_creationTime = json.value("creation_time").toString();
    auto primary = Snode::fromJson(json.value("proxy_si").toObject());
    if (!primary)
        return primary.error();
    smap.m_primary = *primary;
    const QJsonObject tmap = json.value("tmap").toObject();
    for (auto it = tmap.begin(); it != tmap.end(); ++it) {
        auto node = Snode::fromJson(it.value().toObject());
        if (!node)
            return node.error();
        smap.m_targets.append(*node);
    }
    std::sort(smap.m_targets.begin(), smap.m_targets.end(),
              [](const Snode &a, const Snode &b) { return a.id < b.id; });
    return smap;
}

} // namespace Kiln::Cluster
