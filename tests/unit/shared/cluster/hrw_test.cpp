#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <QHash>
#include <QJsonDocument>
#include <QSet>

#include <bit>

namespace Kiln::Cluster {
namespace {

Snode target(const QString &id, quint16 port)
{
    return Snode::make(id, NodeType::Target, "127.0.0.1", port);
}

Smap mapOf(const QList<Snode> &targets)
{
    Smap smap;
    smap.setPrimary(Snode::make("p1", NodeType::Proxy, "127.0.0.1", 8080));
    smap.setIdentity("cluster-uuid", "2024-01-01T00:00:00Z");
    for (const Snode &t : targets)
        smap.upsertTarget(t);
    return smap;
}

const QList<Snode> ThreeTargets{target("t1", 9001), target("t2", 9002), target("t3", 9003)};

QByteArray nameAt(int i)
{
    return objectUname("bucket", QStringLiteral("dir-%1/object-%2.bin").arg(i % 97).arg(i));
}

// Object name -> id of the target HRW puts it on.
QHash<QByteArray, QString> placement(const Smap &smap, int count)
{
    QHash<QByteArray, QString> owners;
    for (int i = 0; i < count; ++i) {
        const QByteArray uname = nameAt(i);
        const Snode *owner = hrwTarget(smap, uname);
        owners.insert(uname, owner ? owner->id : QString());
    }
    return owners;
}

TEST(HrwTest, NameDigestIsXxhash64WithTheAisSeed)
{
    for (const QByteArray &uname :
         {QByteArray("ais/@#/bucket/object"), QByteArray(""), QByteArray("ais/@#/b/ü/名前")}) {
        EXPECT_EQ(nameDigest(uname), XXH64(uname.constData(), size_t(uname.size()), 1103515245))
            << uname.toStdString();
    }
}

TEST(HrwTest, UnameIsSpelledAsAisSpellsIt)
{
    EXPECT_EQ(objectUname("bck", "a/b.txt"), "ais/@#/bck/a/b.txt");
}

TEST(HrwTest, NodeIdDigestIsXxhash64OfTheIdWithTheTopBitCleared)
{
    for (const QString &id : {QStringLiteral("t1"), QStringLiteral("abcdefgh"), QString()}) {
        const QByteArray utf8 = id.toUtf8();
        const quint64 full = XXH64(utf8.constData(), size_t(utf8.size()), 1103515245);
        EXPECT_EQ(nodeIdDigest(id), full & ~(quint64(1) << 63));
        EXPECT_LT(nodeIdDigest(id), quint64(1) << 63);
    }
}

TEST(HrwTest, MixIsABijectionOnASample)
{
    // Every step of the finalizer (add, xor-shift, odd multiply, rotate) is invertible, so
    // distinct inputs can never collide.
    QSet<quint64> outputs;
    for (quint64 x = 0; x < 100000; ++x)
        outputs.insert(hrwMix(x));
    EXPECT_EQ(outputs.size(), 100000);
}

TEST(HrwTest, MixAvalanchesOneFlippedInputBitToAboutHalfTheOutputBits)
{
    double flipped = 0;
    int samples = 0;
    for (quint64 x = 1; x < 2000; ++x) {
        const quint64 input = x * 0x9e3779b97f4a7c15ULL;
        for (int bit = 0; bit < 64; ++bit) {
            flipped += std::popcount(hrwMix(input) ^ hrwMix(input ^ (quint64(1) << bit)));
            ++samples;
        }
    }
    EXPECT_NEAR(flipped / samples, 32.0, 1.0);
}

TEST(HrwTest, OwnerIsTheTargetWithTheHighestMixedWeight)
{
    const Smap smap = mapOf(ThreeTargets);
    for (int i = 0; i < 500; ++i) {
        const QByteArray uname = nameAt(i);
        const Snode *owner = hrwTarget(smap, uname);
        ASSERT_NE(owner, nullptr);
        for (const Snode &other : smap.targets()) {
            EXPECT_GE(hrwMix(owner->idDigest ^ nameDigest(uname)),
                      hrwMix(other.idDigest ^ nameDigest(uname)));
        }
    }
}

TEST(HrwTest, ChoosesTheSameTargetOnEveryCopyOfTheMap)
{
    const Smap original = mapOf(ThreeTargets);
    const Smap reversed = mapOf({ThreeTargets[2], ThreeTargets[0], ThreeTargets[1]});
    const QByteArray wire = QJsonDocument(original.toJson()).toJson();
    const Result<Smap> received = Smap::fromJson(QJsonDocument::fromJson(wire).object());
    ASSERT_TRUE(received) << received.error().message.toStdString();

    const auto expected = placement(original, 3000);
    EXPECT_EQ(placement(reversed, 3000), expected);
    EXPECT_EQ(placement(*received, 3000), expected);
}

TEST(HrwTest, GivesEveryTargetAFairShareOfNames)
{
    constexpr int Names = 30000;
    const Smap smap = mapOf(ThreeTargets);
    QHash<QString, int> counts;
    for (const QString &owner : placement(smap, Names))
        ++counts[owner];
    ASSERT_EQ(counts.size(), 3);
    const double mean = double(Names) / 3;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        EXPECT_GT(it.value(), mean * 0.85) << it.key().toStdString();
        EXPECT_LT(it.value(), mean * 1.15) << it.key().toStdString();
    }
}

TEST(HrwTest, RemovingATargetMovesOnlyTheNamesItOwned)
{
    constexpr int Names = 10000;
    Smap smap
        = mapOf({target("t1", 9001), target("t2", 9002), target("t3", 9003), target("t4", 9004)});
    const auto before = placement(smap, Names);
    ASSERT_TRUE(smap.removeTarget("t3"));
    const auto after = placement(smap, Names);
    int moved = 0;
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        if (it.value() == "t3") {
            EXPECT_NE(after.value(it.key()), "t3");
            ++moved;
        } else {
            EXPECT_EQ(after.value(it.key()), it.value()) << it.key().toStdString();
        }
    }
    EXPECT_GT(moved, 0);
}

TEST(HrwTest, AddingATargetTakesNamesOnlyForItself)
{
    constexpr int Names = 10000;
    Smap smap = mapOf(ThreeTargets);
    const auto before = placement(smap, Names);
    ASSERT_TRUE(smap.upsertTarget(target("t4", 9004)));
    const auto after = placement(smap, Names);
    for (auto it = after.cbegin(); it != after.cend(); ++it) {
        if (it.value() != "t4")
            EXPECT_EQ(it.value(), before.value(it.key()));
    }
}

TEST(HrwTest, NeverChoosesATargetInMaintenanceOrBeingDecommissioned)
{
    QList<Snode> targets = ThreeTargets;
    targets[0].flags = Snode::FlagMaintenance;
    targets[1].flags = Snode::FlagDecommission;
    const Smap smap = mapOf(targets);
    for (const QString &owner : placement(smap, 2000))
        EXPECT_EQ(owner, "t3");
}

TEST(HrwTest, MaintenanceMovesOnlyTheNamesOfTheTargetInMaintenance)
{
    const Smap healthy = mapOf(ThreeTargets);
    QList<Snode> targets = ThreeTargets;
    targets[1].flags = Snode::FlagMaintenance;
    const Smap degraded = mapOf(targets);
    const auto before = placement(healthy, 5000);
    const auto after = placement(degraded, 5000);
    for (auto it = before.cbegin(); it != before.cend(); ++it) {
        EXPECT_NE(after.value(it.key()), "t2");
        if (it.value() != "t2")
            EXPECT_EQ(after.value(it.key()), it.value());
    }
}

TEST(HrwTest, EmptyMapHasNoOwner)
{
    EXPECT_EQ(hrwTarget(Smap(), objectUname("b", "o")), nullptr);
}

TEST(HrwTest, MapWithEveryTargetInMaintenanceHasNoOwner)
{
    QList<Snode> targets = ThreeTargets;
    for (Snode &t : targets)
        t.flags = Snode::FlagMaintenance;
    EXPECT_EQ(hrwTarget(mapOf(targets), objectUname("b", "o")), nullptr);
}

} // namespace
} // namespace Kiln::Cluster
