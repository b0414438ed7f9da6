#include "service/target/objectwriter.h"

#include "service/target/objectstore.h"
#include "service/target/xattrs.h"
#include "shared/core/logging.h"

#include <xxhash.h>

#include <QDir>
#include <QFileInfo>
#include <QMutex>
#include <QtConcurrent>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Kiln::Target {
namespace {

// Striped locks: one of 256 per object path, shared by every writer of this process.
QMutex &commitLock(const QByteArray &path)
{
    static QMutex locks[256];
    return locks[qHash(path) % 256];
}

} // namespace

struct ObjectWriter::Hasher
{
    XXH64_state_t *state = XXH64_createState();
    Hasher() { XXH64_reset(state, 0); }
    ~Hasher() { XXH64_freeState(state); }
};

ObjectWriter::ObjectWriter(ObjectStore *store, ObjectInfo target, QString tempPath, int fd)
    : m_store(store)
    , m_target(std::move(target))
    , m_tempPath(std::move(tempPath))
    , m_fd(fd)
    , m_hasher(std::make_unique<Hasher>())
{ }

ObjectWriter::~ObjectWriter()
{
    abort();
}

Result<void> ObjectWriter::write(const char *data, qsizetype size)
{
    if (m_fd < 0)
        return makeError(ErrorCode::Internal, "write after commit or abort");
    XXH64_update(m_hasher->state, data, size_t(size));
    qsizetype done = 0;
    while (done < size) {
        const ssize_t n = ::write(m_fd, data + done, size_t(size - done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            return makeError(err == ENOSPC ? ErrorCode::Unavailable : ErrorCode::Internal,
                             QStringLiteral("writing %1: %2")
                                 .arg(m_target.name, QString::fromLocal8Bit(strerror(err))));
        }
        done += n;
    }
    m_written += size;
    return {};
}

void ObjectWriter::abort()
{
    if (m_fd < 0)
        return;
    ::close(m_fd);
    m_fd = -1;
    ::unlink(QFile::encodeName(m_tempPath).constData());
}

QFuture<Result<ObjectInfo>> ObjectWriter::commit()
{
    const int fd = m_fd;
    m_fd = -1; // the pool task owns the descriptor now
    ObjectInfo info = m_target;
    info.size = m_written;
    info.checksum = QStringLiteral("%1").arg(XXH64_digest(m_hasher->state), 16, 16, QChar('0'));
    const QString tempPath = m_tempPath;
    const QString bucketRoot = m_store->bucketDir(info.mountpath, info.bucket);
    return QtConcurrent::run(
        m_store->ioPool(), [fd, info, tempPath, bucketRoot]() mutable -> Result<ObjectInfo> {
            const QByteArray temp = QFile::encodeName(tempPath);
            const QByteArray final = QFile::encodeName(info.path);
            auto fail = [&](const QString &what, int err) -> Result<ObjectInfo> {
                ::close(fd);
                ::unlink(temp.constData());
                const bool conflict
                    = err == EISDIR || err == ENOTDIR || err == EEXIST || err == ENOTEMPTY;
                return makeError(
                    conflict ? ErrorCode::Conflict : ErrorCode::Internal,
                    conflict ? QStringLiteral("cannot store %1: the name collides with "
                                              "an existing object or virtual directory")
                                   .arg(info.name)
                             : QStringLiteral("%1 %2: %3")
                                   .arg(what, info.name, QString::fromLocal8Bit(strerror(err))));
            };
            // Concurrent PUTs of one object commit one at a time, so each bumps the version it
            // replaces (AIS bumps under the object's lock too).
            const QMutexLocker locker(&commitLock(final));
            // The version follows the object being replaced.
            qint64 version = 1;
            if (const QByteArray old = Xattrs::get(final, Xattrs::Version); !old.isEmpty())
                version = old.toLongLong() + 1;
            info.version = QString::number(version);
            if (!Xattrs::set(fd, Xattrs::Checksum, info.checksum.toLatin1())
                || !Xattrs::set(fd, Xattrs::Version, info.version.toLatin1()))
                return fail(QStringLiteral("setting metadata of"), errno);
            if (::fsync(fd) != 0)
                return fail(QStringLiteral("fsync of"), errno);
            // Virtual directories of the name ("a/b/c") become real ones below the bucket.
            const QString parent = QFileInfo(info.path).path();
            if (parent != bucketRoot && !QDir().mkpath(parent))
                return fail(QStringLiteral("creating the directory of"), ENOTDIR);
            if (::rename(temp.constData(), final.constData()) != 0)
                return fail(QStringLiteral("renaming"), errno);
            ::close(fd);
            // Make the rename itself durable.
            const int dirFd = ::open(QFile::encodeName(parent).constData(), O_RDONLY | O_DIRECTORY);
            if (dirFd >= 0) {
                ::fsync(dirFd);
                ::close(dirFd);
            }
            struct stat st
            { };
            if (::stat(final.constData(), &st) == 0) {
                info.atimeNs = qint64(st.st_atim.tv_sec) * 1000000000 + st.st_atim.tv_nsec;
                info.mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
            }
            return info;
        });
}

} // namespace Kiln::Target
