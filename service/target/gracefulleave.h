#pragma once

#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Cluster {
class Smap;
struct Snode;
} // namespace Kiln::Cluster

namespace Kiln::Target {

class Rebalancer;

// A target that is told to stop (SIGTERM) leaves without hiding any object: it asks the primary
// to take it out of placement (POST /v1/cluster/leave: maintenance plus Kiln's "leaving" flag,
// a new map, so every target rebalances), its own rebalance sends every object to its new
// owner, and then it removes itself from the map (AIS's self-remove, DELETE
// /v1/cluster/daemon/<id>) and exits. When it returns it joins as a new member and gets its
// share back. It exits at once when there is nowhere to move to (the last target in placement),
// when the proxy does not answer (the whole cluster is stopping), or at the deadline.
class GracefulLeave final : public QObject
{
    Q_OBJECT
public:
    struct Deps
    {
        QNetworkAccessManager &nam;
        const Cluster::Snode &proxy;
        const Cluster::Snode &self;
        const Cluster::Smap &smap;
        const Rebalancer &rebalancer;
        // Applies the cluster state (the new map) the proxy answered with.
        std::function<void(const QJsonObject &)> apply;
    };
    explicit GracefulLeave(Deps deps, int deadlineMs, QObject *parent = nullptr);

    // Starts leaving; done runs once (when the target may exit).
    void start(std::function<void()> done);
    bool isLeaving() const { return m_started; }
    // The proxy stopped answering, or no longer knows this target: nothing to wait for.
    void proxyGone(const QString &why);

private:
    void askedToLeave(int status, const QByteArray &body, const QString &error);
    void check();
    void finish(const QString &why);

    Deps m_deps;
    std::function<void()> m_done;
    QTimer m_poll; // is the rebalance of the leave done?
    QTimer m_deadline;
    bool m_started = false;
    bool m_draining = false;
    bool m_goodbyeSent = false;
};

} // namespace Kiln::Target
