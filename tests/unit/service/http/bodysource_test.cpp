#include "service/http/bodysource.h"

#include <gtest/gtest.h>

#include <QTemporaryDir>

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace Kiln::Http {
namespace {

class FileBodySourceTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        for (int i = 0; i < 1000; ++i)
            m_bytes += char(i * 7);
        QFile file(m_dir.filePath("f"));
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        ASSERT_EQ(file.write(m_bytes), m_bytes.size());
    }

    OwnedFd openFile() const
    {
        OwnedFd fd = OwnedFd::openReadOnly(m_dir.filePath("f"));
        EXPECT_TRUE(fd.valid());
        return fd;
    }

    // Everything the source hands out, in pieces of at most `piece` bytes.
    static QByteArray drain(BodySource &source, qint64 piece)
    {
        QByteArray all;
        for (int guard = 0; guard < 100000 && !source.atEnd(); ++guard) {
            const QByteArray chunk = source.read(piece);
            if (chunk.isEmpty())
                break;
            EXPECT_LE(chunk.size(), piece);
            all += chunk;
        }
        return all;
    }

    QTemporaryDir m_dir;
    QByteArray m_bytes;
};

TEST_F(FileBodySourceTest, StreamsTheRequestedRange)
{
    FileBodySource source(openFile(), 100, 300);
    EXPECT_EQ(source.size(), 300);
    EXPECT_EQ(drain(source, 64), m_bytes.mid(100, 300));
    EXPECT_TRUE(source.atEnd());
    EXPECT_TRUE(source.errorString().isEmpty());
    EXPECT_TRUE(source.read(64).isEmpty());
}

TEST_F(FileBodySourceTest, StreamsAWholeFile)
{
    FileBodySource source(openFile(), 0, m_bytes.size());
    EXPECT_EQ(drain(source, 4096), m_bytes);
    EXPECT_TRUE(source.atEnd());
}

TEST_F(FileBodySourceTest, EmptyRangeIsAtEndAtOnce)
{
    FileBodySource source(openFile(), 500, 0);
    EXPECT_TRUE(source.atEnd());
    EXPECT_TRUE(source.read(10).isEmpty());
}

TEST_F(FileBodySourceTest, AFileShorterThanAnnouncedIsAnError)
{
    // Sending fewer bytes than the Content-Length promised would hang or mislead the client.
    FileBodySource source(openFile(), 900, 300);
    EXPECT_EQ(drain(source, 64), m_bytes.mid(900));
    EXPECT_FALSE(source.errorString().isEmpty());
    EXPECT_TRUE(source.atEnd());
}

TEST_F(FileBodySourceTest, ReadGoesOnAfterWhatSkipSaysWasSent)
{
    // The connection sends part of the span itself (sendfile), then reads the rest.
    FileBodySource source(openFile(), 100, 600);
    const FileSpan span = source.fileSpan();
    EXPECT_GE(span.fd, 0);
    EXPECT_EQ(span.offset, 100);
    EXPECT_EQ(span.length, 600);
    source.skip(250);
    EXPECT_EQ(source.fileSpan().offset, 350);
    EXPECT_EQ(source.read(50), m_bytes.mid(350, 50));
    source.skip(100);
    EXPECT_EQ(drain(source, 64), m_bytes.mid(500, 200));
    EXPECT_TRUE(source.atEnd());
}

TEST_F(FileBodySourceTest, ABareDescriptorIsStreamedAndClosedWithTheSource)
{
    const int fd = ::open(QFile::encodeName(m_dir.filePath("f")).constData(), O_RDONLY);
    ASSERT_GE(fd, 0);
    {
        FileBodySource source(OwnedFd(fd), 10, 990);
        EXPECT_EQ(source.fileSpan().fd, fd);
        EXPECT_EQ(drain(source, 100), m_bytes.mid(10));
        EXPECT_TRUE(source.errorString().isEmpty());
        EXPECT_NE(::fcntl(fd, F_GETFD), -1) << "closed before the source went";
    }
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
    EXPECT_EQ(errno, EBADF);
}

TEST_F(FileBodySourceTest, NoDescriptorIsAnErrorAtOnce)
{
    FileBodySource source(OwnedFd(), 0, 10);
    EXPECT_FALSE(source.errorString().isEmpty());
    EXPECT_TRUE(source.atEnd());
    EXPECT_EQ(source.fileSpan().fd, -1);
}

} // namespace
} // namespace Kiln::Http
