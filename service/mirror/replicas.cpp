#include "service/mirror/replicas.h"

#include "service/mirror/copyfile.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "service/target/xattrs.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/core/logging.h"

#include <xxhash.h>

#include <QFile>
#include <QFileInfo>
#include <QMutexLocker>

#include <algorithm>
#include <unistd.h>

namespace Kiln::Mirror {
namespace {

// Removes the file and the folders its name made that are now empty, up to the bucket's folder.
bool unlinkObject(const QByteArray &path, const QString &bucketRoot)
{
    if (::unlink(path.constData()) != 0)
        return false;
    QString dir = QFileInfo(QFile::decodeName(path)).path();
    while (dir.size() > bucketRoot.size() && dir.startsWith(bucketRoot)) {
        if (::rmdir(QFile::encodeName(dir).constData()) != 0)
            break;
        dir = QFileInfo(dir).path();
    }
    return true;
}

} // namespace

Replicas::Replicas(Target::ObjectStore &store)
    : m_store(store)
    , m_reads(new std::atomic<int>[size_t(std::max<qsizetype>(1, store.mountpaths().size()))]{})
{ }

Replicas::~Replicas() = default;

QStringList Replicas::placement(const QString &bucket, const QString &name) const
{
    const QStringList &mps = m_store.mountpaths();
    if (mps.size() <= 1)
        return mps;
    const quint64 digest = Cluster::nameDigest(Cluster::objectUname(bucket, name));
    QList<QPair<quint64, QString>> weighted;
    for (const QString &mp : mps) {
        const QByteArray key = mp.toUtf8();
        weighted.append({Cluster::hrwMix(XXH64(key.constData(), size_t(key.size()),
                                               Cluster::HrwSeed)
                                         ^ digest),
                         mp});
    }
    // Highest weight first, as ObjectStore::mountpathFor picks the primary's.
    std::stable_sort(weighted.begin(), weighted.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    QStringList out;
    for (const auto &w : weighted)
        out.append(w.second);
    return out;
}

QList<QByteArray> Replicas::paths(const QString &bucket, const QString &name) const
{
    QList<QByteArray> out;
    for (const QString &mp : placement(bucket, name))
        out.append(QFile::encodeName(m_store.objectPath(mp, bucket, name)));
    return out;
}

int Replicas::mountpathIndex(const QString &mountpath) const
{
    return int(std::max<qsizetype>(0, m_store.mountpaths().indexOf(mountpath)));
}

int Replicas::readsInFlight(const QString &mountpath) const
{
    return m_reads[size_t(mountpathIndex(mountpath))].load();
}

Result<void> Replicas::replicate(const QString &bucket, const QString &name, int copies)
{
    const QStringList mps = placement(bucket, name);
    if (mps.size() <= 1)
        return {};
    const QList<QByteArray> files = paths(bucket, name);
    const QMutexLocker locker(&Target::objectLock(files.first()));
    CopyMeta meta;
    if (verifyFile(files.first(), &meta) == CopyState::Missing)
        return {}; // deleted in the meantime: nothing to mirror
    for (qsizetype i = 1; i < mps.size(); ++i) {
        if (i < copies) {
            auto copied = copyFile(files.first(), meta, QFile::decodeName(files[i]),
                                   mps[i] + QStringLiteral("/tmp"));
            m_store.forgetMeta(QFile::decodeName(files[i]));
            if (!copied)
                return copied;
        } else if (::access(files[i].constData(), F_OK) == 0) {
            unlinkObject(files[i], m_store.bucketDir(mps[i], bucket));
        }
    }
    return {};
}

int Replicas::removeCopies(const QString &bucket, const QString &name)
{
    const QStringList mps = placement(bucket, name);
    if (mps.size() <= 1)
        return 0;
    const QList<QByteArray> files = paths(bucket, name);
    const QMutexLocker locker(&Target::objectLock(files.first()));
    int removed = 0;
    for (qsizetype i = 1; i < mps.size(); ++i) {
        m_store.forgetMeta(QFile::decodeName(files[i]));
        if (unlinkObject(files[i], m_store.bucketDir(mps[i], bucket)))
            ++removed;
    }
    return removed;
}

QStringList Replicas::presentMountpaths(const QString &bucket, const QString &name) const
{
    QStringList out;
    const QStringList mps = placement(bucket, name);
    const QList<QByteArray> files = paths(bucket, name);
    for (qsizetype i = 0; i < mps.size(); ++i) {
        if (::access(files[i].constData(), F_OK) == 0)
            out.append(mps[i]);
    }
    return out;
}

Result<Target::ObjectInfo> Replicas::pickVerified(const QString &bucket, const QString &name,
                                                  int copies)
{
    const QStringList mps = placement(bucket, name);
    const QList<QByteArray> files = paths(bucket, name);
    const int n = int(std::min<qsizetype>(std::max(copies, 1), mps.size()));
    // The copies by load (ties: in turn, so reads spread and every copy gets verified), then the
    // other mountpaths as a last resort.
    const int first = int(m_turn.fetch_add(1, std::memory_order_relaxed) % unsigned(n));
    QList<int> order;
    for (int i = 0; i < mps.size(); ++i)
        order.append(i < n ? (first + i) % n : i);
    std::stable_sort(order.begin(), order.begin() + n, [&](int a, int b) {
        return m_reads[size_t(mountpathIndex(mps[a]))].load()
            < m_reads[size_t(mountpathIndex(mps[b]))].load();
    });
    QList<int> bad;
    int good = -1;
    bool corrupt = false;
    CopyMeta meta;
    for (int i : order) {
        std::atomic<int> &reads = m_reads[size_t(mountpathIndex(mps[i]))];
        ++reads;
        const CopyState state = verifyFile(files[i], &meta);
        --reads;
        if (state == CopyState::Good) {
            good = i;
            break;
        }
        corrupt = corrupt || state == CopyState::Corrupt;
        if (state == CopyState::Corrupt)
            Log::store().warn("mirror: {} on {}: checksum mismatch or read error, not served",
                              Api::objectCname(bucket, name).toStdString(), mps[i].toStdString());
        if (i < n)
            bad.append(i);
    }
    if (good < 0) {
        if (corrupt)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("%1: every copy is corrupt")
                                 .arg(Api::objectCname(bucket, name)));
        return Target::ObjectStore::objectMissing(bucket, name);
    }
    // The copies not read yet are only checked for presence (a lost mountpath folder); the bad
    // and missing ones are rewritten now, so the next GET finds them whole.
    for (int k = int(order.indexOf(good)) + 1; k < order.size(); ++k) {
        const int i = order[k];
        if (i < n && ::access(files[i].constData(), F_OK) != 0)
            bad.append(i);
    }
    if (!bad.isEmpty())
        repair(bucket, name, files, good, bad);
    Target::ObjectInfo info;
    info.bucket = bucket;
    info.name = name;
    info.mountpath = mps[good];
    info.path = QFile::decodeName(files[good]);
    info.size = meta.size;
    info.checksum = QString::fromLatin1(meta.checksum);
    if (!meta.checksumType.isEmpty())
        info.checksumType = QString::fromLatin1(meta.checksumType);
    info.version = QString::fromLatin1(meta.version);
    info.custom = Target::Xattrs::decodeCustom(meta.custom);
    struct stat st
    { };
    if (::stat(files[good].constData(), &st) == 0) {
        info.atimeNs = qint64(st.st_atim.tv_sec) * 1000000000 + st.st_atim.tv_nsec;
        info.mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    }
    return info;
}

int Replicas::repair(const QString &bucket, const QString &name, const QList<QByteArray> &files,
                     int good, const QList<int> &slots)
{
    const QStringList mps = placement(bucket, name);
    const QMutexLocker locker(&Target::objectLock(files.first()));
    CopyMeta source;
    if (verifyFile(files[good], &source) != CopyState::Good)
        return 0; // changed under us: the next reader decides
    int written = 0;
    for (int slot : slots) {
        CopyMeta seen;
        if (verifyFile(files[slot], &seen) == CopyState::Good)
            continue; // rewritten by a PUT in the meantime
        auto copied = copyFile(files[good], source, QFile::decodeName(files[slot]),
                               mps[slot] + QStringLiteral("/tmp"));
        m_store.forgetMeta(QFile::decodeName(files[slot]));
        if (!copied) {
            Log::store().error("mirror: cannot repair {} on {}: {}",
                               Api::objectCname(bucket, name).toStdString(),
                               mps[slot].toStdString(), copied.error().message.toStdString());
            continue;
        }
        Log::store().info("mirror: repaired {} on {}", Api::objectCname(bucket, name).toStdString(),
                          mps[slot].toStdString());
        ++written;
    }
    return written;
}

Result<SyncOutcome> Replicas::sync(const QString &bucket, const QString &name, int copies)
{
    const QStringList mps = placement(bucket, name);
    const QList<QByteArray> files = paths(bucket, name);
    const int n = int(std::min<qsizetype>(std::max(copies, 1), mps.size()));
    const QMutexLocker locker(&Target::objectLock(files.first()));
    QList<CopyState> states;
    QList<CopyMeta> metas(mps.size());
    int good = -1;
    for (int i = 0; i < mps.size(); ++i) {
        states.append(verifyFile(files[i], &metas[i]));
        if (good < 0 && states[i] == CopyState::Good)
            good = i;
    }
    SyncOutcome outcome;
    if (good < 0) {
        if (states.contains(CopyState::Corrupt))
            return makeError(ErrorCode::Internal, QStringLiteral("%1: every copy is corrupt")
                                                      .arg(Api::objectCname(bucket, name)));
        return outcome; // deleted in the meantime
    }
    const CopyMeta &source = metas[good];
    for (int i = 0; i < mps.size(); ++i) {
        const QString path = QFile::decodeName(files[i]);
        if (i >= n) {
            if (states[i] != CopyState::Missing
                && unlinkObject(files[i], m_store.bucketDir(mps[i], bucket)))
                ++outcome.removed;
            m_store.forgetMeta(path);
            continue;
        }
        const bool same = states[i] == CopyState::Good && metas[i].checksum == source.checksum
            && metas[i].version == source.version;
        if (same)
            continue;
        auto copied = copyFile(files[good], source, path, mps[i] + QStringLiteral("/tmp"));
        m_store.forgetMeta(path);
        if (!copied)
            return copied.error();
        ++outcome.written;
    }
    return outcome;
}

} // namespace Kiln::Mirror
