#include "shared/core/fileutil.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

namespace Kiln {
namespace {

class FileUtilTest : public testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(m_dir.isValid()); }
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
};

TEST_F(FileUtilTest, ReadsBackTheBytesWritten)
{
    static const char bytes[] = "binary\0with\0NULs\xff\xfe";
    const QByteArray content(bytes, sizeof bytes - 1); // the NULs inside included
    ASSERT_TRUE(writeFileAtomically(path("f"), content));
    const Result<QByteArray> back = readWholeFile(path("f"));
    ASSERT_TRUE(back) << back.error().message.toStdString();
    EXPECT_EQ(*back, content);
}

TEST_F(FileUtilTest, ReplacesTheWholeOldContent)
{
    ASSERT_TRUE(writeFileAtomically(path("f"), QByteArray(4096, 'a')));
    ASSERT_TRUE(writeFileAtomically(path("f"), "short"));
    const Result<QByteArray> back = readWholeFile(path("f"));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, "short");
}

TEST_F(FileUtilTest, WritesAnEmptyFile)
{
    ASSERT_TRUE(writeFileAtomically(path("empty"), {}));
    EXPECT_TRUE(QFile::exists(path("empty")));
    const Result<QByteArray> back = readWholeFile(path("empty"));
    ASSERT_TRUE(back);
    EXPECT_TRUE(back->isEmpty());
}

TEST_F(FileUtilTest, LeavesNoTemporaryFileBeside)
{
    ASSERT_TRUE(writeFileAtomically(path("f"), "one"));
    ASSERT_TRUE(writeFileAtomically(path("f"), "two"));
    const QStringList entries
        = QDir(m_dir.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    EXPECT_EQ(entries, QStringList{"f"});
}

TEST_F(FileUtilTest, ReadingAMissingFileIsNotFound)
{
    const Result<QByteArray> back = readWholeFile(path("absent"));
    ASSERT_FALSE(back);
    EXPECT_EQ(back.error().code, ErrorCode::NotFound);
}

TEST_F(FileUtilTest, WritingIntoAMissingFolderFails)
{
    const Result<void> written = writeFileAtomically(path("no/such/folder/f"), "x");
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().code, ErrorCode::Internal);
    EXPECT_TRUE(written.error().message.contains("no/such/folder/f"));
}

} // namespace
} // namespace Kiln
