#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "service/target/xattrs.h"

#include <gtest/gtest.h>

#include <QCryptographicHash>
#include <QFile>
#include <QTemporaryDir>

#include <chrono>
#include <memory>
#include <thread>

#include <sys/xattr.h>

namespace Kiln::Target {
namespace {

// Object metadata beyond the bytes: custom keys, per-bucket checksum type and versioning, and
// writes filled from a file on the I/O pool.
class ObjectStoreMetaTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_store = std::make_unique<ObjectStore>(QStringList{m_dir.filePath("mp1")});
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("b"));
    }

    Result<ObjectInfo> put(const QString &name, const QByteArray &bytes)
    {
        auto writer = m_store->beginWrite("b", name);
        if (!writer)
            return writer.error();
        if (auto written = (*writer)->write(bytes.constData(), bytes.size()); !written)
            return written.error();
        return (*writer)->commitNow();
    }

    QTemporaryDir m_dir;
    std::unique_ptr<ObjectStore> m_store;
};

TEST_F(ObjectStoreMetaTest, CustomKeysMergeReplaceAndSurviveStat)
{
    ASSERT_TRUE(put("o", "x"));
    ASSERT_TRUE(m_store->setCustom("b", "o", {{"a", "1"}, {"b", "2"}}, false));
    ASSERT_TRUE(m_store->setCustom("b", "o", {{"b", "3"}, {"ünï", "çødé=,"}}, false));
    EXPECT_EQ(m_store->stat("b", "o")->custom,
              (CustomMd{{"a", "1"}, {"b", "3"}, {"ünï", "çødé=,"}}));
    ASSERT_TRUE(m_store->setCustom("b", "o", {{"z", "9"}}, true));
    EXPECT_EQ(m_store->stat("b", "o")->custom, (CustomMd{{"z", "9"}}));
    EXPECT_EQ(m_store->stat("b", "o")->version, "1"); // metadata is not a new version
    EXPECT_EQ(m_store->setCustom("b", "missing", {{"k", "v"}}, false).error().code,
              ErrorCode::NotFound);
}

TEST_F(ObjectStoreMetaTest, BucketSettingsChooseChecksumTypeAndVersioning)
{
    m_store->setWriteSettings({{"b", WriteSettings{"md5", false}}});
    auto info = put("o", "hello");
    ASSERT_TRUE(info);
    const QString md5
        = QString::fromLatin1(QCryptographicHash::hash("hello", QCryptographicHash::Md5).toHex());
    EXPECT_EQ(info->checksumType, "md5");
    EXPECT_EQ(info->checksum, md5);
    EXPECT_TRUE(info->version.isEmpty());
    ASSERT_TRUE(put("o", "hello again"));
    auto stat = m_store->stat("b", "o");
    EXPECT_EQ(stat->checksumType, "md5");
    EXPECT_TRUE(stat->version.isEmpty());
    m_store->setWriteSettings({});
    EXPECT_EQ(put("o", "x")->version, "1"); // versioning back on: the first version it counts
}

TEST_F(ObjectStoreMetaTest, WriteFromFileCopiesAndCarriesCustomKeys)
{
    const QString src = m_dir.filePath("src.bin");
    QByteArray data(3 * 1024 * 1024 + 7, 'k');
    {
        QFile f(src);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(data);
    }
    auto writer = m_store->beginWrite("b", "copy");
    ASSERT_TRUE(writer);
    (*writer)->setCustom({{"from", "file"}});
    auto future = m_store->writeFromFile(src, std::shared_ptr<ObjectWriter>(std::move(*writer)));
    future.waitForFinished();
    auto info = future.result();
    ASSERT_TRUE(info) << info.error().message.toStdString();
    EXPECT_EQ(info->size, data.size());
    auto stat = m_store->stat("b", "copy");
    EXPECT_EQ(stat->custom, (CustomMd{{"from", "file"}}));
    QFile f(stat->path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    EXPECT_EQ(f.readAll(), data);
}

TEST_F(ObjectStoreMetaTest, SummarizeCountsPerBucketAndPrefix)
{
    ASSERT_TRUE(put("d/a", QByteArray(10, 'a')));
    ASSERT_TRUE(put("d/b", QByteArray(30, 'b')));
    ASSERT_TRUE(put("e", QByteArray(5, 'e')));
    auto all = m_store->summarize({"b"}, {});
    all.waitForFinished();
    ASSERT_TRUE(all.result());
    const BucketUsage u = all.result()->first();
    EXPECT_EQ(u.objects, 3);
    EXPECT_EQ(u.bytes, 45);
    EXPECT_EQ(u.minSize, 5);
    EXPECT_EQ(u.maxSize, 30);
    auto some = m_store->summarize({"b"}, "d/");
    some.waitForFinished();
    EXPECT_EQ(some.result()->first().objects, 2);
    EXPECT_GT(m_store->diskCapacity(), 0);
}

} // namespace
} // namespace Kiln::Target

namespace Kiln::Target {
namespace {

// stat() keeps what it read from the extended attributes (MetaCache); it must never serve the
// metadata of a version of the file that is gone, however quickly the next one follows.
TEST_F(ObjectStoreMetaTest, StatNeverServesMetadataOfAReplacedOrChangedFile)
{
    ASSERT_TRUE(put("o", "first"));
    const QString first = m_store->stat("b", "o")->checksum;
    for (int i = 0; i < 20; ++i) { // rewrites within one clock tick, the same size each time
        const QByteArray bytes = QByteArray::number(10000 + i);
        const auto written = put("o", bytes);
        ASSERT_TRUE(written);
        const auto seen = m_store->stat("b", "o");
        ASSERT_TRUE(seen);
        EXPECT_EQ(seen->checksum, written->checksum) << i;
        EXPECT_NE(seen->checksum, first);
    }
    // An attribute changed behind the store's back (another process) shows through ctime, at the
    // filesystem's timestamp granularity (a clock tick; finer on kernels with multigrain times).
    const QByteArray path = QFile::encodeName(m_store->stat("b", "o")->path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_EQ(::setxattr(path.constData(), Xattrs::Version, "77", 2, 0), 0);
    EXPECT_EQ(m_store->stat("b", "o")->version, "77");
    ASSERT_TRUE(m_store->remove("b", "o"));
    EXPECT_FALSE(m_store->stat("b", "o"));
}

} // namespace
} // namespace Kiln::Target
