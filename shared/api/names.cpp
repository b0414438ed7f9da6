#include "shared/api/names.h"

#include <QList>

namespace Kiln::Api {

Result<void> validateBucketName(const QString &name)
{
    if (name.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "bucket name is empty");
    if (name.size() > 64)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("bucket name \"%1\" is too long (%2 characters, max 64)")
                             .arg(name.left(80))
                             .arg(name.size()));
    if (name == "." || name == "..")
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("bucket name \"%1\" is reserved").arg(name));
    for (const QChar c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.';
        if (!ok)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("bucket name \"%1\" is invalid: may only contain "
                                            "letters, numbers, dashes (-), underscores (_), and "
                                            "dots (.)")
                                 .arg(name));
    }
    return {};
}

Result<void> validateObjectName(const QString &name)
{
    auto bad = [&](const QString &why) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid object name \"%1\": %2").arg(name.left(256), why));
    };
    if (name.isEmpty())
        return bad("empty");
    const QByteArray utf8 = name.toUtf8();
    if (utf8.size() > MaxObjectNameBytes)
        return bad(
            QStringLiteral("%1 bytes long (max %2)").arg(utf8.size()).arg(MaxObjectNameBytes));
    if (utf8.contains('\0'))
        return bad("contains a NUL byte");
    if (utf8.startsWith('/'))
        return bad("absolute path");
    for (const QByteArray &part : utf8.split('/')) {
        if (part.isEmpty())
            return bad("empty path component");
        if (part == "." || part == "..")
            return bad("contains a \".\" or \"..\" path component");
        if (part.size() > 255)
            return bad("a path component is longer than 255 bytes");
    }
    return {};
}

QString bucketCname(const QString &bucket)
{
    return QStringLiteral("ais://") + bucket;
}

QString objectCname(const QString &bucket, const QString &object)
{
    return QStringLiteral("ais://") + bucket + '/' + object;
}

} // namespace Kiln::Api
