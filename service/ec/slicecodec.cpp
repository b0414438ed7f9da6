#include "service/ec/slicecodec.h"

#include "service/ec/rscodec.h"
#include "service/ec/slicearea.h"
#include "service/target/checksummer.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"

#include <QDateTime>
#include <QFile>

#include <memory>
#include <vector>

namespace Kiln::Ec::SliceCodec {
namespace {

Error ioError(const QFile &file, const QString &what)
{
    return makeError(
        ErrorCode::Internal,
        QStringLiteral("ec: %1 %2: %3").arg(what, file.fileName(), file.errorString()));
}

// The open files of one stripe pass: readers for the slices we have, writers for the others,
// each writer with its running slice checksum.
struct StripeFiles
{
    std::vector<std::unique_ptr<QFile>> files;
    std::vector<Target::Checksummer> sums;
    QList<SliceFile> made;

    Result<void> create(int index, const QString &path, const SliceMeta &meta)
    {
        auto file = std::make_unique<QFile>(path);
        if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
            return ioError(*file, QStringLiteral("cannot create"));
        auto sum = Target::Checksummer::make(QString::fromLatin1(SliceCksumType));
        if (!sum)
            return sum.error();
        SliceMeta m = meta;
        m.index = index;
        made.append({path, m, true});
        files.push_back(std::move(file));
        sums.push_back(std::move(*sum));
        return {};
    }
    Result<void> append(std::size_t i, const std::uint8_t *bytes, qint64 n)
    {
        if (files[i]->write(reinterpret_cast<const char *>(bytes), n) != n)
            return ioError(*files[i], QStringLiteral("cannot write"));
        sums[i].update(reinterpret_cast<const char *>(bytes), n);
        return {};
    }
    Result<QList<SliceFile>> finish()
    {
        for (std::size_t i = 0; i < files.size(); ++i) {
            if (!files[i]->flush())
                return ioError(*files[i], QStringLiteral("cannot write"));
            files[i]->close();
            made[qsizetype(i)].meta.sliceCksum = sums[i].digest();
        }
        return made;
    }
    ~StripeFiles()
    {
        // Unfinished: nothing half-written stays behind.
        if (!files.empty() && files.front()->isOpen())
            discard(made);
    }
};

Result<void> readFully(QFile &file, qint64 at, std::uint8_t *into, qint64 n)
{
    if (!file.seek(at) || file.read(reinterpret_cast<char *>(into), n) != n)
        return ioError(file, QStringLiteral("cannot read"));
    return {};
}

Result<QList<SliceFile>> replicaOf(const Target::ObjectInfo &object, SliceMeta meta)
{
    auto digest = SliceArea::hashFile(object.path);
    if (!digest)
        return digest.error();
    meta.replica = true;
    meta.index = 0;
    meta.sliceCksum = *digest;
    return QList<SliceFile>{{object.path, meta, false}};
}

} // namespace

Result<QList<SliceFile>> split(const Target::ObjectInfo &object, int data, int parity, bool replica,
                               const QString &tmpPrefix)
{
    SliceMeta meta{object.size,     0,  data,          parity, false, object.checksumType,
                   object.checksum, {}, object.version};
    if (replica)
        return replicaOf(object, meta);
    QFile source(object.path);
    if (!source.open(QIODevice::ReadOnly))
        return ioError(source, QStringLiteral("cannot open"));
    const RsCodec codec(data, parity);
    StripeFiles out;
    for (int i = 0; i < codec.total(); ++i) {
        if (auto made = out.create(i, tmpPrefix + QStringLiteral(".s%1").arg(i), meta); !made)
            return made.error();
    }
    const qint64 length = sliceLength(object.size, data);
    std::vector<std::vector<std::uint8_t>> stripe(std::size_t(codec.total()),
                                                  std::vector<std::uint8_t>(StripeBytes));
    std::vector<const std::uint8_t *> in;
    std::vector<std::uint8_t *> parityOut;
    for (int i = 0; i < codec.total(); ++i)
        (i < data ? (void)in.push_back(stripe[std::size_t(i)].data())
                  : parityOut.push_back(stripe[std::size_t(i)].data()));
    for (qint64 at = 0; at < length; at += StripeBytes) {
        const qint64 n = std::min(StripeBytes, length - at);
        for (int i = 0; i < data; ++i) {
            // Slice i is the object's bytes [i*length, (i+1)*length), zero-padded at the end.
            const qint64 start = qint64(i) * length + at;
            const qint64 avail = std::clamp(object.size - start, qint64(0), n);
            std::uint8_t *buf = stripe[std::size_t(i)].data();
            if (avail > 0)
                if (auto read = readFully(source, start, buf, avail); !read)
                    return read.error();
            std::fill(buf + avail, buf + n, std::uint8_t(0));
        }
        codec.encode(int(n), in.data(), parityOut.data());
        for (int i = 0; i < codec.total(); ++i)
            if (auto wrote = out.append(std::size_t(i), stripe[std::size_t(i)].data(), n); !wrote)
                return wrote.error();
    }
    return out.finish();
}

Result<QList<SliceFile>> restoreMissing(const SliceMeta &meta, const QMap<int, QString> &have,
                                        const QString &tmpPrefix)
{
    const RsCodec codec(meta.data, meta.parity);
    const qint64 length = sliceLength(meta.objSize, meta.data);
    std::vector<std::unique_ptr<QFile>> readers(std::size_t(codec.total()));
    std::vector<bool> present(std::size_t(codec.total()), false);
    StripeFiles out;
    std::vector<std::size_t> outIndex(std::size_t(codec.total()), 0);
    for (int i = 0; i < codec.total(); ++i) {
        if (have.contains(i)) {
            readers[std::size_t(i)] = std::make_unique<QFile>(have.value(i));
            if (!readers[std::size_t(i)]->open(QIODevice::ReadOnly))
                return ioError(*readers[std::size_t(i)], QStringLiteral("cannot open"));
            present[std::size_t(i)] = true;
            continue;
        }
        outIndex[std::size_t(i)] = out.files.size();
        if (auto made = out.create(i, tmpPrefix + QStringLiteral(".r%1").arg(i), meta); !made)
            return made.error();
    }
    std::vector<std::vector<std::uint8_t>> stripe(std::size_t(codec.total()),
                                                  std::vector<std::uint8_t>(StripeBytes));
    std::vector<std::uint8_t *> ptrs;
    for (auto &s : stripe)
        ptrs.push_back(s.data());
    for (qint64 at = 0; at < length; at += StripeBytes) {
        const qint64 n = std::min(StripeBytes, length - at);
        for (int i = 0; i < codec.total(); ++i)
            if (present[std::size_t(i)])
                if (auto read = readFully(*readers[std::size_t(i)], at, ptrs[std::size_t(i)], n);
                    !read)
                    return read.error();
        if (auto rebuilt = codec.reconstruct(int(n), ptrs.data(), present); !rebuilt)
            return rebuilt.error();
        for (int i = 0; i < codec.total(); ++i)
            if (!present[std::size_t(i)])
                if (auto wrote = out.append(outIndex[std::size_t(i)], ptrs[std::size_t(i)], n);
                    !wrote)
                    return wrote.error();
    }
    return out.finish();
}

Result<Target::ObjectInfo> writeObject(Target::ObjectStore &store, const QString &bucket,
                                       const QString &object, const SliceMeta &meta,
                                       const QMap<int, QString> &have)
{
    auto writer = store.beginWrite(bucket, object);
    if (!writer)
        return writer.error();
    Target::ObjectWriter &w = **writer;
    // The rebuilt object keeps its version; a client's PUT that lands meanwhile wins.
    w.keepSource(meta.version, QDateTime::currentMSecsSinceEpoch() * 1000000);
    const int parts = meta.replica ? 1 : meta.data;
    const qint64 length = meta.replica ? meta.objSize : sliceLength(meta.objSize, meta.data);
    std::vector<char> chunk(static_cast<std::size_t>(StripeBytes));
    for (int i = 0; i < parts; ++i) {
        QFile part(have.value(i));
        if (!part.open(QIODevice::ReadOnly))
            return ioError(part, QStringLiteral("cannot open"));
        qint64 left = std::clamp(meta.objSize - qint64(i) * length, qint64(0), length);
        while (left > 0) {
            const qint64 n = part.read(chunk.data(), std::min(left, StripeBytes));
            if (n <= 0)
                return ioError(part, QStringLiteral("short slice"));
            if (auto wrote = w.write(chunk.data(), n); !wrote)
                return wrote.error();
            left -= n;
        }
    }
    if (w.checksumType() == meta.objCksumType && !meta.objCksum.isEmpty()
        && w.digest() != meta.objCksum)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("ec: rebuilt %1/%2 does not match its checksum (%3 != %4)")
                             .arg(bucket, object, w.digest(), meta.objCksum));
    return w.commitNow();
}

void discard(const QList<SliceFile> &files)
{
    for (const SliceFile &f : files)
        if (f.temporary)
            QFile::remove(f.path);
}

} // namespace Kiln::Ec::SliceCodec
