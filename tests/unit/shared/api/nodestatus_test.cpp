#include "shared/api/nodestatus.h"

#include <gtest/gtest.h>

#include <QJsonArray>

namespace Kiln::Api {
namespace {

MountpathCapacity mountpath(const QString &path, quint64 used, quint64 avail)
{
    MountpathCapacity m;
    m.path = path;
    m.fs = "/dev/sdb1";
    m.fsType = "xfs";
    m.fsid[0] = 7;
    m.fsid[1] = -3;
    m.disks = {"sdb"};
    m.used = used;
    m.avail = avail;
    m.pctUsed = int(used * 100 / (used + avail));
    return m;
}

TEST(NodeStatusTest, CapacitySumsMountpathsAsAisTcdf)
{
    const QJsonObject tcdf
        = tcdfJson({mountpath("/a", 10, 90), mountpath("/b", 50, 50), mountpath("/c", 30, 70)}, {});
    // Go ",string" counters: decimal strings.
    EXPECT_EQ(tcdf.value("total_used").toString(), "90");
    EXPECT_EQ(tcdf.value("total_avail").toString(), "210");
    EXPECT_EQ(tcdf.value("pct_min").toInt(), 10);
    EXPECT_EQ(tcdf.value("pct_max").toInt(), 50);
    EXPECT_EQ(tcdf.value("pct_avg").toInt(), 30);
    const QJsonObject a = tcdf.value("mountpaths").toObject().value("/a").toObject();
    EXPECT_EQ(a.value("avail").toString(), "90");
    // cos.FsID marshals as "a,b"; cos.FS has no JSON tags (Go field names).
    EXPECT_EQ(a.value("fs").toObject().value("FsID").toString(), "7,-3");
    EXPECT_EQ(a.value("fs").toObject().value("FsType").toString(), "xfs");
    EXPECT_EQ(a.value("disks").toArray(), QJsonArray({"sdb"}));
}

TEST(NodeStatusTest, NoMountpathsMeansZeroPercentages)
{
    const QJsonObject tcdf = tcdfJson({}, "mountpath /x: gone");
    EXPECT_EQ(tcdf.value("pct_min").toInt(), 0);
    EXPECT_EQ(tcdf.value("cs_err").toString(), "mountpath /x: gone");
    EXPECT_TRUE(tcdf.value("mountpaths").toObject().isEmpty());
}

TEST(NodeStatusTest, StatusCarriesStateFlagsAndUptime)
{
    NodeStatus s;
    s.snode = Cluster::Snode::make("t1", Cluster::NodeType::Target, "127.0.0.1", 9000);
    s.uptimeNs = 1234567890123;
    s.version = "5.0.kiln-1";
    s.smapVersion = 12;
    s.clusterStarted = true;
    const QJsonObject json = s.toJson();
    // stats.copyValue marshals as a bare number.
    EXPECT_EQ(json.value("tracker").toObject().value("up.ns.time").toInteger(), 1234567890123);
    EXPECT_EQ(json.value("cluster").toObject().value("flags").toInt(), 6); // NodeStarted|Cluster
    EXPECT_EQ(json.value("smap_version").toString(), "12");
    EXPECT_EQ(json.value("ais_version").toString(), "5.0.kiln-1");
    s.clusterStarted = false;
    EXPECT_EQ(s.toJson().value("cluster").toObject().value("flags").toInt(), 4);
}

} // namespace
} // namespace Kiln::Api
