#include "service/ec/placement.h"
#include "service/ec/slicemeta.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"

#include <gtest/gtest.h>

#include <QSet>

namespace Kiln::Ec {
namespace {

Cluster::Smap mapOf(int targets)
{
    Cluster::Smap smap;
    for (int i = 0; i < targets; ++i)
        smap.upsertTarget(Cluster::Snode::make(QStringLiteral("t%1").arg(i),
                                               Cluster::NodeType::Target, "127.0.0.1",
                                               quint16(9000 + i)));
    return smap;
}

TEST(EcPlacementTest, SlicesGoToDistinctTargetsAfterTheOwner)
{
    const Cluster::Smap smap = mapOf(6);
    for (int n = 0; n < 200; ++n) {
        const QString object = QStringLiteral("obj-%1").arg(n);
        const Cluster::Snode *owner = Cluster::hrwTarget(smap, Cluster::objectUname("b", object));
        const QList<Cluster::Snode> order = hrwOrder(smap, "b", object);
        ASSERT_EQ(order.size(), 6);
        EXPECT_EQ(order.first().id, owner->id) << object.toStdString();
        const QList<Cluster::Snode> slices = slicePlacement(smap, "b", object, 3);
        ASSERT_EQ(slices.size(), 3);
        QSet<QString> ids;
        for (const Cluster::Snode &t : slices) {
            EXPECT_NE(t.id, owner->id);
            ids.insert(t.id);
        }
        EXPECT_EQ(ids.size(), 3);
        EXPECT_EQ(slices[0].id, order[1].id);
    }
}

TEST(EcPlacementTest, RemovingATargetKeepsTheOthersInOrder)
{
    Cluster::Smap smap = mapOf(5);
    const QList<Cluster::Snode> before = hrwOrder(smap, "b", "x");
    smap.removeTarget(before[1].id);
    const QList<Cluster::Snode> after = hrwOrder(smap, "b", "x");
    ASSERT_EQ(after.size(), 4);
    EXPECT_EQ(after[0].id, before[0].id);
    EXPECT_EQ(after[1].id, before[2].id);
    EXPECT_EQ(after[3].id, before[4].id);
    // A map smaller than asked gives what it has.
    EXPECT_EQ(slicePlacement(mapOf(2), "b", "x", 3).size(), 1);
}

TEST(EcSliceMetaTest, RoundTripsAndRefusesNonsense)
{
    SliceMeta m;
    m.objSize = 5'000'001;
    m.index = 2;
    m.data = 2;
    m.parity = 1;
    m.objCksumType = "xxhash2";
    m.objCksum = "abc";
    m.sliceCksum = "def";
    m.version = "3";
    auto back = SliceMeta::fromJson(m.toJson());
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->sameObject(m));
    EXPECT_EQ(back->index, 2);
    EXPECT_EQ(back->sliceCksum, "def");
    EXPECT_FALSE(SliceMeta::fromJson("{}"));
    EXPECT_FALSE(SliceMeta::fromJson(R"({"size":1,"idx":3,"data":2,"parity":1,"slice_ck":"x"})"));
    EXPECT_EQ(sliceLength(5, 2), 3);
    EXPECT_EQ(sliceLength(4, 2), 2);
}

} // namespace
} // namespace Kiln::Ec

namespace Kiln::Ec {
namespace {

TEST(EcPlacementTest, TooSmallAMapGivesSlicesInTurnOnlyWhenAskedTo)
{
    const Cluster::Smap smap = mapOf(3);
    const QList<Cluster::Snode> order = hrwOrder(smap, "b", "x");
    const QList<Cluster::Snode> wrapped = slicePlacement(smap, "b", "x", 3, true);
    ASSERT_EQ(wrapped.size(), 3);
    EXPECT_EQ(wrapped[0].id, order[1].id);
    EXPECT_EQ(wrapped[1].id, order[2].id);
    EXPECT_EQ(wrapped[2].id, order[1].id);
    EXPECT_EQ(slicePlacement(smap, "b", "x", 3, false).size(), 2);
    EXPECT_EQ(slicePlacement(mapOf(1), "b", "x", 3, true).size(), 0);
}

} // namespace
} // namespace Kiln::Ec
