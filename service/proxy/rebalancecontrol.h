#pragma once

#include "shared/cluster/smap.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QObject>
#include <QHash>
#include <QSet>
#include <QTimer>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Proxy {

// The proxy's side of the global rebalance, as AIS's job API shows it: every new cluster map
// starts one on every target (id "g<map version>", kind "rebalance"); this class answers the
// job queries for it (status, status_all, running_all, qryxstats) from the targets' progress,
// stops it, and runs the cluster actions that change placement: rebalance, start-maintenance,
// stop-maintenance, decommission-node (a decommissioned target leaves the map once it has
// sent all its objects off) and shutdown-node (maintenance; once its objects are off the
// target is told to exit, and it returns in maintenance). Lives on the proxy's thread.
class RebalanceControl final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        QNetworkAccessManager &nam;
        const Cluster::Smap &smap;
        // Sets a target's node flags (a new map version when they change).
        std::function<Result<void>(const QString &sid, quint64 flags)> setFlags;
        // A new map version with the same members: every target rebalances again.
        std::function<void()> bump;
        // Takes a target out of the map for good.
        std::function<void(const QString &sid)> remove;
    };
    explicit RebalanceControl(Deps deps, QObject *parent = nullptr);

    // The rebalance queries of GET /v1/cluster?what=...; false when the query is not about a
    // rebalance (another job's, or no job's).
    bool answerQuery(Http::Exchange &ex, const QString &what);
    // PUT /v1/cluster with one of the actions above (or stop of a rebalance); false when the
    // action is another's.
    bool onClusterPut(Http::Exchange &ex, const QJsonObject &act);
    // POST /v1/cluster/leave {"id"}: a target that is stopping asks to send its objects off
    // first. Answers {"drain": true, "smap"} once it is out of placement (maintenance and
    // leaving), or {"drain": false} when there is no other target to move to (then it is out
    // of the map at once, AIS's self-remove).
    void onLeave(Http::Exchange &ex);
    // DELETE /v1/cluster/daemon/<id> (AIS's self-remove): a leaving target that sent everything
    // off goes out of the map; one in an operator's maintenance stays, and returns in it.
    void onSelfRemove(Http::Exchange &ex, const QString &sid);
    bool isDecommissioned(const QString &sid) const { return m_decommissioned.contains(sid); }
    // A target that stopped in maintenance (shutdown-node, or SIGTERM during an operator's
    // maintenance): true once, when it joins again (it returns in maintenance, as AIS keeps it).
    bool takeShutDown(const QString &sid) { return m_shutDown.remove(sid); }
    QString currentId() const;

private:
    using Snaps = QList<QPair<QString, QJsonObject>>; // target id, its /v1/rebalance snapshot
    void gather(std::function<void(Snaps)> done);
    void answer(Http::Exchange &ex, const QString &what, const QString &id, const Snaps &snaps);
    QJsonObject statusOf(const QString &id, const Snaps &snaps) const;
    void changeNode(Http::Exchange &ex, const QString &action, const QJsonObject &value);
    void stop(Http::Exchange &ex);
    // Removes decommissioned targets whose objects are all sent off; tells the ones shutdown-node
    // drains to exit.
    void checkDecommissions();
    void drained(const QString &sid);

    Deps m_deps;
    QSet<QString> m_decommissioned; // removed, or being emptied: never join again
    QHash<QString, QString> m_draining; // decommissioned or shutting down, still in the map: action
    QSet<QString> m_shutDown; // stopped while in maintenance: they return in it
    QTimer m_drainTimer;
};

} // namespace Kiln::Proxy
