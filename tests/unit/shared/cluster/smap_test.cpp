#include "shared/cluster/smap.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>

#include <string>

namespace Kiln::Cluster {
namespace {

Snode target(const QString &id, quint16 port = 9000)
{
    return Snode::make(id, NodeType::Target, "127.0.0.1", port);
}

QStringList idsOf(const Smap &smap)
{
    QStringList ids;
    for (const Snode &t : smap.targets())
        ids << t.id;
    return ids;
}

Smap sampleMap()
{
    Smap smap;
    smap.setPrimary(Snode::make("p-main", NodeType::Proxy, "10.0.0.1", 8080));
    smap.setIdentity("uuid-123", "2024-05-06T07:08:09Z");
    Snode maintained = target("t-b", 9002);
    maintained.flags = Snode::FlagMaintenance;
    smap.upsertTarget(target("t-c", 9003));
    smap.upsertTarget(maintained);
    smap.upsertTarget(target("t-a", 9001));
    smap.setVersion(41);
    return smap;
}

// Sends the map through text, as it travels between nodes.
Result<Smap> throughTheWire(const QJsonObject &json)
{
    return Smap::fromJson(QJsonDocument::fromJson(QJsonDocument(json).toJson()).object());
}

TEST(SmapTest, StartsEmptyAtVersionZero)
{
    const Smap smap;
    EXPECT_EQ(smap.version(), 0);
    EXPECT_TRUE(smap.targets().isEmpty());
    EXPECT_EQ(smap.target("t1"), nullptr);
}

TEST(SmapTest, UpsertBumpsTheVersionOnlyWhenTheMapChanges)
{
    Smap smap;
    EXPECT_TRUE(smap.upsertTarget(target("t1")));
    EXPECT_EQ(smap.version(), 1);
    EXPECT_FALSE(smap.upsertTarget(target("t1")));
    EXPECT_EQ(smap.version(), 1);
    EXPECT_TRUE(smap.upsertTarget(target("t1", 9999)));
    EXPECT_EQ(smap.version(), 2);
    EXPECT_EQ(smap.target("t1")->port, 9999);
    EXPECT_EQ(smap.targets().size(), 1);
}

TEST(SmapTest, FlagChangeIsAChange)
{
    Smap smap;
    smap.upsertTarget(target("t1"));
    Snode maintained = target("t1");
    maintained.flags = Snode::FlagMaintenance;
    EXPECT_TRUE(smap.upsertTarget(maintained));
    EXPECT_EQ(smap.version(), 2);
    EXPECT_TRUE(smap.target("t1")->inMaintenance());
}

TEST(SmapTest, RemoveBumpsTheVersionOnlyWhenTheTargetWasThere)
{
    Smap smap;
    smap.upsertTarget(target("t1"));
    smap.upsertTarget(target("t2"));
    EXPECT_EQ(smap.version(), 2);
    EXPECT_FALSE(smap.removeTarget("t9"));
    EXPECT_EQ(smap.version(), 2);
    EXPECT_TRUE(smap.removeTarget("t1"));
    EXPECT_EQ(smap.version(), 3);
    EXPECT_FALSE(smap.hasTarget("t1"));
    EXPECT_TRUE(smap.hasTarget("t2"));
    EXPECT_FALSE(smap.removeTarget("t1"));
    EXPECT_EQ(smap.version(), 3);
}

TEST(SmapTest, KeepsTargetsSortedById)
{
    Smap smap;
    for (const QString &id : {"t5", "t1", "t9", "t3", "t7", "t2"})
        smap.upsertTarget(target(id));
    QStringList ids = idsOf(smap);
    QStringList sorted = ids;
    sorted.sort();
    EXPECT_EQ(ids, sorted);
    EXPECT_EQ(ids.size(), 6);
}

TEST(SmapTest, WritesTheVersionAsAQuotedNumber)
{
    const QJsonObject json = sampleMap().toJson();
    ASSERT_TRUE(json.value("version").isString());
    EXPECT_EQ(json.value("version").toString(), "41");
}

TEST(SmapTest, ListsTargetsUnderTheirIdsAndThePrimaryInPmap)
{
    const QJsonObject json = sampleMap().toJson();
    const QJsonObject tmap = json.value("tmap").toObject();
    EXPECT_EQ(tmap.keys(), (QStringList{"t-a", "t-b", "t-c"}));
    EXPECT_EQ(tmap.value("t-b").toObject().value("daemon_id").toString(), "t-b");
    EXPECT_TRUE(json.value("pmap").toObject().contains("p-main"));
    EXPECT_EQ(json.value("proxy_si").toObject().value("daemon_id").toString(), "p-main");
    EXPECT_EQ(json.value("uuid").toString(), "uuid-123");
}

TEST(SmapTest, SurvivesAJsonRoundTrip)
{
    const Smap original = sampleMap();
    const Result<Smap> copy = throughTheWire(original.toJson());
    ASSERT_TRUE(copy) << copy.error().message.toStdString();
    EXPECT_EQ(copy->version(), 41);
    EXPECT_EQ(copy->uuid(), "uuid-123");
    EXPECT_EQ(copy->creationTime(), "2024-05-06T07:08:09Z");
    EXPECT_EQ(copy->primary(), original.primary());
    EXPECT_EQ(copy->targets(), original.targets());
    EXPECT_TRUE(copy->target("t-b")->inMaintenance());
}

TEST(SmapTest, ReadsAnUnquotedVersionToo)
{
    QJsonObject json = sampleMap().toJson();
    json.insert("version", 77);
    const Result<Smap> copy = Smap::fromJson(json);
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->version(), 77);
}

TEST(SmapTest, RejectsAVersionThatIsNotANumber)
{
    QJsonObject json = sampleMap().toJson();
    json.insert("version", "forty-one");
    const Result<Smap> copy = Smap::fromJson(json);
    ASSERT_FALSE(copy);
    EXPECT_EQ(copy.error().code, ErrorCode::InvalidArgument);
}

// One way to spoil a node entry of an otherwise good map.
struct BadNodeCase
{
    std::string label;
    QString key; // a key of the node entry, or a public_net key prefixed "net."
    QJsonValue value; // Undefined removes the key
};

class SmapBadNodeTest : public testing::TestWithParam<BadNodeCase>
{
protected:
    static QJsonObject spoil(QJsonObject node)
    {
        const BadNodeCase &c = GetParam();
        if (!c.key.startsWith("net.")) {
            put(&node, c.key, c.value);
            return node;
        }
        QJsonObject net = node.value("public_net").toObject();
        put(&net, c.key.mid(4), c.value);
        node.insert("public_net", net);
        return node;
    }

    static void put(QJsonObject *object, const QString &key, const QJsonValue &value)
    {
        if (value.isUndefined())
            object->remove(key);
        else
            object->insert(key, value);
    }
};

TEST_P(SmapBadNodeTest, IsRejectedInTheTargetMap)
{
    QJsonObject json = sampleMap().toJson();
    QJsonObject tmap = json.value("tmap").toObject();
    tmap.insert("t-b", spoil(tmap.value("t-b").toObject()));
    json.insert("tmap", tmap);
    const Result<Smap> smap = Smap::fromJson(json);
    ASSERT_FALSE(smap);
    EXPECT_EQ(smap.error().code, ErrorCode::InvalidArgument);
}

TEST_P(SmapBadNodeTest, IsRejectedAsThePrimary)
{
    QJsonObject json = sampleMap().toJson();
    json.insert("proxy_si", spoil(json.value("proxy_si").toObject()));
    EXPECT_FALSE(Smap::fromJson(json));
}

INSTANTIATE_TEST_SUITE_P(
    Entries, SmapBadNodeTest,
    testing::Values(BadNodeCase{"MissingId", "daemon_id", QJsonValue::Undefined},
                    BadNodeCase{"EmptyId", "daemon_id", ""},
                    BadNodeCase{"UnknownType", "daemon_type", "gateway"},
                    BadNodeCase{"MissingType", "daemon_type", QJsonValue::Undefined},
                    BadNodeCase{"MissingHost", "net.node_ip_addr", QJsonValue::Undefined},
                    BadNodeCase{"PortZero", "net.daemon_port", "0"},
                    BadNodeCase{"PortTooLarge", "net.daemon_port", "70000"},
                    BadNodeCase{"PortNotANumber", "net.daemon_port", "http"},
                    BadNodeCase{"NoPublicNet", "public_net", QJsonValue::Undefined}),
    [](const testing::TestParamInfo<BadNodeCase> &info) { return info.param.label; });

TEST(SmapTest, RejectsATargetMapEntryThatIsNotAnObject)
{
    QJsonObject json = sampleMap().toJson();
    QJsonObject tmap = json.value("tmap").toObject();
    tmap.insert("t-x", QJsonArray{1, 2});
    json.insert("tmap", tmap);
    EXPECT_FALSE(Smap::fromJson(json));
}

} // namespace
} // namespace Kiln::Cluster
