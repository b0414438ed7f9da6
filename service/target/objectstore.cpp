#include "service/target/objectstore.h"

#include "service/mirror/replicas.h"
#include "service/target/objectwriter.h"
#include "service/target/xattrs.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/core/logging.h"

#include <xxhash.h>

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QMutexLocker>
#include <QRandomGenerator>
#include <QtConcurrent>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace Kiln::Target {
namespace {

qint64 ns(const struct timespec &t)
{
    return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// A mirrored object has a file on several mountpaths: one entry, whose copies are the files
// found (entries sorted by name, so a name's files are adjacent).
void mergeCopies(QList<Api::LsoEntry> &entries)
{
    qsizetype out = 0;
    for (qsizetype i = 0; i < entries.size(); ++i) {
        if (out > 0 && entries[out - 1].name == entries[i].name) {
            ++entries[out - 1].copies;
            continue;
        }
        if (out != i)
            entries[out] = std::move(entries[i]);
        ++out;
    }
    entries.resize(out);
}

QString randomSuffix()
{
    return QString::number(QRandomGenerator::global()->generate64(), 36);
}

} // namespace

ObjectStore::ObjectStore(const QStringList &mountpaths, QObject *parent)
    : QObject(parent)
    , m_mountpaths(mountpaths)
    , m_replicas(std::make_unique<Mirror::Replicas>(*this))
{
    m_pool.setObjectName("kiln-io");
    m_pool.setMaxThreadCount(std::max(4, QThread::idealThreadCount() * 2));
}

ObjectStore::~ObjectStore()
{
    m_pool.waitForDone();
}

Result<void> ObjectStore::open()
{
    if (m_mountpaths.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "a target needs at least one mountpath");
    for (const QString &mp : m_mountpaths) {
        for (const char *sub : {"buckets", "tmp", "trash"}) {
            const QString dir = mp + '/' + sub;
            if (!QDir().mkpath(dir))
                return makeError(ErrorCode::Internal, QStringLiteral("cannot create %1").arg(dir));
        }
        // Whatever is in tmp/ was a write that never committed (crash, kill): it never was an
        // object, so it goes. trash/ holds buckets whose removal was cut short.
        for (const char *sub : {"tmp", "trash"}) {
            QDir dir(mp + '/' + sub);
            const auto entries = dir.entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot
                                                   | QDir::Hidden | QDir::System);
            for (const QFileInfo &entry : entries) {
                if (entry.isDir())
                    QDir(entry.filePath()).removeRecursively();
                else
                    QFile::remove(entry.filePath());
            }
            if (!entries.isEmpty())
                Log::store().info("{}: removed {} leftover entries from {}/", mp, entries.size(),
                                  sub);
        }
        const QString probe = mp + "/tmp/.xattr-probe";
        const int fd = ::open(QFile::encodeName(probe).constData(), O_CREAT | O_WRONLY, 0600);
        const bool xattrOk = fd >= 0 && Xattrs::set(fd, Xattrs::Version, "0");
        if (fd >= 0)
            ::close(fd);
        QFile::remove(probe);
        if (!xattrOk)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("mountpath %1 does not support user extended "
                                            "attributes, which hold object checksums and versions")
                                 .arg(mp));
    }
    return {};
}

QString ObjectStore::bucketDir(const QString &mountpath, const QString &bucket) const
{
    return mountpath + QStringLiteral("/buckets/") + bucket;
}

QString ObjectStore::tempDir(const QString &mountpath) const
{
    return mountpath + QStringLiteral("/tmp");
}

QString ObjectStore::objectPath(const QString &mountpath, const QString &bucket,
                                const QString &name) const
{
    return bucketDir(mountpath, bucket) + '/' + name;
}

QString ObjectStore::mountpathFor(const QString &bucket, const QString &name) const
{
    if (m_mountpaths.size() == 1)
        return m_mountpaths.first();
    const quint64 digest = Cluster::nameDigest(Cluster::objectUname(bucket, name));
    QString best;
    quint64 bestWeight = 0;
    for (const QString &mp : m_mountpaths) {
        const QByteArray key = mp.toUtf8();
        const quint64 weight = Cluster::hrwMix(
            XXH64(key.constData(), size_t(key.size()), Cluster::HrwSeed) ^ digest);
        if (best.isEmpty() || weight > bestWeight) {
            best = mp;
            bestWeight = weight;
        }
    }
    return best;
}

Result<void> ObjectStore::createBucket(const QString &bucket)
{
    for (const QString &mp : m_mountpaths) {
        if (!QDir().mkpath(bucketDir(mp, bucket)))
            return makeError(ErrorCode::Internal,
                             QStringLiteral("cannot create bucket folder on %1").arg(mp));
    }
    return {};
}

Result<void> ObjectStore::destroyBucket(const QString &bucket)
{
    QStringList moved;
    for (const QString &mp : m_mountpaths) {
        const QString dir = bucketDir(mp, bucket);
        if (!QFileInfo::exists(dir))
            continue;
        const QString trash = mp + "/trash/" + bucket + '.' + randomSuffix();
        if (!QDir().rename(dir, trash))
            return makeError(ErrorCode::Internal,
                             QStringLiteral("cannot remove bucket folder %1").arg(dir));
        moved.append(trash);
        m_meta.clear();
    }
    if (!moved.isEmpty()) {
        (void)QtConcurrent::run(&m_pool, [moved] {
            for (const QString &dir : moved)
                QDir(dir).removeRecursively();
        });
    }
    return {};
}

QStringList ObjectStore::localBuckets() const
{
    QSet<QString> names;
    for (const QString &mp : m_mountpaths) {
        for (const QString &name :
             QDir(mp + "/buckets").entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            names.insert(name);
    }
    QStringList list(names.begin(), names.end());
    list.sort();
    return list;
}

Result<ObjectInfo> ObjectStore::stat(const QString &bucket, const QString &name) const
{
    ObjectInfo info;
    info.bucket = bucket;
    info.name = name;
    info.mountpath = mountpathFor(bucket, name);
    info.path = objectPath(info.mountpath, bucket, name);
    QByteArray path = QFile::encodeName(info.path);
    struct stat st
    { };
    bool found = ::stat(path.constData(), &st) == 0 && S_ISREG(st.st_mode);
    // A mirrored object whose primary's mountpath lost it: any copy stands in until resilver.
    for (qsizetype i = 0; !found && m_mountpaths.size() > 1 && i < m_mountpaths.size(); ++i) {
        if (m_mountpaths[i] == info.mountpath)
            continue;
        const QString copy = objectPath(m_mountpaths[i], bucket, name);
        path = QFile::encodeName(copy);
        if (::stat(path.constData(), &st) == 0 && S_ISREG(st.st_mode)) {
            found = true;
            info.mountpath = m_mountpaths[i];
            info.path = copy;
        }
    }
    if (!found)
        return objectMissing(bucket, name);
    fillFromStat(info, path, st);
    return info;
}

void ObjectStore::fillFromStat(ObjectInfo &info, const QByteArray &path, const struct stat &st) const
{
    info.size = st.st_size;
    info.atimeNs = ns(st.st_atim);
    info.mtimeNs = ns(st.st_mtim);
    MetaCache::Meta meta;
    if (!m_meta.lookup(path, st, &meta)) {
        meta.checksum = QString::fromLatin1(Xattrs::get(path, Xattrs::Checksum));
        meta.checksumType = QString::fromLatin1(Xattrs::get(path, Xattrs::ChecksumType));
        meta.version = QString::fromLatin1(Xattrs::get(path, Xattrs::Version));
        meta.custom = Xattrs::decodeCustom(Xattrs::get(path, Xattrs::Custom));
        m_meta.insert(path, st, meta);
    }
    info.checksum = std::move(meta.checksum);
    if (!meta.checksumType.isEmpty())
        info.checksumType = std::move(meta.checksumType);
    info.version = std::move(meta.version);
    info.custom = std::move(meta.custom);
}

void ObjectStore::forgetMeta(const QString &path) const
{
    m_meta.drop(QFile::encodeName(path));
}

Error ObjectStore::objectMissing(const QString &bucket, const QString &name)
{
    return makeError(ErrorCode::NotFound,
                     QStringLiteral("%1 does not exist").arg(Api::objectCname(bucket, name)),
                     "ErrObjNotFound");
}

Result<OwnedFd> ObjectStore::openForRead(const ObjectInfo &info) const
{
    OwnedFd fd = OwnedFd::openReadOnly(info.path);
    if (!fd.valid())
        return objectMissing(info.bucket, info.name);
    return fd;
}

Result<std::unique_ptr<ObjectWriter>> ObjectStore::beginWrite(const QString &bucket,
                                                              const QString &name)
{
    ObjectInfo target;
    target.bucket = bucket;
    target.name = name;
    target.mountpath = mountpathFor(bucket, name);
    target.path = objectPath(target.mountpath, bucket, name);
    const QString temp = tempDir(target.mountpath) + "/put." + randomSuffix();
    const int fd
        = ::open(QFile::encodeName(temp).constData(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
    if (fd < 0)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot create a temporary file: %1")
                             .arg(QString::fromLocal8Bit(strerror(errno))));
    const WriteSettings settings = writeSettings(bucket);
    auto checksum = Checksummer::make(settings.checksumType);
    if (!checksum) // props are validated when set; an old or foreign BMD falls back to xxhash
        checksum = Checksummer::make(QStringLiteral("xxhash2"));
    return std::unique_ptr<ObjectWriter>(
        new ObjectWriter(this, target, temp, fd, std::move(*checksum), settings.versioning));
}

void ObjectStore::setWriteSettings(const QHash<QString, WriteSettings> &settings)
{
    const QWriteLocker locker(&m_settingsLock);
    m_settings = settings;
}

WriteSettings ObjectStore::writeSettings(const QString &bucket) const
{
    const QReadLocker locker(&m_settingsLock);
    return m_settings.value(bucket);
}

Result<ObjectInfo> ObjectStore::setCustom(const QString &bucket, const QString &name,
                                          const CustomMd &custom, bool replaceAll)
{
    const QString path = objectPath(mountpathFor(bucket, name), bucket, name);
    const QByteArray encoded = QFile::encodeName(path);
    // Under the object's lock, so a PUT committing at the same time does not lose the update
    // (it would land on the replaced file).
    const QMutexLocker locker(&objectLock(encoded));
    auto info = stat(bucket, name);
    if (!info)
        return info;
    CustomMd merged = replaceAll ? CustomMd() : info->custom;
    for (auto it = custom.constBegin(); it != custom.constEnd(); ++it)
        merged.insert(it.key(), it.value());
    const bool ok = merged.isEmpty()
        ? Xattrs::remove(encoded, Xattrs::Custom)
        : Xattrs::set(encoded, Xattrs::Custom, Xattrs::encodeCustom(merged));
    m_meta.drop(encoded);
    if (!ok)
        return makeError(
            ErrorCode::Internal,
            QStringLiteral("cannot store custom metadata of %1: %2")
                .arg(Api::objectCname(bucket, name), QString::fromLocal8Bit(strerror(errno))));
    info->custom = merged;
    return info;
}

Result<qint64> ObjectStore::pour(const QString &path, ObjectWriter &writer)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("cannot open %1: %2").arg(path, file.errorString()));
    QByteArray buffer(1024 * 1024, Qt::Uninitialized);
    qint64 total = 0;
    for (;;) {
        const qint64 n = file.read(buffer.data(), buffer.size());
        if (n < 0)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("reading %1: %2").arg(path, file.errorString()));
        if (n == 0)
            return total;
        if (auto written = writer.write(buffer.constData(), n); !written)
            return written.error();
        total += n;
    }
}

QFuture<Result<ObjectInfo>> ObjectStore::writeFromFile(const QString &path,
                                                       std::shared_ptr<ObjectWriter> writer)
{
    return QtConcurrent::run(&m_pool, [path, writer]() -> Result<ObjectInfo> {
        if (auto poured = pour(path, *writer); !poured)
            return poured.error();
        return writer->commitNow();
    });
}

Result<void> ObjectStore::remove(const QString &bucket, const QString &name, Removal why)
{
    auto removed = removeFiles(bucket, name);
    if (why == Removal::Deleted && (removed || removed.error().code == ErrorCode::NotFound))
        Q_EMIT objectRemoved(bucket, name);
    return removed;
}

Result<void> ObjectStore::removeFiles(const QString &bucket, const QString &name)
{
    const QString mp = mountpathFor(bucket, name);
    const QString path = objectPath(mp, bucket, name);
    struct stat st
    { };
    const QByteArray encoded = QFile::encodeName(path);
    // Copies on the other mountpaths go first: an object is never left with only stale copies.
    const int copiesRemoved = m_mountpaths.size() > 1 ? m_replicas->removeCopies(bucket, name) : 0;
    if (::stat(encoded.constData(), &st) != 0 || !S_ISREG(st.st_mode)) {
        if (copiesRemoved > 0)
            return {};
        return objectMissing(bucket, name);
    }
    m_meta.drop(encoded);
    if (::unlink(encoded.constData()) != 0)
        return makeError(
            ErrorCode::Internal,
            QStringLiteral("cannot delete %1: %2")
                .arg(Api::objectCname(bucket, name), QString::fromLocal8Bit(strerror(errno))));
    // Drop the virtual directories the name left behind, up to the bucket folder.
    const QString root = bucketDir(mp, bucket);
    QString dir = QFileInfo(path).path();
    while (dir.size() > root.size() && dir.startsWith(root)) {
        if (::rmdir(QFile::encodeName(dir).constData()) != 0)
            break;
        dir = QFileInfo(dir).path();
    }
    return {};
}

QFuture<Result<Api::LsoPage>> ObjectStore::list(const QString &bucket, const Api::LsoMsg &msg,
                                                const QString &locationTag) const
{
    QStringList roots, locations;
    for (const QString &mp : m_mountpaths) {
        roots.append(bucketDir(mp, bucket));
        locations.append(locationTag + ':' + mp); // as HEAD's Ais-Location: "t[<id>]:<mp>"
    }
    return QtConcurrent::run(&m_pool, [roots, msg, bucket, locations]() -> Result<Api::LsoPage> {
        const QString after = Api::aisNameLess(msg.continuationToken, msg.startAfter)
            ? msg.startAfter
            : msg.continuationToken;
        const QByteArray afterUtf8 = after.toUtf8();
        // Walk from the deepest folder the prefix names, not the whole bucket. No object name
        // holds an empty, "." or ".." component, so a prefix whose folder does matches nothing,
        // and walking that folder ("../other-bucket") would leave the bucket.
        const qsizetype slash = msg.prefix.lastIndexOf('/');
        const QString prefixDir = slash > 0 ? msg.prefix.left(slash) : QString();
        const bool walkable = prefixDir.isEmpty() || Api::validateObjectName(prefixDir);
        QList<Api::LsoEntry> entries;
        for (qsizetype r = 0; r < roots.size(); ++r) {
            const QString &root = roots[r];
            const QString start = prefixDir.isEmpty() ? root : root + '/' + prefixDir;
            if (!walkable || !QFileInfo(start).isDir())
                continue;
            QDirIterator it(start, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                it.next();
                const QString name = it.filePath().mid(root.size() + 1);
                if (!name.startsWith(msg.prefix)
                    || (!after.isEmpty() && name.toUtf8() <= afterUtf8))
                    continue;
                Api::LsoEntry e;
                e.name = name;
                const QByteArray path = QFile::encodeName(it.filePath());
                struct stat st
                { };
                if (::stat(path.constData(), &st) != 0)
                    continue; // deleted while we walked
                e.size = st.st_size;
                e.atimeNs = ns(st.st_atim);
                if (msg.wants("checksum"))
                    e.checksum = QString::fromLatin1(Xattrs::get(path, Xattrs::Checksum));
                if (msg.wants("version"))
                    e.version = QString::fromLatin1(Xattrs::get(path, Xattrs::Version));
                e.location = locations[r];
                e.flags = Api::LsoEntry::FlagCached;
                entries.append(e);
            }
        }
        Api::sortInAisOrder(entries);
        mergeCopies(entries);
        Api::LsoPage page;
        page.uuid = msg.uuid;
        const int pageSize = msg.effectivePageSize();
        if (entries.size() > pageSize) {
            entries.resize(pageSize);
            page.continuationToken = entries.last().name;
        }
        page.entries = std::move(entries);
        return page;
    });
}

QFuture<Result<QList<ObjectInfo>>> ObjectStore::walk(const QString &bucket,
                                                     const QString &prefix) const
{
    QStringList mountpaths = m_mountpaths;
    const ObjectStore *self = this;
    return QtConcurrent::run(
        &m_pool, [self, mountpaths, bucket, prefix]() -> Result<QList<ObjectInfo>> {
            QList<ObjectInfo> out;
            for (const QString &mp : mountpaths) {
                const QString root = self->bucketDir(mp, bucket);
                if (!QFileInfo(root).isDir())
                    continue;
                QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                                QDirIterator::Subdirectories);
                while (it.hasNext()) {
                    it.next();
                    const QString name = it.filePath().mid(root.size() + 1);
                    if (!name.startsWith(prefix))
                        continue;
                    struct stat st
                    { };
                    if (::stat(QFile::encodeName(it.filePath()).constData(), &st) != 0)
                        continue;
                    ObjectInfo info;
                    info.bucket = bucket;
                    info.name = name;
                    info.path = it.filePath();
                    info.mountpath = mp;
                    info.size = st.st_size;
                    out.append(info);
                }
            }
            std::sort(out.begin(), out.end(), [](const ObjectInfo &a, const ObjectInfo &b) {
                return Api::aisNameLess(a.name, b.name);
            });
            out.erase(std::unique(out.begin(), out.end(),
                                  [](const ObjectInfo &a, const ObjectInfo &b) {
                                      return a.name == b.name;
                                  }),
                      out.end());
            return out;
        });
}

QFuture<Result<QList<BucketUsage>>> ObjectStore::summarize(const QStringList &buckets,
                                                           const QString &prefix) const
{
    QStringList mountpaths = m_mountpaths;
    const ObjectStore *self = this;
    return QtConcurrent::run(
        &m_pool, [self, mountpaths, buckets, prefix]() -> Result<QList<BucketUsage>> {
            QList<BucketUsage> out;
            for (const QString &bucket : buckets) {
                BucketUsage u;
                u.bucket = bucket;
                for (const QString &mp : mountpaths) {
                    const QString root = self->bucketDir(mp, bucket);
                    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                                    QDirIterator::Subdirectories);
                    while (it.hasNext()) {
                        const QString path = it.next();
                        if (!prefix.isEmpty() && !path.mid(root.size() + 1).startsWith(prefix))
                            continue;
                        struct stat st
                        { };
                        if (::stat(QFile::encodeName(path).constData(), &st) != 0)
                            continue;
                        ++u.objects;
                        u.bytes += st.st_size;
                        u.onDisk += qint64(st.st_blocks) * 512;
                        u.minSize
                            = u.minSize < 0 ? st.st_size : std::min<qint64>(u.minSize, st.st_size);
                        u.maxSize = std::max<qint64>(u.maxSize, st.st_size);
                    }
                }
                out.append(u);
            }
            return out;
        });
}

qint64 ObjectStore::diskCapacity() const
{
    QSet<quint64> seen;
    qint64 total = 0;
    for (const QString &mp : m_mountpaths) {
        struct statvfs vfs
        { };
        if (::statvfs(QFile::encodeName(mp).constData(), &vfs) != 0 || seen.contains(vfs.f_fsid))
            continue;
        seen.insert(vfs.f_fsid);
        total += qint64(vfs.f_blocks) * qint64(vfs.f_frsize);
    }
    return total;
}

} // namespace Kiln::Target
