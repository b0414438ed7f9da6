#include "shared/cluster/hrw.h"
#include "shared/cluster/snode.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

namespace Kiln::Cluster {
namespace {

TEST(SnodeTest, MakeFillsTheIdDigest)
{
    const Snode node = Snode::make("t1", NodeType::Target, "127.0.0.1", 9001);
    EXPECT_EQ(node.idDigest, nodeIdDigest("t1"));
    EXPECT_EQ(node.flags, 0u);
}

TEST(SnodeTest, SpellsUrlAndTagAsAisDoes)
{
    EXPECT_EQ(Snode::make("abc", NodeType::Proxy, "10.1.2.3", 8080).url(), "http://10.1.2.3:8080");
    EXPECT_EQ(Snode::make("abc", NodeType::Proxy, "h", 1).tag(), "p[abc]");
    EXPECT_EQ(Snode::make("xyz", NodeType::Target, "h", 1).tag(), "t[xyz]");
}

TEST(SnodeTest, WritesAisFieldNamesWithThePortQuoted)
{
    const QJsonObject json = Snode::make("t1", NodeType::Target, "127.0.0.1", 9001).toJson();
    EXPECT_EQ(json.value("daemon_id").toString(), "t1");
    EXPECT_EQ(json.value("daemon_type").toString(), "target");
    for (const char *net : {"public_net", "intra_control_net", "intra_data_net"}) {
        const QJsonObject addr = json.value(net).toObject();
        EXPECT_EQ(addr.value("node_ip_addr").toString(), "127.0.0.1") << net;
        ASSERT_TRUE(addr.value("daemon_port").isString()) << net;
        EXPECT_EQ(addr.value("daemon_port").toString(), "9001") << net;
        EXPECT_EQ(addr.value("direct_url").toString(), "http://127.0.0.1:9001") << net;
    }
}

TEST(SnodeTest, PublishesTheIdDigestAsAnExactJsonInteger)
{
    // Digests are below 2^63, yet far above 2^53; the text must still carry every digit.
    for (const QString &id : {"t1", "t2", "a-long-target-id", "x"}) {
        const Snode node = Snode::make(id, NodeType::Target, "127.0.0.1", 9001);
        const QByteArray text = QJsonDocument(node.toJson()).toJson(QJsonDocument::Compact);
        const QJsonObject back = QJsonDocument::fromJson(text).object();
        EXPECT_EQ(quint64(back.value("id_digest").toInteger()), node.idDigest) << id.toStdString();
    }
}

TEST(SnodeTest, SurvivesAJsonRoundTrip)
{
    Snode node = Snode::make("proxy-7", NodeType::Proxy, "192.168.0.10", 51000);
    node.flags = Snode::FlagMaintenance;
    const Result<Snode> back = Snode::fromJson(node.toJson());
    ASSERT_TRUE(back) << back.error().message.toStdString();
    EXPECT_EQ(*back, node);
}

TEST(SnodeTest, RecomputesTheDigestInsteadOfTrustingTheWire)
{
    QJsonObject json = Snode::make("t1", NodeType::Target, "127.0.0.1", 9001).toJson();
    json.insert("id_digest", 12345);
    const Result<Snode> back = Snode::fromJson(json);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->idDigest, nodeIdDigest("t1"));
}

TEST(SnodeTest, TreatsMaintenanceAndDecommissionAsOutOfPlacement)
{
    Snode node = Snode::make("t1", NodeType::Target, "h", 1);
    EXPECT_FALSE(node.inMaintenance());
    node.flags = Snode::FlagMaintenance;
    EXPECT_TRUE(node.inMaintenance());
    node.flags = Snode::FlagDecommission;
    EXPECT_TRUE(node.inMaintenance());
    node.flags = 1; // some other flag
    EXPECT_FALSE(node.inMaintenance());
}

TEST(SnodeTest, NamesNodeTypes)
{
    EXPECT_EQ(nodeTypeName(NodeType::Proxy), "proxy");
    EXPECT_EQ(nodeTypeName(NodeType::Target), "target");
}

} // namespace
} // namespace Kiln::Cluster
