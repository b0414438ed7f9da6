#pragma once

#include "service/target/objectinfo.h"

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <deque>

class QNetworkAccessManager;

namespace Kiln::Cluster {
class Smap;
struct Snode;
} // namespace Kiln::Cluster

namespace Kiln::Target {

class ObjectStore;

// An intra-cluster PUT that moves an object with rebalance carries its source's mtime (ns) here;
// its version and checksum go in AIS's Ais-Version and Ais-Checksum-* headers.
inline constexpr char RebalanceHeader[] = "Kiln-Rebalance";

// This target's part of a global rebalance (AIS's "rebalance" xaction, id "g<smap version>").
// Started by every new cluster map: walks the local buckets, sends each object whose HRW owner
// is now another target to that owner (an intra-cluster PUT that keeps version, checksum and
// custom metadata; the owner verifies the checksum before it commits), and removes the local
// copy only once the owner answered 200. A failed send keeps the copy and is retried by a later
// pass. A newer map during a run stops the run at the next object and starts it over. Lives on
// the target's main thread.
class Rebalancer final : public QObject
{
    Q_OBJECT
public:
    Rebalancer(ObjectStore &store, const Cluster::Smap &smap, const Cluster::Snode &self,
               QNetworkAccessManager &nam, QObject *parent = nullptr);

    // The cluster map changed (a target joined, left, returned, or changed its maintenance).
    void onSmapChanged();
    // Stops the current run (an operator's stop); the next map change starts a new one.
    void stop();
    // An object another target moved here was stored.
    void countReceived(qint64 bytes);
    bool isRunning() const { return m_running; }
    // This target's progress, as the proxy gathers it for the job API.
    QJsonObject snapshot() const;
    // snapshot(), or empty before this target's first run (AIS leaves rebalance_snap out).
    QJsonObject snapshotIfStarted() const
    {
        return m_started.isValid() ? snapshot() : QJsonObject{};
    }

private:
    struct Stats
    {
        qint64 sentObjects = 0, sentBytes = 0, receivedObjects = 0, receivedBytes = 0;
        qint64 errors = 0;
    };
    void run();
    void walkNext();
    void pump();
    void send(const ObjectInfo &info, const QString &ownerUrl);
    void sent(const ObjectInfo &info, bool ok);
    void finish();

    ObjectStore &m_store;
    const Cluster::Smap &m_smap;
    const Cluster::Snode &m_self;
    QNetworkAccessManager &m_nam;
    qint64 m_generation = 0; // bumped by every map change and stop: stale callbacks see it
    qint64 m_smapVersion = 0; // the map the current (or last) run follows: its id g<version>
    bool m_running = false;
    bool m_walking = false; // a bucket walk is on the I/O pool
    bool m_aborted = false;
    bool m_restart = false; // a new map arrived mid-run
    QStringList m_buckets; // still to walk
    std::deque<ObjectInfo> m_queue; // walked, not yet sent
    int m_inFlight = 0;
    Stats m_stats;
    QDateTime m_started, m_ended;
    QTimer m_retry; // a pass with failed sends runs again
};

} // namespace Kiln::Target
