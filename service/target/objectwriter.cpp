#include "service/target/objectwriter.h"

#include "service/mirror/replicas.h"
#include "service/target/objectstore.h"
#include "service/target/xattrs.h"
#include "shared/core/logging.h"

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

QMutex &objectLock(const QByteArray &path)
{
    static QMutex locks[256];
    return locks[qHash(path) % 256];
}

ObjectWriter::ObjectWriter(ObjectStore *store, ObjectInfo target, QString tempPath, int fd,
                           Checksummer checksum, bool versioning)
    : m_store(store)
    , m_target(std::move(target))
    , m_tempPath(std::move(tempPath))
    , m_fd(fd)
    , m_checksum(std::move(checksum))
    , m_versioning(versioning)
{ }

ObjectWriter::~ObjectWriter()
{
    abort();
}

namespace {

// All of data to fd, at offset (or at the file position when offset < 0); a full disk is
// Unavailable (AIS's out-of-space), any other failure Internal.
Result<void> writeFully(int fd, const char *data, qsizetype size, qint64 offset,
                        const QString &name)
{
    qsizetype done = 0;
    while (done < size) {
        const ssize_t n = offset < 0
            ? ::write(fd, data + done, size_t(size - done))
            : ::pwrite(fd, data + done, size_t(size - done), off_t(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            return makeError(err == ENOSPC ? ErrorCode::Unavailable : ErrorCode::Internal,
                             QStringLiteral("writing %1: %2")
                                 .arg(name, QString::fromLocal8Bit(strerror(err))));
        }
        done += n;
    }
    return {};
}

} // namespace

Result<void> ObjectWriter::write(const char *data, qsizetype size)
{
    if (m_fd < 0)
        return makeError(ErrorCode::Internal, "write after commit or abort");
    m_checksum.update(data, size);
    if (auto written = writeFully(m_fd, data, size, -1, m_target.name); !written)
        return written;
    m_written += size;
    return {};
}

Result<void> ObjectWriter::writeAt(qint64 offset, const char *data, qsizetype size)
{
    if (m_fd < 0)
        return makeError(ErrorCode::Internal, "write after commit or abort");
    if (auto written = writeFully(m_fd, data, size, offset, m_target.name); !written)
        return written;
    m_written = std::max(m_written, offset + size);
    return {};
}

Result<void> ObjectWriter::fillFrom(const QString &path, qint64 length)
{
    const int src = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("cannot open %1: %2")
                             .arg(path, QString::fromLocal8Bit(strerror(errno))));
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    qint64 offset = 0;
    while (offset < length) {
        const ssize_t n = ::pread(src, buffer.data(),
                                  size_t(std::min<qint64>(buffer.size(), length - offset)), offset);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            ::close(src);
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("%1 changed while it was being appended to").arg(path));
        }
        qsizetype done = 0;
        while (done < n) {
            const ssize_t w
                = ::pwrite(m_fd, buffer.constData() + done, size_t(n - done), off_t(offset + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                const int err = errno;
                ::close(src);
                return makeError(ErrorCode::Internal,
                                 QStringLiteral("writing %1: %2")
                                     .arg(m_target.name, QString::fromLocal8Bit(strerror(err))));
            }
            done += w;
        }
        offset += n;
    }
    ::close(src);
    return {};
}

Result<QString> ObjectWriter::rehash()
{
    auto fresh = Checksummer::make(m_checksum.type());
    if (!fresh)
        return fresh.error();
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    for (qint64 offset = 0; offset < m_written;) {
        const ssize_t n
            = ::pread(m_fd, buffer.data(),
                      size_t(std::min<qint64>(buffer.size(), m_written - offset)), offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("reading back %1: %2")
                                 .arg(m_target.name, QString::fromLocal8Bit(strerror(errno))));
        fresh->update(buffer.constData(), n);
        offset += n;
    }
    m_checksum = std::move(*fresh);
    return m_checksum.digest();
}

void ObjectWriter::abort()
{
    if (m_fd < 0)
        return;
    ::close(m_fd);
    m_fd = -1;
    ::unlink(QFile::encodeName(m_tempPath).constData());
}

namespace {

bool writeMetadata(int fd, const ObjectInfo &info)
{
    if (!info.custom.isEmpty()
        && !Xattrs::set(fd, Xattrs::Custom, Xattrs::encodeCustom(info.custom)))
        return false;
    return Xattrs::set(fd, Xattrs::Checksum, info.checksum.toLatin1())
        && Xattrs::set(fd, Xattrs::ChecksumType, info.checksumType.toLatin1())
        && Xattrs::set(fd, Xattrs::Version, info.version.toLatin1());
}

Result<ObjectInfo> fail(int fd, const QByteArray &temp, const ObjectInfo &info, const QString &what,
                        int err)
{
    ::close(fd);
    ::unlink(temp.constData());
    const bool conflict = err == EISDIR || err == ENOTDIR || err == EEXIST || err == ENOTEMPTY;
    return makeError(conflict ? ErrorCode::Conflict : ErrorCode::Internal,
                     conflict ? QStringLiteral("cannot store %1: the name collides with "
                                               "an existing object or virtual directory")
                                    .arg(info.name)
                              : QStringLiteral("%1 %2: %3")
                                    .arg(what, info.name, QString::fromLocal8Bit(strerror(err))));
}

// How a commit treats the object it replaces (see ObjectWriter::keepSource).
struct CommitPolicy
{
    bool versioning = true;
    QString keepVersion;
    qint64 sourceMtimeNs = 0;
};

// Sets the metadata, fsyncs and renames the temporary file into place. Blocking.
Result<ObjectInfo> commitFile(int fd, ObjectInfo info, const QString &tempPath,
                              const QString &bucketRoot, const CommitPolicy &policy)
{
    const QByteArray temp = QFile::encodeName(tempPath);
    const QByteArray final = QFile::encodeName(info.path);
    // Concurrent PUTs of one object commit one at a time, so each bumps the version it
    // replaces (AIS bumps under the object's lock too).
    const QMutexLocker locker(&objectLock(final));
    if (policy.sourceMtimeNs > 0) {
        struct stat existing
        { };
        if (::stat(final.constData(), &existing) == 0
            && qint64(existing.st_mtim.tv_sec) * 1000000000 + existing.st_mtim.tv_nsec
                > policy.sourceMtimeNs) {
            ::close(fd);
            ::unlink(temp.constData());
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("%1: a newer copy is here already").arg(info.name),
                             QString::fromLatin1(NewerCopyTcode));
        }
    }
    if (!policy.keepVersion.isEmpty()) {
        info.version = policy.keepVersion;
    } else if (policy.versioning) {
        // The version follows the object being replaced (none while versioning is off).
        qint64 version = 1;
        if (const QByteArray old = Xattrs::get(final, Xattrs::Version); !old.isEmpty())
            version = old.toLongLong() + 1;
        info.version = QString::number(version);
    }
    if (!writeMetadata(fd, info))
        return fail(fd, temp, info, QStringLiteral("setting metadata of"), errno);
    if (::fsync(fd) != 0)
        return fail(fd, temp, info, QStringLiteral("fsync of"), errno);
    // Virtual directories of the name ("a/b/c") become real ones below the bucket.
    const QString parent = QFileInfo(info.path).path();
    if (parent != bucketRoot && !QDir().mkpath(parent))
        return fail(fd, temp, info, QStringLiteral("creating the directory of"), ENOTDIR);
    if (::rename(temp.constData(), final.constData()) != 0)
        return fail(fd, temp, info, QStringLiteral("renaming"), errno);
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
}

// The target is leaving the cluster and sent its objects off: a write that lands now would stay
// behind when it goes. 503, so the client asks the proxy again (which places it elsewhere).
Result<ObjectInfo> refuseLeaving(int fd, const QString &tempPath, const ObjectInfo &info)
{
    ::close(fd);
    ::unlink(QFile::encodeName(tempPath).constData());
    return makeError(ErrorCode::Unavailable,
                     QStringLiteral("%1/%2: this target is leaving the cluster; write it again "
                                    "through the proxy")
                         .arg(info.bucket, info.name),
                     QStringLiteral("ErrTargetLeaving"));
}

// Once the primary is in place: the bucket's copies on the other mountpaths (or none), before
// the write is answered. Blocking.
Result<ObjectInfo> mirror(const ObjectStore *store, Result<ObjectInfo> committed)
{
    if (!committed || store->mountpaths().size() <= 1)
        return committed;
    const int copies = store->writeSettings(committed->bucket).copies;
    if (auto copied = store->replicas().replicate(committed->bucket, committed->name, copies);
        !copied)
        return copied.error();
    return committed;
}

// The mirror copies, then the observers of every commit (EC slices), whatever path wrote it.
Result<ObjectInfo> finish(ObjectStore *store, Result<ObjectInfo> committed)
{
    auto done = mirror(store, std::move(committed));
    if (done)
        Q_EMIT store->objectCommitted(*done);
    return done;
}

} // namespace

Result<ObjectInfo> ObjectWriter::commitNow()
{
    if (m_fd < 0)
        return makeError(ErrorCode::Internal, "commit after commit or abort");
    const int fd = m_fd;
    m_fd = -1; // commitFile owns the descriptor now
    ObjectInfo info = m_target;
    info.size = m_written;
    info.checksum = m_checksum.digest();
    info.checksumType = m_checksum.type();
    const WriteGate::Pass pass = m_store->writeGate().enter();
    if (!pass)
        return refuseLeaving(fd, m_tempPath, info);
    auto committed = commitFile(fd, info, m_tempPath,
                                m_store->bucketDir(info.mountpath, info.bucket),
                                CommitPolicy{m_versioning, m_keepVersion, m_sourceMtimeNs});
    m_store->forgetMeta(info.path);
    return finish(m_store, std::move(committed));
}

QFuture<Result<ObjectInfo>> ObjectWriter::commit()
{
    if (m_fd < 0)
        return QtFuture::makeReadyFuture(
            Result<ObjectInfo>(makeError(ErrorCode::Internal, "commit after commit or abort")));
    const int fd = m_fd;
    m_fd = -1; // the pool task owns the descriptor now
    ObjectInfo info = m_target;
    info.size = m_written;
    info.checksum = m_checksum.digest();
    info.checksumType = m_checksum.type();
    const CommitPolicy policy{m_versioning, m_keepVersion, m_sourceMtimeNs};
    const QString tempPath = m_tempPath;
    const QString bucketRoot = m_store->bucketDir(info.mountpath, info.bucket);
    ObjectStore *store = m_store;
    return QtConcurrent::run(m_store->ioPool(), [=]() -> Result<ObjectInfo> {
        const WriteGate::Pass pass = store->writeGate().enter();
        if (!pass)
            return refuseLeaving(fd, tempPath, info);
        auto committed = commitFile(fd, info, tempPath, bucketRoot, policy);
        store->forgetMeta(info.path);
        return finish(store, std::move(committed));
    });
}

} // namespace Kiln::Target
