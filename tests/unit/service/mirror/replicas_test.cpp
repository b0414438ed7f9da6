#include "service/mirror/replicas.h"
#include "service/mirror/resilver.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "tests/unit/support/randombytes.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include <memory>

namespace Kiln::Mirror {
namespace {

using Kiln::Test::randomBytes;

// One store with three mountpaths, its bucket "bck" mirrored with two copies.
class ReplicasTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        for (int i = 1; i <= 3; ++i)
            m_mountpaths << m_dir.filePath(QStringLiteral("mp%1").arg(i));
        m_store = std::make_unique<Target::ObjectStore>(m_mountpaths);
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("bck"));
        setCopies(2);
    }

    void setCopies(int copies)
    {
        Target::WriteSettings settings;
        settings.copies = copies;
        m_store->setWriteSettings({{QStringLiteral("bck"), settings}});
    }

    Result<Target::ObjectInfo> put(const QString &name, const QByteArray &bytes)
    {
        auto writer = m_store->beginWrite("bck", name);
        if (!writer)
            return writer.error();
        if (auto written = (*writer)->write(bytes.constData(), bytes.size()); !written)
            return written.error();
        auto future = (*writer)->commit();
        future.waitForFinished();
        return future.result();
    }

    // Which placement slots hold a file whose bytes are `bytes`.
    QList<bool> copiesEqualTo(const QString &name, const QByteArray &bytes) const
    {
        QList<bool> out;
        for (const QByteArray &path : m_store->replicas().paths("bck", name)) {
            QFile f(QFile::decodeName(path));
            out.append(f.open(QIODevice::ReadOnly) && f.readAll() == bytes);
        }
        return out;
    }

    static void flipByte(const QByteArray &path, qint64 at)
    {
        QFile f(QFile::decodeName(path));
        ASSERT_TRUE(f.open(QIODevice::ReadWrite));
        ASSERT_TRUE(f.seek(at));
        char c = 0;
        ASSERT_TRUE(f.getChar(&c));
        ASSERT_TRUE(f.seek(at));
        ASSERT_TRUE(f.putChar(char(c ^ 0x20)));
    }

    QTemporaryDir m_dir;
    QStringList m_mountpaths;
    std::unique_ptr<Target::ObjectStore> m_store;
};

TEST_F(ReplicasTest, PlacementStartsAtThePrimaryAndCoversEveryMountpathOnce)
{
    for (int i = 0; i < 50; ++i) {
        const QString name = QStringLiteral("obj-%1").arg(i);
        const QStringList placement = m_store->replicas().placement("bck", name);
        ASSERT_EQ(placement.size(), 3);
        EXPECT_EQ(placement.first(), m_store->mountpathFor("bck", name));
        EXPECT_EQ(QSet<QString>(placement.begin(), placement.end()),
                  QSet<QString>(m_mountpaths.begin(), m_mountpaths.end()));
        EXPECT_EQ(placement, m_store->replicas().placement("bck", name)); // stable
    }
}

TEST_F(ReplicasTest, CommitWritesTheCopiesAndDeleteRemovesThemAll)
{
    const QByteArray bytes = randomBytes(300 * 1024 + 7, 1);
    ASSERT_TRUE(put("a/b", bytes));
    EXPECT_EQ(copiesEqualTo("a/b", bytes), (QList<bool>{true, true, false}));
    EXPECT_EQ(m_store->replicas().presentMountpaths("bck", "a/b").size(), 2);
    ASSERT_TRUE(m_store->remove("bck", "a/b"));
    EXPECT_EQ(copiesEqualTo("a/b", bytes), (QList<bool>{false, false, false}));
    EXPECT_FALSE(m_store->stat("bck", "a/b"));
}

TEST_F(ReplicasTest, PickVerifiedPassesOverACorruptCopyAndRepairsIt)
{
    const QByteArray bytes = randomBytes(64 * 1024, 2);
    ASSERT_TRUE(put("x", bytes));
    const QList<QByteArray> paths = m_store->replicas().paths("bck", "x");
    for (int bad : {0, 1}) {
        flipByte(paths[bad], 1000);
        for (int read = 0; read < 2; ++read) { // whichever copy is tried first
            auto picked = m_store->replicas().pickVerified("bck", "x", 2);
            ASSERT_TRUE(picked) << picked.error().message.toStdString();
            EXPECT_NE(picked->path, QFile::decodeName(paths[bad])) << "the corrupt copy";
            EXPECT_EQ(picked->size, bytes.size());
        }
        EXPECT_EQ(copiesEqualTo("x", bytes), (QList<bool>{true, true, false}));
    }
}

TEST_F(ReplicasTest, EveryCopyCorruptIsAnErrorAndAMissingObjectIsNotFound)
{
    ASSERT_TRUE(put("y", randomBytes(4096, 3)));
    for (const QByteArray &path : m_store->replicas().paths("bck", "y").mid(0, 2))
        flipByte(path, 10);
    auto picked = m_store->replicas().pickVerified("bck", "y", 2);
    ASSERT_FALSE(picked);
    EXPECT_EQ(picked.error().code, ErrorCode::Internal);
    auto missing = m_store->replicas().pickVerified("bck", "nope", 2);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_F(ReplicasTest, SyncAddsAndDropsCopiesToTheCount)
{
    setCopies(1);
    const QByteArray bytes = randomBytes(10000, 4);
    ASSERT_TRUE(put("z", bytes));
    EXPECT_EQ(copiesEqualTo("z", bytes), (QList<bool>{true, false, false}));
    auto three = m_store->replicas().sync("bck", "z", 3);
    ASSERT_TRUE(three);
    EXPECT_EQ(three->written, 2);
    EXPECT_EQ(copiesEqualTo("z", bytes), (QList<bool>{true, true, true}));
    auto one = m_store->replicas().sync("bck", "z", 1);
    ASSERT_TRUE(one);
    EXPECT_EQ(one->removed, 2);
    EXPECT_EQ(copiesEqualTo("z", bytes), (QList<bool>{true, false, false}));
}

TEST_F(ReplicasTest, ResilverRestoresALostMountpathFromTheOtherCopies)
{
    QHash<QString, QByteArray> objects;
    for (int i = 0; i < 30; ++i) {
        const QString name = QStringLiteral("r/%1").arg(i);
        objects.insert(name, randomBytes(2000 + i, 5));
        ASSERT_TRUE(put(name, objects[name]));
    }
    ASSERT_TRUE(QDir(m_mountpaths[1] + "/buckets/bck").removeRecursively());
    const ResilverStats stats = Resilver::run(*m_store, {{QStringLiteral("bck"), 2}});
    EXPECT_EQ(stats.objects, 30);
    EXPECT_EQ(stats.errors, 0);
    EXPECT_GT(stats.written, 0);
    for (auto it = objects.constBegin(); it != objects.constEnd(); ++it)
        EXPECT_EQ(copiesEqualTo(it.key(), it.value()).mid(0, 2), (QList<bool>{true, true}))
            << it.key().toStdString();
}

} // namespace
} // namespace Kiln::Mirror
