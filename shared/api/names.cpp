#include "shared/api/names.h"

#include <QList>

namespace Kiln::Api {

namespace {

Error badName(const QString &message, const QString &tcode = {})
{
    return makeError(ErrorCode::InvalidArgument, message, tcode);
}

bool isAsciiAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

} // namespace

Result<void> validateBucketName(const QString &name)
{
    // AIS's rules, in its words (cmn.Bck.ValidateName, cos.CheckAlphaPlus).
    if (name.isEmpty())
        return badName("bucket name is missing");
    if (name.startsWith('.'))
        return badName(
            QStringLiteral("reserved bucket name \"%1\" (unknown system bucket)").arg(name));
    const QByteArray utf8 = name.toUtf8();
    if (utf8.size() > MaxBucketNameBytes)
        return badName(QStringLiteral("bucket name is too long: %1 > %2(max length)")
                           .arg(utf8.size())
                           .arg(MaxBucketNameBytes));
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const char c = utf8[i];
        if (isAsciiAlnum(c) || c == '-' || c == '_')
            continue;
        if (c != '.' || (i + 1 < utf8.size() && utf8[i + 1] == '.'))
            return badName("bucket name is invalid: may only contain letters, numbers, dashes "
                           "(-), underscores (_), and dots (.)");
    }
    return {};
}

Result<void> validateObjectName(const QString &name)
{
    const QByteArray utf8 = name.toUtf8();
    // What AIS refuses too (cos.ValidateOname), in its words and with its type name.
    const QString invalid = QStringLiteral("invalid object name \"%1\"").arg(name);
    if (utf8.isEmpty() || utf8.endsWith('/') || utf8.startsWith("~/"))
        return badName(invalid, "errInvalidPath");
    const QList<QByteArray> parts = utf8.split('/');
    for (const QByteArray &part : parts) {
        if (part == "." || part == "..")
            return badName(invalid, "errInvalidPath");
    }
    // What only Kiln refuses, as "<why>: invalid object name ..." (AIS's form for a reason):
    // an object is the file of the same path, so a name must be one.
    auto refuse = [&](const QString &why) {
        return badName(why + QStringLiteral(": ") + invalid, "errInvalidPath");
    };
    if (utf8.size() > MaxObjectNameBytes)
        return refuse(
            QStringLiteral("%1 bytes long (max %2)").arg(utf8.size()).arg(MaxObjectNameBytes));
    if (utf8.contains('\0'))
        return refuse("contains a NUL byte");
    if (utf8.startsWith('/'))
        return refuse("absolute path");
    for (const QByteArray &part : parts) {
        if (part.isEmpty())
            return refuse("empty path component");
        if (part.size() > 255)
            return refuse("a path component is longer than 255 bytes");
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
