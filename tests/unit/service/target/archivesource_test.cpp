#include "service/target/archivesource.h"
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QMap>
#include <QTemporaryDir>
#include <QThreadPool>

#include <archive.h>
#include <archive_entry.h>

namespace Kiln::Target {
namespace {

using Kiln::Test::randomBytes;
using Kiln::Test::waitUntil;

const QMap<QString, QByteArray> &members()
{
    static const QMap<QString, QByteArray> m{{"a.txt", "alpha\n"},
                                             {"dir/big.bin", randomBytes(2 * 1024 * 1024, 9)},
                                             {"dir/c.json", "{}"},
                                             {"empty", {}}};
    return m;
}

// Writes the members with libarchive's writer (format: "tar", "tgz" or "zip").
void writeArchive(const QString &path, const QString &format)
{
    struct archive *a = archive_write_new();
    if (format == "zip") {
        archive_write_set_format_zip(a);
    } else {
        archive_write_set_format_pax_restricted(a);
        if (format == "tgz")
            archive_write_add_filter_gzip(a);
    }
    ASSERT_EQ(archive_write_open_filename(a, QFile::encodeName(path).constData()), ARCHIVE_OK);
    for (auto it = members().constBegin(); it != members().constEnd(); ++it) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, it.key().toUtf8().constData());
        archive_entry_set_size(e, it.value().size());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_write_header(a, e);
        archive_write_data(a, it.value().constData(), size_t(it.value().size()));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

QByteArray drain(ArchiveSource &src)
{
    QByteArray out;
    while (!src.atEnd())
        out += src.read(64 * 1024);
    EXPECT_TRUE(src.errorString().isEmpty()) << src.errorString().toStdString();
    return out;
}

Result<std::shared_ptr<ArchiveCursor>> open(const ArchiveRead &read, const QString &path,
                                            const QString &name)
{
    auto future = ArchiveSource::open(read, path, name, QThreadPool::globalInstance());
    EXPECT_TRUE(waitUntil([&] { return future.isFinished(); }, 20000));
    return future.result();
}

class ArchiveSourceTest : public testing::TestWithParam<const char *>
{ };

TEST_P(ArchiveSourceTest, ReadsEveryMemberByName)
{
    QTemporaryDir dir;
    const QString format = GetParam();
    const QString path = dir.filePath("shard." + format);
    writeArchive(path, format);
    for (auto it = members().constBegin(); it != members().constEnd(); ++it) {
        auto read = ArchiveSource::parse(it.key(), {}, {}, {});
        ASSERT_TRUE(read);
        auto cursor = open(*read, path, "shard." + format);
        ASSERT_TRUE(cursor) << cursor.error().message.toStdString();
        ArchiveSource src(*cursor);
        EXPECT_EQ(src.size(), it.value().size());
        EXPECT_FALSE(src.isTar());
        EXPECT_EQ(drain(src), it.value()) << it.key().toStdString();
    }
}

TEST_P(ArchiveSourceTest, AMatchIsATarOfTheMatchingMembers)
{
    QTemporaryDir dir;
    const QString format = GetParam();
    const QString path = dir.filePath("shard." + format);
    writeArchive(path, format);
    auto read = ArchiveSource::parse({}, "dir/", "prefix", {});
    ASSERT_TRUE(read);
    auto cursor = open(*read, path, "shard." + format);
    ASSERT_TRUE(cursor);
    ArchiveSource src(*cursor);
    EXPECT_TRUE(src.isTar());
    const QString out = dir.filePath("out.tar");
    {
        QFile f(out);
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(drain(src));
    }
    // Read the answer back as a plain TAR.
    auto back = ArchiveSource::parse({}, "", "prefix", {});
    auto all = open(*back, out, "out.tar");
    ASSERT_TRUE(all);
    auto one = open(*ArchiveSource::parse("dir/big.bin", {}, {}, {}), out, "out.tar");
    ASSERT_TRUE(one);
    ArchiveSource big(*one);
    EXPECT_EQ(drain(big), members()["dir/big.bin"]);
    EXPECT_FALSE(open(*ArchiveSource::parse("a.txt", {}, {}, {}), out, "out.tar"));
}

INSTANTIATE_TEST_SUITE_P(Formats, ArchiveSourceTest, testing::Values("tar", "tgz", "zip"));

TEST(ArchiveSourceParseTest, ValidatesTheQueryAsAisDoes)
{
    EXPECT_TRUE(ArchiveSource::parse("x", {}, {}, {})->isArchiveRead());
    EXPECT_FALSE(ArchiveSource::parse({}, "x", {}, {})->isArchiveRead()); // no mode: plain GET
    EXPECT_EQ(ArchiveSource::parse("/x", {}, {}, {})->archpath, "x");
    EXPECT_EQ(ArchiveSource::parse({}, "*", "regexp", {})->mode, "prefix"); // match-all
    EXPECT_EQ(ArchiveSource::parse({}, "a", "fuzzy", {}).error().message,
              "dpq: 'archmode=fuzzy', err: invalid matching mode \"fuzzy\", expecting one of: "
              "[regexp prefix suffix substr wdskey]");
    EXPECT_TRUE(ArchiveSource::parse("x", "a", "prefix", {})
                    .error()
                    .message.contains("mutually exclusive"));
    EXPECT_FALSE(ArchiveSource::parse({}, "(", "regexp", {}));
}

TEST(ArchiveSourceOpenTest, MissingMemberIsNotFoundAndTextIsNoArchive)
{
    QTemporaryDir dir;
    writeArchive(dir.filePath("s.tar"), "tar");
    auto miss = open(*ArchiveSource::parse("nope", {}, {}, {}), dir.filePath("s.tar"), "s.tar");
    ASSERT_FALSE(miss);
    EXPECT_EQ(miss.error().code, ErrorCode::NotFound);
    QFile text(dir.filePath("t"));
    ASSERT_TRUE(text.open(QIODevice::WriteOnly));
    text.write("plain text");
    text.close();
    auto bad = open(*ArchiveSource::parse("x", {}, {}, {}), text.fileName(), "t");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "unrecognized or unsupported file format: \"t\"");
}

} // namespace
} // namespace Kiln::Target
