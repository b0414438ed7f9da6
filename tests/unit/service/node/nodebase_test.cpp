#include "service/node/nodebase.h"
#include "tests/unit/support/waituntil.h"


#include <gtest/gtest.h>

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>

using Kiln::Test::waitUntil;

namespace {

// A node with nothing of its own: the base's BMD file handling, opened up for the test.
class BareNode final : public Kiln::Node::NodeBase
{
public:
    explicit BareNode(const QString &dataDir)
        : NodeBase(config(dataDir), Kiln::Cluster::NodeType::Proxy, nullptr)
    {
    }
    using NodeBase::loadBmd;
    using NodeBase::makeDataDir;
    using NodeBase::saveBmd;
    Kiln::Api::Bmd &bmd() { return m_bmd; }

private:
    static Kiln::Node::NodeConfig config(const QString &dataDir)
    {
        Kiln::Node::NodeConfig c;
        c.dataDir = dataDir;
        return c;
    }
    bool isReady() const override { return true; }
    qint64 etlMdVersion() const override { return 0; }
};

QByteArray json(const Kiln::Api::Bmd &bmd)
{
    return QJsonDocument(bmd.toJson()).toJson(QJsonDocument::Compact);
}

} // namespace

TEST(NodeBase, SavedBucketMetadataLoadsBackAsItWas)
{
    QTemporaryDir dir;
    BareNode saver(dir.path());
    ASSERT_TRUE(saver.makeDataDir().hasValue());
    ASSERT_TRUE(saver.bmd().add(QStringLiteral("b1"), 1000).hasValue());
    ASSERT_TRUE(saver.bmd().add(QStringLiteral("b2"), 2000).hasValue());
    bool saved = false;
    saver.saveBmd([&] { saved = true; });
    EXPECT_FALSE(saved); // answered later, on this thread's event loop
    ASSERT_TRUE(waitUntil([&] { return saved; }));

    BareNode loader(dir.path());
    ASSERT_TRUE(loader.loadBmd().hasValue());
    EXPECT_EQ(loader.bmd().version(), saver.bmd().version());
    EXPECT_EQ(json(loader.bmd()), json(saver.bmd()));
}

TEST(NodeBase, NoSavedBucketMetadataLeavesItEmpty)
{
    QTemporaryDir dir;
    BareNode node(dir.path());
    ASSERT_TRUE(node.loadBmd().hasValue());
    EXPECT_TRUE(node.bmd().buckets().isEmpty());
}

TEST(NodeBase, UnreadableBucketMetadataIsAnErrorNamingTheFile)
{
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("bmd.json")));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("{not json");
    file.close();
    BareNode node(dir.path());
    auto loaded = node.loadBmd();
    ASSERT_FALSE(loaded.hasValue());
    EXPECT_TRUE(loaded.error().message.startsWith(dir.path() + QStringLiteral("/bmd.json: ")))
        << loaded.error().message.toStdString();
}
