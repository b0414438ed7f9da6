#include "service/target/rebalancer.h"

#include "service/node/snapshotwriter.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QFile>

namespace Kiln::Target {
namespace {

constexpr int MaxInFlight = 8;
constexpr int RetryMs = 3000;
constexpr int SaveEvery = 64; // sent objects between two saves of the record
constexpr int MaxDrainPasses = 8; // a copy that never goes (it cannot be removed) stops here
constexpr int WriteWaitMs = 20; // a leaving target polls for commits that got in before closing

} // namespace

Rebalancer::Rebalancer(ObjectStore &store, const Cluster::Smap &smap, const Cluster::Snode &self,
                       RebalanceSender &sender, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_smap(smap)
    , m_self(self)
    , m_sender(sender)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(RetryMs);
    connect(&m_retry, &QTimer::timeout, this, &Rebalancer::run);
}

Rebalancer::~Rebalancer() = default;

void Rebalancer::restore(const QString &path)
{
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        if (auto rec = RebalanceRecord::fromJson(file.readAll())) {
            m_rec = *rec;
            m_resumeVersion = m_rec.hasEnded() ? -1 : m_rec.smapVersion;
            if (m_resumeVersion >= 0)
                Log::target().info("rebalance g{} did not end before the restart", m_resumeVersion);
        } else {
            Log::target().warn("{}: {}; starting afresh", path, rec.error().message);
        }
    }
    m_writer = std::make_unique<Node::SnapshotWriter>(path);
}

void Rebalancer::save()
{
    if (m_writer)
        m_writer->save(m_rec.toJson());
}

void Rebalancer::onSmapChanged()
{
    ++m_generation;
    m_rec.aborted = false;
    m_drainPasses = 0;
    m_retry.stop();
    if (m_running) {
        // Sends in flight finish (each is whole or not at all); then the run starts over.
        m_restart = true;
        m_queue.clear();
        m_buckets.clear();
        return;
    }
    if (m_smap.version() != m_resumeVersion)
        m_rec.stats = {};
    run();
}

void Rebalancer::stop()
{
    ++m_generation;
    m_retry.stop();
    m_queue.clear();
    m_buckets.clear();
    m_restart = false;
    if (m_running)
        m_rec.aborted = true;
}

void Rebalancer::countReceived(qint64 bytes)
{
    ++m_rec.stats.receivedObjects;
    m_rec.stats.receivedBytes += bytes;
}

void Rebalancer::run()
{
    ++m_pass;
    m_running = true;
    m_restart = false;
    // The run a restart interrupted goes on as the same job (id, start time, counters).
    const bool resumed = m_smap.version() == m_resumeVersion;
    m_resumeVersion = -1;
    // Another pass of the same map (a retry, a drain) is the same job; a new map is a new one.
    if (!resumed && (m_smap.version() != m_rec.smapVersion || !m_rec.started.isValid()))
        m_rec.started = QDateTime::currentDateTimeUtc();
    m_rec.smapVersion = m_smap.version();
    m_rec.ended = {};
    m_rec.aborted = false;
    save();
    m_queuedThisPass = 0;
    m_buckets = m_store.localBuckets();
    Log::target().info("rebalance g{}: {} ({} buckets, {} targets)", m_rec.smapVersion,
                       resumed ? "resumed after a restart" : "started", m_buckets.size(),
                       m_smap.targets().size());
    walkNext();
}

void Rebalancer::walkNext()
{
    if (m_buckets.isEmpty())
        return pump();
    const QString bucket = m_buckets.takeFirst();
    const qint64 generation = m_generation;
    m_walking = true;
    whenReady(
        m_store.walk(bucket, {}), this, [this, generation](const Result<QList<ObjectInfo>> &all) {
            m_walking = false;
            if (generation != m_generation)
                return pump(); // drains what is in flight, then restarts or ends
            if (!all) {
                ++m_rec.stats.errors;
                Log::target().error("rebalance g{}: {}", m_rec.smapVersion, all.error().message);
            } else {
                for (const ObjectInfo &info : *all) {
                    const Cluster::Snode *owner
                        = Cluster::hrwTarget(m_smap, Cluster::objectUname(info.bucket, info.name));
                    if (owner && owner->id != m_self.id) {
                        m_queue.push_back(info);
                        ++m_queuedThisPass;
                    }
                }
            }
            walkNext();
        });
}

void Rebalancer::pump()
{
    // A send that answers at once, or a walk already done, re-enters here: a nested call that
    // ended this pass (or started the next) leaves nothing for this one to finish.
    const quint64 pass = m_pass;
    while (m_inFlight < MaxInFlight && !m_queue.empty()) {
        const ObjectInfo info = m_queue.front();
        m_queue.pop_front();
        // The owner as the map says now (a newer map clears the queue, so this is the run's map).
        const Cluster::Snode *owner
            = Cluster::hrwTarget(m_smap, Cluster::objectUname(info.bucket, info.name));
        if (!owner || owner->id == m_self.id)
            continue;
        send(info, owner->url());
    }
    if (pass == m_pass && m_running && m_inFlight == 0 && m_queue.empty() && m_buckets.isEmpty()
        && !m_walking)
        finish();
}

void Rebalancer::send(const ObjectInfo &walked, const QString &ownerUrl)
{
    auto info = m_store.stat(walked.bucket, walked.name);
    if (!info)
        return; // deleted meanwhile
    ++m_inFlight;
    m_sender.send(*info, ownerUrl, this,
                  [this, sentInfo = *info](bool ok) { sent(sentInfo, ok); });
}

void Rebalancer::sent(const ObjectInfo &info, bool ok)
{
    --m_inFlight;
    if (!ok) {
        ++m_rec.stats.errors;
    } else {
        // The owner holds it now. Ours goes unless a client rewrote it meanwhile.
        auto now = m_store.stat(info.bucket, info.name);
        if (now && now->mtimeNs == info.mtimeNs && now->size == info.size) {
            const auto why = ObjectStore::Removal::MovedAway; // its slices stay, for the owner
            if (auto removed = m_store.remove(info.bucket, info.name, why); !removed)
                Log::target().warn("rebalance g{}: {}", m_rec.smapVersion, removed.error().message);
        }
        ++m_rec.stats.sentObjects;
        m_rec.stats.sentBytes += info.size;
        if (m_rec.stats.sentObjects % SaveEvery == 0)
            save();
    }
    pump();
}

void Rebalancer::finish()
{
    m_running = false;
    if (m_restart && !m_rec.aborted) {
        Log::target().info("rebalance g{}: a newer map arrived; starting over", m_rec.smapVersion);
        return run();
    }
    if (!m_rec.aborted && m_rec.stats.errors == 0 && m_queuedThisPass > 0
        && selfOutOfPlacement() && ++m_drainPasses < MaxDrainPasses) {
        // Leaving placement: objects written during this pass (a PUT the proxy placed here just
        // before the map changed) go with another pass; the one that finds nothing ends it.
        return run();
    }
    if (!m_rec.aborted && m_rec.stats.errors == 0 && closeWritesFirst())
        return;
    m_rec.ended = QDateTime::currentDateTimeUtc();
    save();
    Log::target().info("rebalance g{}: {} ({} objects, {} bytes sent; {} failed)",
                       m_rec.smapVersion, m_rec.aborted ? "stopped" : "done",
                       m_rec.stats.sentObjects, m_rec.stats.sentBytes, m_rec.stats.errors);
    // Failed sends kept their copies: try them again a little later (a new map resets this).
    if (m_rec.stats.errors > 0 && !m_rec.aborted) {
        m_rec.stats.errors = 0;
        m_retry.start();
    }
}

bool Rebalancer::closeWritesFirst()
{
    // Only a target that goes for good (Kiln's leave, a decommission): a PUT placed here on an
    // older map that commits after the last pass would stay behind when it goes. Maintenance
    // keeps its writes, as the target stays.
    const Cluster::Snode *self = m_smap.target(m_self.id);
    const quint64 departing = Cluster::Snode::FlagLeaving | Cluster::Snode::FlagDecommission;
    WriteGate &gate = m_store.writeGate();
    if (!self || !(self->flags & departing) || gate.closed())
        return false;
    gate.close();
    ++m_pass;
    m_running = true;
    Log::target().info("rebalance g{}: leaving for good; writes closed for the last pass",
                       m_rec.smapVersion);
    passWhenWritesDone();
    return true;
}

void Rebalancer::passWhenWritesDone()
{
    if (!m_store.writeGate().idle()) {
        // Commits that passed the gate before it closed finish in milliseconds.
        QTimer::singleShot(WriteWaitMs, this, &Rebalancer::passWhenWritesDone);
        return;
    }
    if (m_rec.aborted) // an operator's stop while waiting
        return finish();
    m_drainPasses = 0;
    run();
}

bool Rebalancer::selfOutOfPlacement() const
{
    const Cluster::Snode *self = m_smap.target(m_self.id);
    return !self || self->inMaintenance();
}

QJsonObject Rebalancer::snapshot() const
{
    // AIS's core.Snap of a rebalance xaction (what `ais show rebalance` reads), plus Kiln's own
    // progress fields for the proxy and the console.
    auto rfc3339 = [](const QDateTime &t) {
        return t.isValid() ? t.toString(Qt::ISODateWithMs) : QStringLiteral("0001-01-01T00:00:00Z");
    };
    // A run a restart interrupted is still under way until it resumes.
    const bool running = m_running || m_retry.isActive() || m_resumeVersion >= 0;
    return QJsonObject{
        {"id", QStringLiteral("g%1").arg(m_rec.smapVersion)},
        {"kind", QStringLiteral("rebalance")},
        {"start-time", rfc3339(m_rec.started)},
        {"end-time", rfc3339(running ? QDateTime() : m_rec.ended)},
        {"end_ns",
         !running && m_rec.ended.isValid() ? m_rec.ended.toMSecsSinceEpoch() * 1000000 : 0},
        {"aborted", m_rec.aborted},
        {"is_idle", !running},
        {"abort-err", QString()},
        {"err", QString()},
        {"stats",
         QJsonObject{{"loc-objs", QStringLiteral("0")},
                     {"loc-bytes", QStringLiteral("0")},
                     {"out-objs", QString::number(m_rec.stats.sentObjects)},
                     {"out-bytes", QString::number(m_rec.stats.sentBytes)},
                     {"in-objs", QString::number(m_rec.stats.receivedObjects)},
                     {"in-bytes", QString::number(m_rec.stats.receivedBytes)}}},
        {"smap_version", m_rec.smapVersion},
        {"running", running},
        {"sent_objects", m_rec.stats.sentObjects},
        {"sent_bytes", m_rec.stats.sentBytes},
        {"received_objects", m_rec.stats.receivedObjects},
        {"received_bytes", m_rec.stats.receivedBytes},
        {"errors", m_rec.stats.errors},
    };
}

} // namespace Kiln::Target
