#include "service/ec/slicearea.h"
#include "service/ec/slicecodec.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>

namespace Kiln::Ec {
namespace {

class SliceCodecTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_store = std::make_unique<Target::ObjectStore>(QStringList{m_dir.filePath("mp1")});
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("b"));
    }

    Target::ObjectInfo put(const QString &name, const QByteArray &bytes)
    {
        auto writer = m_store->beginWrite("b", name);
        EXPECT_TRUE(writer);
        EXPECT_TRUE((*writer)->write(bytes.constData(), bytes.size()));
        auto info = (*writer)->commitNow();
        EXPECT_TRUE(info);
        return *info;
    }

    static QByteArray read(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
    }

    QString prefix() const { return m_dir.filePath("mp1/tmp/test"); }

    QTemporaryDir m_dir;
    std::unique_ptr<Target::ObjectStore> m_store;
};

QByteArray randomBytes(qsizetype n)
{
    QByteArray out(n, Qt::Uninitialized);
    QRandomGenerator rng(42);
    for (char &c : out)
        c = char(rng.generate());
    return out;
}

TEST_F(SliceCodecTest, SplitsIntoHalvesAndParityAcrossStripes)
{
    // Three and a bit stripes per slice, an odd size: the last slice is zero-padded.
    const QByteArray bytes = randomBytes(6 * StripeBytes + 12345);
    const Target::ObjectInfo info = put("o", bytes);
    auto files = SliceCodec::split(info, 2, 1, false, prefix());
    ASSERT_TRUE(files) << files.error().message.toStdString();
    ASSERT_EQ(files->size(), 3);
    const qint64 half = (bytes.size() + 1) / 2;
    EXPECT_EQ(read(files->at(0).path), bytes.left(half));
    EXPECT_EQ(read(files->at(1).path), bytes.mid(half) + QByteArray(1, '\0'));
    for (const SliceFile &f : *files) {
        EXPECT_TRUE(f.temporary);
        EXPECT_EQ(f.meta.objSize, bytes.size());
        EXPECT_EQ(f.meta.objCksum, info.checksum);
        EXPECT_EQ(*SliceArea::hashFile(f.path), f.meta.sliceCksum);
    }
    EXPECT_NE(read(files->at(2).path), read(files->at(0).path));
    SliceCodec::discard(*files);
    EXPECT_FALSE(QFile::exists(files->at(0).path));
}

TEST_F(SliceCodecTest, AnyLostSliceIsRestoredAndTheObjectRebuiltByteExact)
{
    const QByteArray bytes = randomBytes(3 * StripeBytes + 7);
    const Target::ObjectInfo info = put("o", bytes);
    auto files = SliceCodec::split(info, 2, 1, false, prefix());
    ASSERT_TRUE(files);
    for (int lost = 0; lost < 3; ++lost) {
        QMap<int, QString> have;
        for (const SliceFile &f : *files)
            if (f.meta.index != lost)
                have.insert(f.meta.index, f.path);
        auto restored = SliceCodec::restoreMissing(files->first().meta, have, prefix() + "r");
        ASSERT_TRUE(restored) << restored.error().message.toStdString();
        ASSERT_EQ(restored->size(), 1);
        EXPECT_EQ(read(restored->first().path), read(files->at(lost).path)) << lost;
        EXPECT_EQ(restored->first().meta.sliceCksum, files->at(lost).meta.sliceCksum);
        have.insert(lost, restored->first().path);
        ASSERT_TRUE(m_store->remove("b", "o"));
        auto rebuilt = SliceCodec::writeObject(*m_store, "b", "o", files->first().meta, have);
        ASSERT_TRUE(rebuilt) << rebuilt.error().message.toStdString();
        EXPECT_EQ(read(rebuilt->path), bytes) << lost;
        EXPECT_EQ(rebuilt->version, info.version);
        SliceCodec::discard(*restored);
    }
    SliceCodec::discard(*files);
}

TEST_F(SliceCodecTest, ACorruptedSliceNeverBecomesTheObject)
{
    const QByteArray bytes = randomBytes(StripeBytes + 99);
    const Target::ObjectInfo info = put("o", bytes);
    auto files = SliceCodec::split(info, 2, 1, false, prefix());
    ASSERT_TRUE(files);
    QFile slice(files->at(1).path);
    ASSERT_TRUE(slice.open(QIODevice::ReadWrite));
    slice.seek(10);
    slice.write("X");
    slice.close();
    ASSERT_TRUE(m_store->remove("b", "o"));
    QMap<int, QString> have{{0, files->at(0).path}, {1, files->at(1).path}};
    auto rebuilt = SliceCodec::writeObject(*m_store, "b", "o", files->first().meta, have);
    ASSERT_FALSE(rebuilt);
    EXPECT_NE(rebuilt.error().message.indexOf("checksum"), -1);
    EXPECT_FALSE(m_store->stat("b", "o")); // nothing half-right was stored
    SliceCodec::discard(*files);
}

TEST_F(SliceCodecTest, ASmallObjectIsItsOwnReplica)
{
    const Target::ObjectInfo info = put("s", "tiny");
    auto files = SliceCodec::split(info, 2, 1, true, prefix());
    ASSERT_TRUE(files);
    ASSERT_EQ(files->size(), 1);
    EXPECT_FALSE(files->first().temporary);
    EXPECT_EQ(files->first().path, info.path);
    EXPECT_TRUE(files->first().meta.replica);
    SliceCodec::discard(*files);
    EXPECT_TRUE(QFile::exists(info.path)); // never removed: it is the object
}

} // namespace
} // namespace Kiln::Ec
