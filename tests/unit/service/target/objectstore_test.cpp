#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "tests/unit/support/randombytes.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <QDir>
#include <QFile>
#include <QHash>
#include <QTemporaryDir>

#include <memory>

namespace Kiln::Target {
namespace {

// The checksum AIS computes for xxhash buckets: xxhash64, seed 0, 16 lower-case hex digits.
QString xxhashOf(const QByteArray &bytes)
{
    return QString::asprintf(
        "%016llx",
        static_cast<unsigned long long>(XXH64(bytes.constData(), size_t(bytes.size()), 0)));
}

using Kiln::Test::randomBytes;

template<typename T> Result<T> await(QFuture<Result<T>> future)
{
    // Store futures complete on the I/O pool; nothing here needs the event loop.
    future.waitForFinished();
    return future.result();
}

QStringList entriesOf(const QString &dir)
{
    return QDir(dir).entryList(QDir::AllEntries | QDir::Hidden | QDir::System
                               | QDir::NoDotAndDotDot);
}

class ObjectStoreTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_mountpath = m_dir.filePath("mp1");
        m_store = std::make_unique<ObjectStore>(QStringList{m_mountpath});
        const Result<void> opened = m_store->open();
        ASSERT_TRUE(opened) << opened.error().message.toStdString();
        ASSERT_TRUE(m_store->createBucket("bck"));
    }

    Result<ObjectInfo> put(const QString &name, const QByteArray &bytes,
                           const QString &bucket = "bck")
    {
        Result<std::unique_ptr<ObjectWriter>> writer = m_store->beginWrite(bucket, name);
        if (!writer)
            return writer.error();
        if (Result<void> written = (*writer)->write(bytes.constData(), bytes.size()); !written)
            return written.error();
        return await((*writer)->commit());
    }

    QByteArray contentOf(const QString &name, const QString &bucket = "bck") const
    {
        const Result<ObjectInfo> info = m_store->stat(bucket, name);
        if (!info)
            return "<missing>";
        Result<OwnedFd> fd = m_store->openForRead(*info);
        QFile file;
        if (!fd || !file.open(fd->get(), QIODevice::ReadOnly))
            return "<unreadable>";
        return file.readAll(); // fd closes it
    }

    QStringList listAll(Api::LsoMsg msg, int *pages = nullptr)
    {
        QStringList names;
        int count = 0;
        for (;;) {
            const Result<Api::LsoPage> page = await(m_store->list("bck", msg, "t[x]"));
            EXPECT_TRUE(page);
            if (!page)
                break;
            ++count;
            EXPECT_LE(page->entries.size(), msg.effectivePageSize());
            for (const Api::LsoEntry &e : page->entries)
                names << e.name;
            if (page->continuationToken.isEmpty() || count > 10000)
                break;
            EXPECT_EQ(page->continuationToken, page->entries.last().name);
            msg.continuationToken = page->continuationToken;
        }
        if (pages)
            *pages = count;
        return names;
    }

    QString tmpDir() const { return m_mountpath + "/tmp"; }
    QString bucketDir() const { return m_mountpath + "/buckets/bck"; }

    QTemporaryDir m_dir;
    QString m_mountpath;
    std::unique_ptr<ObjectStore> m_store;
};

TEST_F(ObjectStoreTest, OpenCreatesTheLayout)
{
    for (const char *sub : {"buckets", "tmp", "trash"})
        EXPECT_TRUE(QFileInfo(m_mountpath + '/' + sub).isDir()) << sub;
}

TEST_F(ObjectStoreTest, OpenClearsWhatACrashLeftInTmpAndTrash)
{
    QFile(tmpDir() + "/put.abc").open(QIODevice::WriteOnly);
    QFile(tmpDir() + "/.hidden").open(QIODevice::WriteOnly);
    QDir().mkpath(tmpDir() + "/sub/deeper");
    QDir().mkpath(m_mountpath + "/trash/bck.old/a");
    ASSERT_TRUE(put("kept", "data"));

    ObjectStore reopened({m_mountpath});
    ASSERT_TRUE(reopened.open());
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty()) << entriesOf(tmpDir()).join(',').toStdString();
    EXPECT_TRUE(entriesOf(m_mountpath + "/trash").isEmpty());
    // Objects are not leftovers.
    EXPECT_TRUE(reopened.stat("bck", "kept"));
}

TEST_F(ObjectStoreTest, OpenWithoutMountpathsFails)
{
    ObjectStore none({});
    const Result<void> opened = none.open();
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, ErrorCode::InvalidArgument);
}

TEST_F(ObjectStoreTest, CommitStoresTheBytesWithTheirChecksumAndVersionOne)
{
    const QByteArray bytes = randomBytes(100000, 7);
    const Result<ObjectInfo> stored = put("dir/obj.bin", bytes);
    ASSERT_TRUE(stored) << stored.error().message.toStdString();
    EXPECT_EQ(stored->size, bytes.size());
    EXPECT_EQ(stored->checksum, xxhashOf(bytes));
    EXPECT_EQ(stored->version, "1");
    EXPECT_EQ(stored->path, bucketDir() + "/dir/obj.bin");

    const Result<ObjectInfo> info = m_store->stat("bck", "dir/obj.bin");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->size, bytes.size());
    EXPECT_EQ(info->checksum, xxhashOf(bytes));
    EXPECT_EQ(info->version, "1");
    EXPECT_GT(info->mtimeNs, 0);
    EXPECT_TRUE(contentOf("dir/obj.bin") == bytes);
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty());
}

TEST_F(ObjectStoreTest, HashesAnObjectWrittenInManyPieces)
{
    const QByteArray bytes = randomBytes(1 << 20, 8);
    Result<std::unique_ptr<ObjectWriter>> writer = m_store->beginWrite("bck", "pieces");
    ASSERT_TRUE(writer);
    for (qsizetype at = 0; at < bytes.size(); at += 4099)
        ASSERT_TRUE(
            (*writer)->write(bytes.constData() + at, std::min<qsizetype>(4099, bytes.size() - at)));
    EXPECT_EQ((*writer)->bytesWritten(), bytes.size());
    const Result<ObjectInfo> stored = await((*writer)->commit());
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->checksum, xxhashOf(bytes));
    EXPECT_TRUE(contentOf("pieces") == bytes);
}

TEST_F(ObjectStoreTest, StoresAnEmptyObject)
{
    const Result<ObjectInfo> stored = put("empty", {});
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->size, 0);
    EXPECT_EQ(stored->checksum, xxhashOf({}));
    EXPECT_TRUE(contentOf("empty").isEmpty());
}

TEST_F(ObjectStoreTest, OverwriteBumpsTheVersionAndReplacesTheBytes)
{
    ASSERT_TRUE(put("obj", "first version"));
    const Result<ObjectInfo> second = put("obj", "second");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->version, "2");
    EXPECT_EQ(second->checksum, xxhashOf("second"));
    EXPECT_EQ(contentOf("obj"), "second");
    EXPECT_EQ(m_store->stat("bck", "obj")->version, "2");
    EXPECT_EQ(put("obj", "third")->version, "3");
}

TEST_F(ObjectStoreTest, AWriterDestroyedWithoutCommitLeavesTheOldObjectAndNoTemporaryFile)
{
    ASSERT_TRUE(put("obj", "old"));
    {
        Result<std::unique_ptr<ObjectWriter>> writer = m_store->beginWrite("bck", "obj");
        ASSERT_TRUE(writer);
        ASSERT_TRUE((*writer)->write("new bytes never committed", 25));
        EXPECT_EQ(entriesOf(tmpDir()).size(), 1);
    }
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty());
    EXPECT_EQ(contentOf("obj"), "old");
    EXPECT_EQ(m_store->stat("bck", "obj")->version, "1");
    EXPECT_EQ(m_store->stat("bck", "obj")->checksum, xxhashOf("old"));
}

TEST_F(ObjectStoreTest, AnAbortedWriterRefusesFurtherWrites)
{
    Result<std::unique_ptr<ObjectWriter>> writer = m_store->beginWrite("bck", "obj");
    ASSERT_TRUE(writer);
    (*writer)->abort();
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty());
    EXPECT_FALSE((*writer)->write("x", 1));
    EXPECT_FALSE(m_store->stat("bck", "obj"));
}

TEST_F(ObjectStoreTest, AnObjectBelowAnExistingObjectIsAConflict)
{
    ASSERT_TRUE(put("a", "file"));
    const Result<ObjectInfo> nested = put("a/b", "below a file");
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().code, ErrorCode::Conflict);
    EXPECT_EQ(contentOf("a"), "file");
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty());
}

TEST_F(ObjectStoreTest, AnObjectNamedLikeAVirtualDirectoryIsAConflict)
{
    ASSERT_TRUE(put("a/b", "nested"));
    const Result<ObjectInfo> parent = put("a", "over a folder");
    ASSERT_FALSE(parent);
    EXPECT_EQ(parent.error().code, ErrorCode::Conflict);
    EXPECT_EQ(contentOf("a/b"), "nested");
    EXPECT_FALSE(m_store->stat("bck", "a"));
    EXPECT_TRUE(entriesOf(tmpDir()).isEmpty());
}

TEST_F(ObjectStoreTest, StatOfAMissingObjectIsNotFound)
{
    const Result<ObjectInfo> info = m_store->stat("bck", "nope");
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, ErrorCode::NotFound);
    EXPECT_EQ(info.error().tcode, "ErrObjNotFound");
    // A virtual directory is not an object either.
    ASSERT_TRUE(put("d/x", "1"));
    EXPECT_FALSE(m_store->stat("bck", "d"));
}

TEST_F(ObjectStoreTest, OpenPrimaryGivesWhatStatGivesWithTheFileOpen)
{
    const QByteArray bytes = randomBytes(70000, 3);
    ASSERT_TRUE(put("a/b.bin", bytes));
    ASSERT_TRUE(put("a/b.bin", bytes + "more")); // version 2, a new file under the same name
    const Result<ObjectInfo> stated = m_store->stat("bck", "a/b.bin");
    Result<ObjectStore::Opened> opened = m_store->openPrimary("bck", "a/b.bin");
    ASSERT_TRUE(stated);
    ASSERT_TRUE(opened) << opened.error().message.toStdString();
    const ObjectInfo &info = opened->info;
    EXPECT_EQ(info.path, stated->path);
    EXPECT_EQ(info.mountpath, stated->mountpath);
    EXPECT_EQ(info.size, bytes.size() + 4);
    EXPECT_EQ(info.checksum, xxhashOf(bytes + "more"));
    EXPECT_EQ(info.checksumType, stated->checksumType);
    EXPECT_EQ(info.version, "2");
    EXPECT_EQ(info.mtimeNs, stated->mtimeNs);
    QFile file;
    ASSERT_TRUE(file.open(opened->fd.get(), QIODevice::ReadOnly));
    EXPECT_TRUE(file.readAll() == bytes + "more");
}

TEST_F(ObjectStoreTest, OpenPrimaryOfAMissingObjectOrADirectoryIsNotFound)
{
    ASSERT_TRUE(put("d/x", "1"));
    for (const QString name : {"nope", "d"}) {
        const Result<ObjectStore::Opened> opened = m_store->openPrimary("bck", name);
        ASSERT_FALSE(opened) << name.toStdString();
        EXPECT_EQ(opened.error().code, ErrorCode::NotFound);
        EXPECT_EQ(opened.error().tcode, "ErrObjNotFound");
    }
}

TEST_F(ObjectStoreTest, RemoveDeletesTheObjectAndPrunesEmptyVirtualDirectories)
{
    ASSERT_TRUE(put("d1/d2/d3/obj", "deep"));
    ASSERT_TRUE(put("d1/keep", "stays"));
    ASSERT_TRUE(m_store->remove("bck", "d1/d2/d3/obj"));
    EXPECT_FALSE(m_store->stat("bck", "d1/d2/d3/obj"));
    EXPECT_FALSE(QFileInfo::exists(bucketDir() + "/d1/d2"));
    EXPECT_TRUE(QFileInfo(bucketDir() + "/d1").isDir());

    ASSERT_TRUE(m_store->remove("bck", "d1/keep"));
    EXPECT_FALSE(QFileInfo::exists(bucketDir() + "/d1"));
    // The bucket itself stays.
    EXPECT_TRUE(QFileInfo(bucketDir()).isDir());
    EXPECT_TRUE(m_store->localBuckets().contains("bck"));
}

TEST_F(ObjectStoreTest, RemoveOfAMissingObjectIsNotFound)
{
    const Result<void> removed = m_store->remove("bck", "nope");
    ASSERT_FALSE(removed);
    EXPECT_EQ(removed.error().code, ErrorCode::NotFound);
    ASSERT_TRUE(put("d/x", "1"));
    EXPECT_FALSE(m_store->remove("bck", "d"));
    EXPECT_TRUE(m_store->stat("bck", "d/x"));
}

TEST_F(ObjectStoreTest, ListReturnsSortedNamesWithSizes)
{
    const QStringList names{"zeta", "alpha", "m/n/o", "m/a", "Upper", ".hidden", "b c"};
    for (const QString &name : names)
        ASSERT_TRUE(put(name, name.toUtf8() + "!"));
    const Result<Api::LsoPage> page = await(m_store->list("bck", Api::LsoMsg{}, "t[x]"));
    ASSERT_TRUE(page);
    QStringList expected = names;
    expected.sort();
    QStringList listed;
    for (const Api::LsoEntry &e : page->entries) {
        listed << e.name;
        EXPECT_EQ(e.size, e.name.toUtf8().size() + 1) << e.name.toStdString();
        // As HEAD's Ais-Location says it: "t[<id>]:<mountpath>".
        EXPECT_TRUE(e.location.startsWith("t[x]:")
                    && m_store->mountpaths().contains(e.location.mid(5)))
            << e.location.toStdString();
    }
    EXPECT_EQ(listed, expected);
    EXPECT_TRUE(page->continuationToken.isEmpty());
}

TEST_F(ObjectStoreTest, ListPagesVisitEveryNameExactlyOnceInOrder)
{
    QStringList names;
    for (int i = 0; i < 250; ++i)
        names << QStringLiteral("d%1/sub%2/obj-%3").arg(i % 5).arg(i % 3).arg(i);
    for (const QString &name : names)
        ASSERT_TRUE(put(name, "x"));
    Api::LsoMsg msg;
    msg.pageSize = 7;
    int pages = 0;
    const QStringList listed = listAll(msg, &pages);
    QStringList expected = names;
    expected.sort();
    EXPECT_EQ(listed, expected);
    EXPECT_EQ(pages, (250 + 6) / 7);
}

TEST_F(ObjectStoreTest, ListOfAnExactlyFullPageEndsTheListing)
{
    for (int i = 0; i < 6; ++i)
        ASSERT_TRUE(put(QStringLiteral("o%1").arg(i), "x"));
    Api::LsoMsg msg;
    msg.pageSize = 3;
    int pages = 0;
    EXPECT_EQ(listAll(msg, &pages).size(), 6);
    // The page that hands out the last name says so: no empty page follows.
    EXPECT_EQ(pages, 2);
}

TEST_F(ObjectStoreTest, ListFiltersByPrefix)
{
    for (const QString &name :
         {"img/a.jpg", "img/b.jpg", "img/sub/c.jpg", "imgx", "img2/d", "txt/a", "im"})
        ASSERT_TRUE(put(name, "x"));
    auto listPrefix = [&](const QString &prefix) {
        Api::LsoMsg msg;
        msg.prefix = prefix;
        return listAll(msg);
    };
    EXPECT_EQ(listPrefix("img/"), (QStringList{"img/a.jpg", "img/b.jpg", "img/sub/c.jpg"}));
    EXPECT_EQ(listPrefix("img"),
              (QStringList{"img/a.jpg", "img/b.jpg", "img/sub/c.jpg", "img2/d", "imgx"}));
    EXPECT_EQ(listPrefix("img/sub/"), (QStringList{"img/sub/c.jpg"}));
    EXPECT_EQ(listPrefix("img/a"), (QStringList{"img/a.jpg"}));
    EXPECT_TRUE(listPrefix("nothing/").isEmpty());
    EXPECT_TRUE(listPrefix("img/a.jpg/").isEmpty());
}

TEST_F(ObjectStoreTest, ListNeverLeavesTheBucket)
{
    ASSERT_TRUE(m_store->createBucket("other"));
    ASSERT_TRUE(put("secret", "x", "other"));
    ASSERT_TRUE(put("mine", "x"));
    for (const QString &prefix : {"../other/", "../", "./../other/s", "mine/../../other/"}) {
        Api::LsoMsg msg;
        msg.prefix = prefix;
        EXPECT_TRUE(listAll(msg).isEmpty()) << prefix.toStdString();
    }
}

TEST_F(ObjectStoreTest, ListStartsAfterTheGivenName)
{
    for (const QString &name : {"a", "b", "c", "d"})
        ASSERT_TRUE(put(name, "x"));
    Api::LsoMsg msg;
    msg.startAfter = "b";
    EXPECT_EQ(listAll(msg), (QStringList{"c", "d"}));
}

TEST_F(ObjectStoreTest, ListCarriesChecksumAndVersionWhenAsked)
{
    ASSERT_TRUE(put("obj", "one"));
    ASSERT_TRUE(put("obj", "two"));
    Api::LsoMsg msg;
    msg.props = {"checksum", "version"};
    const Result<Api::LsoPage> page = await(m_store->list("bck", msg, "t[x]"));
    ASSERT_TRUE(page);
    ASSERT_EQ(page->entries.size(), 1);
    EXPECT_EQ(page->entries[0].checksum, xxhashOf("two"));
    EXPECT_EQ(page->entries[0].version, "2");
    EXPECT_EQ(page->entries[0].flags, Api::LsoEntry::FlagCached);
}

TEST_F(ObjectStoreTest, ListOfABucketWithoutFolderIsEmpty)
{
    const Result<Api::LsoPage> page = await(m_store->list("ghost", Api::LsoMsg{}, "t[x]"));
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->entries.isEmpty());
}

TEST_F(ObjectStoreTest, DestroyBucketRemovesItsFolder)
{
    ASSERT_TRUE(put("a/b/c", "x"));
    ASSERT_TRUE(m_store->createBucket("other"));
    EXPECT_EQ(m_store->localBuckets(), (QStringList{"bck", "other"}));
    ASSERT_TRUE(m_store->destroyBucket("bck"));
    EXPECT_FALSE(QFileInfo::exists(bucketDir()));
    EXPECT_EQ(m_store->localBuckets(), QStringList{"other"});
    EXPECT_FALSE(m_store->stat("bck", "a/b/c"));
    // The background removal empties trash/.
    ASSERT_TRUE(m_store->ioPool()->waitForDone(10000));
    EXPECT_TRUE(entriesOf(m_mountpath + "/trash").isEmpty());
}

TEST_F(ObjectStoreTest, DestroyingAMissingBucketIsFine)
{
    EXPECT_TRUE(m_store->destroyBucket("never-created"));
}

class MultiMountpathObjectStoreTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        for (const char *mp : {"mp1", "mp2", "mp3"})
            m_mountpaths << m_dir.filePath(mp);
        m_store = std::make_unique<ObjectStore>(m_mountpaths);
        ASSERT_TRUE(m_store->open());
        ASSERT_TRUE(m_store->createBucket("bck"));
    }

    QTemporaryDir m_dir;
    QStringList m_mountpaths;
    std::unique_ptr<ObjectStore> m_store;
};

TEST_F(MultiMountpathObjectStoreTest, SpreadsObjectsOverEveryMountpathAndListsThemAll)
{
    QStringList names;
    QHash<QString, int> perMountpath;
    for (int i = 0; i < 300; ++i) {
        const QString name = QStringLiteral("obj-%1").arg(i, 3, 10, QChar('0'));
        names << name;
        Result<std::unique_ptr<ObjectWriter>> writer = m_store->beginWrite("bck", name);
        ASSERT_TRUE(writer);
        ASSERT_TRUE((*writer)->write("x", 1));
        QFuture<Result<ObjectInfo>> committed = (*writer)->commit();
        committed.waitForFinished();
        ASSERT_TRUE(committed.result());
        const QString mp = committed.result()->mountpath;
        EXPECT_EQ(mp, m_store->mountpathFor("bck", name));
        EXPECT_TRUE(QFileInfo::exists(m_store->objectPath(mp, "bck", name)));
        ++perMountpath[mp];
    }
    EXPECT_EQ(perMountpath.size(), 3);
    for (int count : perMountpath)
        EXPECT_GT(count, 50);

    Api::LsoMsg msg;
    msg.pageSize = 40;
    QStringList listed;
    for (;;) {
        QFuture<Result<Api::LsoPage>> future = m_store->list("bck", msg, "t[x]");
        future.waitForFinished();
        const Result<Api::LsoPage> page = future.result(); // a copy: entries outlive the loop
        ASSERT_TRUE(page);
        for (const Api::LsoEntry &e : page->entries)
            listed << e.name;
        if (page->continuationToken.isEmpty())
            break;
        msg.continuationToken = page->continuationToken;
    }
    EXPECT_EQ(listed, names);
}

TEST_F(MultiMountpathObjectStoreTest, PlacementDoesNotDependOnMountpathOrder)
{
    QStringList reversed = m_mountpaths;
    std::reverse(reversed.begin(), reversed.end());
    const ObjectStore other(reversed);
    for (int i = 0; i < 200; ++i) {
        const QString name = QStringLiteral("n%1").arg(i);
        EXPECT_EQ(other.mountpathFor("bck", name), m_store->mountpathFor("bck", name));
    }
}

} // namespace
} // namespace Kiln::Target
