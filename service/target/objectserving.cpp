#include "service/target/objectserving.h"

#include "service/http/bodysource.h"
#include "service/target/byterange.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

namespace Kiln::Target {

Http::Headers objectHeaders(const ObjectInfo &info)
{
    Http::Headers h;
    if (!info.checksum.isEmpty() && info.checksumType != QLatin1String(Api::Checksum::None)) {
        h.emplaceBack(Api::Header::ChecksumType, info.checksumType.toLatin1());
        h.emplaceBack(Api::Header::ChecksumValue, info.checksum.toLatin1());
    }
    h.emplaceBack(Api::Header::Atime, QByteArray::number(info.atimeNs));
    // No version while the bucket's versioning is off (AIS leaves the header out then).
    if (!info.version.isEmpty())
        h.emplaceBack(Api::Header::Version, info.version.toLatin1());
    // One header per key, as AIS writes custom metadata (cmn.ObjAttrs.ToHeader).
    for (auto it = info.custom.constBegin(); it != info.custom.constEnd(); ++it)
        h.emplaceBack(Api::Header::CustomMd, (it.key() + '=' + it.value()).toUtf8());
    return h;
}

Http::Headers headHeaders(const ObjectInfo &info, const QString &selfTag,
                          const QStringList &presentMountpaths)
{
    Http::Headers headers = objectHeaders(info);
    headers.emplaceBack(Api::Header::Present, "true");
    headers.emplaceBack(Api::Header::Name, info.name.toUtf8());
    headers.emplaceBack(Api::Header::Location,
                        QStringLiteral("%1:%2").arg(selfTag, info.mountpath).toUtf8());
    // A list of paths, as Go prints a slice.
    headers.emplaceBack(Api::Header::MirrorPaths,
                        '[' + presentMountpaths.join(' ').toUtf8() + ']');
    headers.emplaceBack(Api::Header::MirrorCopies, QByteArray::number(presentMountpaths.size()));
    headers.emplaceBack(Api::Header::BucketName, info.bucket.toUtf8());
    headers.emplaceBack(Api::Header::BucketProvider, Api::ProviderAis);
    headers.emplaceBack("Content-Length", QByteArray::number(info.size));
    return headers;
}

bool sendObject(Http::Exchange &ex, const ObjectStore &store, const ObjectInfo &info)
{
    auto file = store.openForRead(info);
    if (!file)
        return false;
    sendOpenObject(ex, info, std::move(*file));
    return true;
}

// 200 with the object's bytes, or 206/416 for a Range.
void sendOpenObject(Http::Exchange &ex, const ObjectInfo &info, OwnedFd fd)
{
    const auto range = parseByteRange(ex.request().header("range"), info.size,
                                      Api::objectCname(info.bucket, info.name));
    if (!range) {
        Http::Headers extra;
        if (range.error().tcode == RangeNotSatisfiable)
            extra.emplaceBack("Content-Range", "bytes */" + QByteArray::number(info.size));
        ex.fail(416, range.error(), extra);
        return;
    }
    Http::Headers headers = objectHeaders(info);
    int status = 200;
    qint64 offset = 0, length = info.size;
    if (*range) {
        status = 206;
        offset = (*range)->offset;
        length = (*range)->length;
        headers.emplaceBack("Accept-Ranges", "bytes");
        headers.emplaceBack("Content-Range", QStringLiteral("bytes %1-%2/%3")
                                                 .arg(offset)
                                                 .arg(offset + length - 1)
                                                 .arg(info.size)
                                                 .toLatin1());
    }
    auto source = std::make_unique<Http::FileBodySource>(std::move(fd), offset, length);
    ex.respondStream(status, std::move(source), Api::MimeOctets, headers);
}

} // namespace Kiln::Target
