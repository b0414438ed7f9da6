#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "service/target/rebalancer.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace Kiln::Target {
namespace {

using Kiln::Test::holdsFor;
using Kiln::Test::waitUntil;

// Stands in for the network: records every send, and answers it at once (auto mode, with the
// verdict of answer()) or when the test says so (held mode).
class FakeSender final : public RebalanceSender
{
public:
    struct Sent
    {
        QString name;
        QString ownerUrl;
        std::function<void(bool)> done;
    };
    void send(const ObjectInfo &info, const QString &ownerUrl, QObject *,
              std::function<void(bool)> done) override
    {
        sent.append({info.name, ownerUrl, {}});
        if (hold)
            sent.last().done = std::move(done);
        else
            done(answer(info.name));
    }
    // Answers every held send that is still open.
    void release(bool ok)
    {
        // By index: an answer may start the next send, which appends here.
        for (qsizetype i = 0; i < sent.size(); ++i) {
            if (auto done = std::exchange(sent[i].done, {}))
                done(ok);
        }
    }
    QStringList names() const
    {
        QStringList out;
        for (const Sent &s : sent)
            out << s.name;
        return out;
    }
    QList<Sent> sent;
    bool hold = false;
    std::function<bool(const QString &)> answer = [](const QString &) { return true; };
};

Cluster::Snode target(const QString &id, quint16 port)
{
    return Cluster::Snode::make(id, Cluster::NodeType::Target, QStringLiteral("127.0.0.1"), port);
}

class RebalancerTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_store = std::make_unique<ObjectStore>(QStringList{m_dir.filePath("mp")});
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("bck"));
        m_self = target("t1", 9001);
        m_smap.upsertTarget(m_self);
        m_rebalancer = std::make_unique<Rebalancer>(*m_store, m_smap, m_self, m_sender);
        m_rebalancer->setRetryInterval(50);
    }

    void put(const QString &name)
    {
        auto writer = m_store->beginWrite("bck", name);
        ASSERT_TRUE(writer);
        const QByteArray bytes = name.toUtf8();
        ASSERT_TRUE((*writer)->write(bytes.constData(), bytes.size()));
        auto committed = (*writer)->commit();
        committed.waitForFinished();
        ASSERT_TRUE(committed.result());
    }

    QStringList putMany(int count, const QString &prefix = "o")
    {
        QStringList names;
        for (int i = 0; i < count; ++i) {
            names << QStringLiteral("%1/%2").arg(prefix).arg(i);
            put(names.last());
        }
        return names;
    }

    // The names whose HRW owner under the current map is not this target, with that owner's URL.
    QMap<QString, QString> movedAway(const QStringList &names) const
    {
        QMap<QString, QString> out;
        for (const QString &n : names) {
            const Cluster::Snode *owner
                = Cluster::hrwTarget(m_smap, Cluster::objectUname("bck", n));
            if (owner && owner->id != m_self.id)
                out.insert(n, owner->url());
        }
        return out;
    }

    bool isLocal(const QString &name) const { return bool(m_store->stat("bck", name)); }

    // A second target joins and this one goes out of placement with these flags.
    void outOfPlacement(quint64 flags)
    {
        m_smap.upsertTarget(target("t2", 9002));
        Cluster::Snode self = m_self;
        self.flags = flags;
        m_smap.upsertTarget(self);
    }

    bool idleOn(qint64 version) const
    {
        return m_rebalancer->isIdle() && m_rebalancer->smapVersion() == version;
    }

    QTemporaryDir m_dir;
    std::unique_ptr<ObjectStore> m_store;
    Cluster::Smap m_smap;
    Cluster::Snode m_self;
    FakeSender m_sender;
    std::unique_ptr<Rebalancer> m_rebalancer;
};

TEST_F(RebalancerTest, SendsExactlyTheObjectsWhoseHrwOwnerChangedToThatOwner)
{
    const QStringList names = putMany(120);
    m_rebalancer->onSmapChanged(); // alone in the map: nothing moves
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_TRUE(m_sender.sent.isEmpty());

    m_smap.upsertTarget(target("t2", 9002));
    m_smap.upsertTarget(target("t3", 9003));
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));

    const QMap<QString, QString> expected = movedAway(names);
    ASSERT_GT(expected.size(), 40); // two new targets take about two thirds
    ASSERT_LT(expected.size(), 120);
    QMap<QString, QString> sent;
    for (const auto &s : m_sender.sent)
        sent.insert(s.name, s.ownerUrl);
    EXPECT_EQ(sent, expected);
    EXPECT_EQ(m_sender.sent.size(), expected.size()); // each once
    for (const QString &n : names)
        EXPECT_EQ(isLocal(n), !expected.contains(n)) << n.toStdString();
    const QJsonObject snap = m_rebalancer->snapshot();
    EXPECT_EQ(snap.value("id").toString(), QStringLiteral("g%1").arg(m_smap.version()));
    EXPECT_EQ(snap.value("sent_objects").toInteger(), expected.size());
    EXPECT_FALSE(snap.value("running").toBool());
}

TEST_F(RebalancerTest, AFailedSendKeepsTheCopyAndALaterPassSendsItAgain)
{
    const QStringList names = putMany(60);
    m_smap.upsertTarget(target("t2", 9002));
    const QMap<QString, QString> expected = movedAway(names);
    ASSERT_FALSE(expected.isEmpty());
    const QString unlucky = expected.firstKey();
    int failures = 0;
    m_sender.answer = [&](const QString &n) { return !(n == unlucky && failures++ == 0); };
    m_rebalancer->onSmapChanged();

    // The first pass ends with one failure: that copy stays, and the job is not done yet.
    ASSERT_TRUE(waitUntil([&] { return m_sender.names().count(unlucky) == 2; }, 5000));
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_EQ(failures, 2);
    EXPECT_FALSE(isLocal(unlucky));
    for (const QString &n : expected.keys())
        EXPECT_FALSE(isLocal(n)) << n.toStdString();
    // The retry pass sent only what was still here.
    EXPECT_EQ(m_sender.sent.size(), expected.size() + 1);
}

TEST_F(RebalancerTest, AFailedSendIsReportedAsRunningUntilTheRetryPasses)
{
    putMany(30);
    m_smap.upsertTarget(target("t2", 9002));
    m_rebalancer->setRetryInterval(60000);
    m_sender.answer = [](const QString &) { return false; };
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return !m_rebalancer->isRunning() && !m_sender.sent.isEmpty(); }));
    EXPECT_FALSE(m_rebalancer->isIdle()); // the retry is pending
    EXPECT_TRUE(m_rebalancer->snapshot().value("running").toBool());
    for (const auto &s : m_sender.sent)
        EXPECT_TRUE(isLocal(s.name)) << s.name.toStdString();
}

TEST_F(RebalancerTest, ANewerMapMidRunStartsOverWithTheNewOwners)
{
    const QStringList names = putMany(100);
    m_sender.hold = true;
    m_smap.upsertTarget(target("t2", 9002));
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return m_sender.sent.size() == 8; })); // MaxInFlight
    const qint64 first = m_smap.version();

    // t2 leaves and t3 joins while 8 sends are in flight.
    m_smap.removeTarget("t2");
    m_smap.upsertTarget(target("t3", 9003));
    m_rebalancer->onSmapChanged();
    EXPECT_TRUE(holdsFor([&] { return m_sender.sent.size() == 8; }, 100)); // no new sends
    m_sender.hold = false;
    m_sender.release(true);
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_GT(m_smap.version(), first);

    // After the restart every send went to the owner the new map names.
    const auto after = m_sender.sent.mid(8);
    ASSERT_FALSE(after.isEmpty());
    for (const auto &s : after) {
        const Cluster::Snode *owner
            = Cluster::hrwTarget(m_smap, Cluster::objectUname("bck", s.name));
        ASSERT_TRUE(owner);
        EXPECT_EQ(s.ownerUrl, owner->url()) << s.name.toStdString();
        EXPECT_NE(s.ownerUrl, target("t2", 9002).url());
    }
    // And nothing the new map places elsewhere is left here.
    for (const QString &n : names) {
        if (isLocal(n))
            EXPECT_FALSE(movedAway({n}).contains(n)) << n.toStdString();
    }
    EXPECT_EQ(m_rebalancer->snapshot().value("id").toString(),
              QStringLiteral("g%1").arg(m_smap.version()));
}

TEST_F(RebalancerTest, StopEndsTheRunAfterTheSendsInFlight)
{
    putMany(100);
    m_sender.hold = true;
    m_smap.upsertTarget(target("t2", 9002));
    m_smap.upsertTarget(target("t3", 9003));
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return m_sender.sent.size() == 8; }));
    m_rebalancer->stop();
    m_sender.release(true);
    ASSERT_TRUE(waitUntil([&] { return !m_rebalancer->isRunning(); }));
    EXPECT_TRUE(holdsFor([&] { return m_sender.sent.size() == 8; }, 200));
    const QJsonObject snap = m_rebalancer->snapshot();
    EXPECT_TRUE(snap.value("aborted").toBool());
    EXPECT_FALSE(snap.value("running").toBool());
    EXPECT_EQ(snap.value("sent_objects").toInteger(), 8);
}

TEST_F(RebalancerTest, ATargetOutOfPlacementSendsEverythingIncludingObjectsWrittenMidPass)
{
    putMany(20);
    outOfPlacement(Cluster::Snode::FlagMaintenance | Cluster::Snode::FlagLeaving);
    m_sender.hold = true;
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return m_sender.sent.size() == 8; }));
    put("late"); // placed here just before the map changed; written after the walk
    m_sender.hold = false;
    m_sender.release(true);
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_TRUE(m_sender.names().contains("late"));
    EXPECT_FALSE(isLocal("late"));
    EXPECT_EQ(m_sender.sent.size(), 21);
}

TEST_F(RebalancerTest, ATargetLeavingForGoodClosesWritesAndSendsWhatCommittedBeforeTheClose)
{
    putMany(10);
    outOfPlacement(Cluster::Snode::FlagMaintenance | Cluster::Snode::FlagLeaving);
    // A commit that got through the gate just before it closed, still renaming its file.
    std::optional<WriteGate::Pass> inFlight(m_store->writeGate().enter());
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return m_store->writeGate().closed(); }));
    EXPECT_TRUE(holdsFor([&] { return !m_rebalancer->isIdle(); }, 200));
    // That commit lands (written through another store on the same disk: its own gate is open).
    ObjectStore other(m_store->mountpaths());
    ASSERT_TRUE(other.open());
    auto writer = other.beginWrite("bck", "late");
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write("late", 4));
    ASSERT_TRUE((*writer)->commitNow());
    inFlight.reset();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_TRUE(m_sender.names().contains("late"));
    EXPECT_FALSE(isLocal("late"));
    EXPECT_EQ(m_sender.sent.size(), 11);
}

TEST_F(RebalancerTest, AfterALeavingTargetsLastPassAWriteIsRefusedWith503AndLeavesNoTempFile)
{
    outOfPlacement(Cluster::Snode::FlagDecommission);
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    auto writer = m_store->beginWrite("bck", "too-late");
    ASSERT_TRUE(writer);
    ASSERT_TRUE((*writer)->write("x", 1));
    auto committed = (*writer)->commitNow();
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(committed.error().tcode, "ErrTargetLeaving");
    EXPECT_FALSE(isLocal("too-late"));
    EXPECT_TRUE(QDir(m_dir.filePath("mp/tmp")).isEmpty(QDir::Files | QDir::NoDotAndDotDot));
}

TEST_F(RebalancerTest, MaintenanceKeepsWritesOpen)
{
    putMany(5);
    outOfPlacement(Cluster::Snode::FlagMaintenance);
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    EXPECT_FALSE(m_store->writeGate().closed());
    put("after");
    EXPECT_TRUE(isLocal("after"));
}

TEST_F(RebalancerTest, ARunARestartInterruptedResumesAsTheSameJob)
{
    const QStringList names = putMany(40);
    m_smap.upsertTarget(target("t2", 9002));
    // The record a target killed mid-run left behind: this map's run, started, never ended.
    RebalanceRecord killed;
    killed.smapVersion = m_smap.version();
    killed.started = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000, Qt::UTC);
    killed.stats.sentObjects = 5;
    const QString path = m_dir.filePath("rebalance.json");
    {
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(killed.toJson());
    }
    m_rebalancer->restore(path);
    // Before it resumes it shows the job as still under way.
    QJsonObject snap = m_rebalancer->snapshotIfStarted();
    EXPECT_EQ(snap.value("id").toString(), QStringLiteral("g%1").arg(m_smap.version()));
    EXPECT_TRUE(snap.value("running").toBool());
    EXPECT_FALSE(m_rebalancer->isIdle());

    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    const qint64 moved = movedAway(names).size();
    snap = m_rebalancer->snapshot();
    EXPECT_EQ(snap.value("start-time").toString(), killed.started.toString(Qt::ISODateWithMs));
    EXPECT_EQ(snap.value("sent_objects").toInteger(), 5 + moved);
    // The ended record is on disk: a restart now starts nothing over.
    ASSERT_TRUE(waitUntil([&] {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return false;
        auto rec = RebalanceRecord::fromJson(file.readAll());
        return rec && rec->hasEnded() && rec->stats.sentObjects == 5 + moved;
    }));
}

TEST_F(RebalancerTest, ARunOnANewerMapThanTheRecordStartsAFreshJob)
{
    putMany(10);
    RebalanceRecord old;
    old.smapVersion = m_smap.version();
    old.started = QDateTime::fromMSecsSinceEpoch(1'700'000'000'000, Qt::UTC);
    old.stats.sentObjects = 7;
    const QString path = m_dir.filePath("rebalance.json");
    {
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(old.toJson());
    }
    m_rebalancer->restore(path);
    m_smap.upsertTarget(target("t2", 9002));
    m_rebalancer->onSmapChanged();
    ASSERT_TRUE(waitUntil([&] { return idleOn(m_smap.version()); }));
    const QJsonObject snap = m_rebalancer->snapshot();
    EXPECT_NE(snap.value("start-time").toString(), old.started.toString(Qt::ISODateWithMs));
    EXPECT_EQ(snap.value("sent_objects").toInteger(), m_sender.sent.size());
}

} // namespace
} // namespace Kiln::Target
