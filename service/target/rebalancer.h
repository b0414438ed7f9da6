#pragma once

#include "service/target/objectinfo.h"
#include "service/target/rebalancerecord.h"
#include "service/target/rebalancesender.h"

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <deque>
#include <memory>

namespace Kiln::Node {
class SnapshotWriter;
}

namespace Kiln::Cluster {
class Smap;
struct Snode;
} // namespace Kiln::Cluster

namespace Kiln::Target {

class ObjectStore;

// This target's part of a global rebalance (AIS's "rebalance" xaction, id "g<smap version>").
// Started by every new cluster map: walks the local buckets, sends each object whose HRW owner
// is now another target to that owner (an intra-cluster PUT that keeps version, checksum and
// custom metadata; the owner verifies the checksum before it commits), and removes the local
// copy only once the owner answered 200. A failed send keeps the copy and is retried by a later
// pass. A newer map during a run stops the run at the next object and starts it over. A target
// that the map takes out of placement (maintenance, decommission, leaving) passes again until a
// pass finds nothing to send, so objects written during a pass go too. Lives on the target's
// main thread.
class Rebalancer final : public QObject
{
    Q_OBJECT
public:
    Rebalancer(ObjectStore &store, const Cluster::Smap &smap, const Cluster::Snode &self,
               RebalanceSender &sender, QObject *parent = nullptr);

    ~Rebalancer() override;

    // Reads the record of the latest run from path (at start-up) and keeps it there from now on:
    // a run on the same map after a restart resumes it. A record that does not parse is ignored.
    void restore(const QString &path);
    // How long after a pass with failed sends the next one starts (3 s; tests shorten it).
    void setRetryInterval(int ms) { m_retry.setInterval(ms); }
    // The cluster map changed (a target joined, left, returned, or changed its maintenance).
    void onSmapChanged();
    // Stops the current run (an operator's stop); the next map change starts a new one.
    void stop();
    // An object another target moved here was stored.
    void countReceived(qint64 bytes);
    bool isRunning() const { return m_running; }
    // Not running, no failed send waiting for its retry, no interrupted run waiting to resume.
    bool isIdle() const { return !m_running && !m_retry.isActive() && m_resumeVersion < 0; }
    // The map version of the current (or last) run: its job id is g<version>.
    qint64 smapVersion() const { return m_rec.smapVersion; }
    // This target's progress, as the proxy gathers it for the job API.
    QJsonObject snapshot() const;
    // snapshot(), or empty before this target's first run (AIS leaves rebalance_snap out).
    QJsonObject snapshotIfStarted() const
    {
        return m_rec.hasStarted() ? snapshot() : QJsonObject{};
    }

private:
    void run();
    void walkNext();
    void pump();
    void send(const ObjectInfo &info, const QString &ownerUrl);
    void sent(const ObjectInfo &info, bool ok);
    void finish();
    bool selfOutOfPlacement() const;
    // A target leaving for good closes its writes and makes one more pass (see WriteGate).
    bool closeWritesFirst();
    void passWhenWritesDone();
    void save();

    ObjectStore &m_store;
    const Cluster::Smap &m_smap;
    const Cluster::Snode &m_self;
    RebalanceSender &m_sender;
    qint64 m_generation = 0; // bumped by every map change and stop: stale callbacks see it
    RebalanceRecord m_rec; // the current (or last) run: its map version is its id g<version>
    qint64 m_resumeVersion = -1; // a run killed mid-way on this map version (restore())
    std::unique_ptr<Node::SnapshotWriter> m_writer;
    quint64 m_pass = 0; // bumped by every pass (and the wait for writes before the last one)
    bool m_running = false;
    bool m_walking = false; // a bucket walk is on the I/O pool
    bool m_restart = false; // a new map arrived mid-run
    QStringList m_buckets; // still to walk
    std::deque<ObjectInfo> m_queue; // walked, not yet sent
    int m_inFlight = 0;
    qint64 m_queuedThisPass = 0;
    int m_drainPasses = 0; // passes again of a target out of placement, this map
    QTimer m_retry; // a pass with failed sends runs again
};

} // namespace Kiln::Target
