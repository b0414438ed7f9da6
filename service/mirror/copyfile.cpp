#include "service/mirror/copyfile.h"

#include "service/target/checksummer.h"
#include "service/target/xattrs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>

#include <cerrno>
#include <optional>
#include <cstring>
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace Kiln::Mirror {
namespace {

QByteArray fget(int fd, const char *key)
{
    char buffer[4096];
    const ssize_t n = ::fgetxattr(fd, key, buffer, sizeof buffer);
    return n > 0 ? QByteArray(buffer, qsizetype(n)) : QByteArray();
}

CopyMeta readMeta(int fd, const struct stat &st)
{
    CopyMeta meta;
    meta.checksum = fget(fd, Target::Xattrs::Checksum);
    meta.checksumType = fget(fd, Target::Xattrs::ChecksumType);
    meta.version = fget(fd, Target::Xattrs::Version);
    meta.custom = fget(fd, Target::Xattrs::Custom);
    meta.dev = st.st_dev;
    meta.ino = st.st_ino;
    meta.size = st.st_size;
    return meta;
}

// The checksummer of meta's type; none when the copy cannot be checked.
std::optional<Target::Checksummer> checksummerFor(const CopyMeta &meta)
{
    if (meta.checksum.isEmpty())
        return std::nullopt;
    const QString type = meta.checksumType.isEmpty() ? QStringLiteral("xxhash2")
                                                     : QString::fromLatin1(meta.checksumType);
    auto made = Target::Checksummer::make(type);
    if (!made || type == QLatin1String("none"))
        return std::nullopt;
    return std::move(*made);
}

Error ioError(const QString &what, const QString &path, int err)
{
    return makeError(ErrorCode::Internal, QStringLiteral("mirror: %1 %2: %3")
                                              .arg(what, path, QString::fromLocal8Bit(strerror(err))));
}

} // namespace

CopyState verifyFile(const QByteArray &path, CopyMeta *meta)
{
    const int fd = ::open(path.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return CopyState::Missing;
    struct stat st
    { };
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return CopyState::Missing;
    }
    *meta = readMeta(fd, st);
    auto sum = checksummerFor(*meta);
    if (!sum) {
        ::close(fd);
        return CopyState::Good;
    }
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (;;) {
        const ssize_t n = ::read(fd, buffer.data(), size_t(buffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ::close(fd);
            return CopyState::Corrupt; // a read error: this copy cannot be served
        }
        if (n == 0)
            break;
        sum->update(buffer.constData(), n);
    }
    ::close(fd);
    return sum->digest().toLatin1() == meta->checksum ? CopyState::Good : CopyState::Corrupt;
}

Result<void> copyFile(const QByteArray &src, const CopyMeta &meta, const QString &dst,
                      const QString &tmpDir)
{
    const int in = ::open(src.constData(), O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return ioError(QStringLiteral("opening"), QFile::decodeName(src), errno);
    const QString temp = tmpDir + QStringLiteral("/mirror.")
        + QString::number(QRandomGenerator::global()->generate64(), 36);
    const QByteArray tempPath = QFile::encodeName(temp);
    const int out = ::open(tempPath.constData(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (out < 0) {
        const int err = errno;
        ::close(in);
        return ioError(QStringLiteral("creating"), temp, err);
    }
    auto fail = [&](const Error &error) -> Result<void> {
        ::close(in);
        ::close(out);
        ::unlink(tempPath.constData());
        return error;
    };
    auto sum = checksummerFor(meta);
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (;;) {
        const ssize_t n = ::read(in, buffer.data(), size_t(buffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(ioError(QStringLiteral("reading"), QFile::decodeName(src), errno));
        if (n == 0)
            break;
        if (sum)
            sum->update(buffer.constData(), n);
        for (ssize_t done = 0; done < n;) {
            const ssize_t w = ::write(out, buffer.constData() + done, size_t(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return fail(ioError(QStringLiteral("writing"), temp, errno));
            done += w;
        }
    }
    if (sum && sum->digest().toLatin1() != meta.checksum)
        return fail(makeError(ErrorCode::Conflict,
                              QStringLiteral("mirror: %1 changed or is corrupt (checksum mismatch)")
                                  .arg(QFile::decodeName(src))));
    using namespace Target;
    const bool metaOk = Xattrs::set(out, Xattrs::Checksum, meta.checksum)
        && (meta.checksumType.isEmpty() || Xattrs::set(out, Xattrs::ChecksumType, meta.checksumType))
        && Xattrs::set(out, Xattrs::Version, meta.version)
        && (meta.custom.isEmpty() || Xattrs::set(out, Xattrs::Custom, meta.custom));
    if (!metaOk)
        return fail(ioError(QStringLiteral("setting metadata of"), temp, errno));
    if (::fsync(out) != 0)
        return fail(ioError(QStringLiteral("fsync of"), temp, errno));
    const QString parent = QFileInfo(dst).path();
    if (!QDir().mkpath(parent))
        return fail(ioError(QStringLiteral("creating"), parent, ENOTDIR));
    if (::rename(tempPath.constData(), QFile::encodeName(dst).constData()) != 0)
        return fail(ioError(QStringLiteral("renaming to"), dst, errno));
    ::close(in);
    ::close(out);
    return {};
}

} // namespace Kiln::Mirror
