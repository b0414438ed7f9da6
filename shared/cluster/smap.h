#pragma once

#include "shared/cluster/snode.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace Kiln::Cluster {

// The versioned cluster map: the primary proxy and the targets. The primary owns it and bumps
// the version on every membership change; other nodes hold copies and replace them only with a
// newer version.
class Smap
{
public:
    Smap() = default;

    qint64 version() const { return m_version; }
    const QString &uuid() const { return m_uuid; }
    const QString &creationTime() const { return m_creationTime; }
    const Snode &primary() const { return m_primary; }
    const QList<Snode> &targets() const { return m_targets; } // sorted by id
    const Snode *target(const QString &id) const;
    bool hasTarget(const QString &id) const { return target(id) != nullptr; }

    void setPrimary(const Snode &proxy) { m_primary = proxy; }
    void setIdentity(const QString &uuid, const QString &creationTime);
    // Adds or replaces a target (by id); true when the map changed. Bumps the version if so.
    bool upsertTarget(const Snode &node);
    // Removes a target; true when it was there. Bumps the version if so.
    bool removeTarget(const QString &id);
    void setVersion(qint64 version) { m_version = version; }

    QJsonObject toJson() const;
    static Result<Smap> fromJson(const QJsonObject &json);

private:
    qint64 m_version = 0;
    QString m_uuid;
    QString m_creationTime;
    Snode m_primary;
    QList<Snode> m_targets;
};

} // namespace Kiln::Cluster
