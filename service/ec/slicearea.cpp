#include "service/ec/slicearea.h"

#include "service/target/checksummer.h"
#include "service/target/objectstore.h"
#include "service/target/xattrs.h"
#include "shared/api/bprops.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSet>
#include <QtConcurrent>

#include <fcntl.h>
#include <unistd.h>

namespace Kiln::Ec {
namespace {

constexpr qint64 ReadChunk = 256 * 1024;

} // namespace

SliceArea::SliceArea(Target::ObjectStore &store)
    : m_store(store)
{ }

QString SliceArea::path(const QString &bucket, const QString &object, int index) const
{
    return m_store.mountpathFor(bucket, object) + QStringLiteral("/ec/") + bucket + '/'
        + QString::number(index) + '/' + object;
}

QList<int> SliceArea::held(const QString &bucket, const QString &object) const
{
    QList<int> out;
    for (int i = 0; i < 2 * Api::EcMaxSlices; ++i)
        if (QFileInfo(path(bucket, object, i)).isFile())
            out.append(i);
    return out;
}

QString SliceArea::tempPath(const QString &bucket, const QString &object) const
{
    return m_store.mountpathFor(bucket, object) + QStringLiteral("/tmp/ec.")
        + QString::number(QRandomGenerator::global()->generate64(), 36);
}

Result<void> SliceArea::install(const QString &tempPath, const QString &bucket,
                                const QString &object, const SliceMeta &meta) const
{
    const QString final = path(bucket, object, meta.index);
    const QByteArray temp = QFile::encodeName(tempPath);
    auto failed = [&](const QString &what) {
        QFile::remove(tempPath);
        return makeError(ErrorCode::Internal,
                         QStringLiteral("ec: %1 %2: %3")
                             .arg(what, final, QString::fromLocal8Bit(strerror(errno))));
    };
    const int fd = ::open(temp.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return failed(QStringLiteral("cannot open the new slice of"));
    const bool ok = Target::Xattrs::set(fd, MetaXattr, meta.toJson()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok)
        return failed(QStringLiteral("cannot write the metadata of"));
    if (!QDir().mkpath(QFileInfo(final).path()))
        return failed(QStringLiteral("cannot create the folder of"));
    if (::rename(temp.constData(), QFile::encodeName(final).constData()) != 0)
        return failed(QStringLiteral("cannot rename into"));
    return {};
}

Result<SliceMeta> SliceArea::verified(const QString &bucket, const QString &object, int index) const
{
    const QString file = path(bucket, object, index);
    const auto meta = SliceMeta::fromJson(Target::Xattrs::get(QFile::encodeName(file), MetaXattr));
    if (!meta || meta->index != index)
        return makeError(
            ErrorCode::NotFound,
            QStringLiteral("ec: no slice %1 of %2/%3 here").arg(index).arg(bucket, object));
    auto digest = hashFile(file);
    if (!digest)
        return digest.error();
    if (*digest != meta->sliceCksum)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("ec: slice %1 of %2/%3 is corrupted (checksum %4, "
                                        "expected %5)")
                             .arg(meta->index)
                             .arg(bucket, object, *digest, meta->sliceCksum),
                         QStringLiteral("ErrCorruptedSlice"));
    return *meta;
}

bool SliceArea::remove(const QString &bucket, const QString &object, const QList<int> &keep) const
{
    bool any = false;
    for (int i : held(bucket, object))
        if (!keep.contains(i))
            any = QFile::remove(path(bucket, object, i)) || any;
    return any;
}

QStringList SliceArea::objects(const QString &bucket) const
{
    QSet<QString> names;
    for (const QString &mp : m_store.mountpaths()) {
        const QDir area(mp + QStringLiteral("/ec/") + bucket);
        for (const QString &index : area.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            const QString root = area.filePath(index);
            QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
            while (it.hasNext())
                names.insert(it.next().mid(root.size() + 1));
        }
    }
    QStringList out(names.begin(), names.end());
    out.sort();
    return out;
}

void SliceArea::dropBucketsExcept(const QStringList &keep) const
{
    QStringList moved;
    for (const QString &mp : m_store.mountpaths()) {
        const QDir area(mp + QStringLiteral("/ec"));
        for (const QString &bucket : area.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
            if (keep.contains(bucket))
                continue;
            const QString trash = mp + QStringLiteral("/trash/ec.") + bucket + '.'
                + QString::number(QRandomGenerator::global()->generate64(), 36);
            if (QDir().rename(area.filePath(bucket), trash))
                moved.append(trash);
        }
    }
    if (!moved.isEmpty())
        (void)QtConcurrent::run(m_store.ioPool(), [moved] {
            for (const QString &dir : moved)
                QDir(dir).removeRecursively();
        });
}

Result<QString> SliceArea::hashFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("ec: cannot read %1: %2").arg(path, file.errorString()));
    auto sum = Target::Checksummer::make(QString::fromLatin1(SliceCksumType));
    if (!sum)
        return sum.error();
    QByteArray chunk(ReadChunk, Qt::Uninitialized);
    for (;;) {
        const qint64 n = file.read(chunk.data(), chunk.size());
        if (n < 0)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("ec: reading %1: %2").arg(path, file.errorString()));
        if (n == 0)
            break;
        sum->update(chunk.constData(), n);
    }
    return sum->digest();
}

} // namespace Kiln::Ec
