#include "shared/api/writeform.h"

#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

#include <QUrl>

namespace Kiln::Api {
namespace {

QString value(const QUrlQuery &query, const char *name)
{
    return query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
}

} // namespace

Result<PutRequest> classifyPut(const QUrlQuery &query)
{
    PutRequest req;
    const QString objectTo = value(query, Query::ObjectTo);
    const QString appendType = value(query, Query::AppendType);
    if (!objectTo.isEmpty()) {
        req.form = PutForm::Copy;
        req.objectTo = objectTo;
        req.etlName = value(query, Query::EtlName);
    } else if (!value(query, Query::MptUploadId).isEmpty()) {
        req.form = PutForm::MultipartPart;
    } else if (!value(query, Query::Archpath).isEmpty()) {
        req.form = PutForm::ArchiveAppend;
    } else if (query.hasQueryItem(QString::fromLatin1(Query::AppendType))) {
        if (appendType == QLatin1String(AppendOp))
            req.form = PutForm::Append;
        else if (appendType == QLatin1String(FlushOp))
            req.form = PutForm::Flush;
        else
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("invalid operation \"%1\" (expecting either \"%2\" or "
                                            "\"%3\") - check \"%4\" query")
                                 .arg(appendType, AppendOp, FlushOp, Query::AppendType));
        req.appendHandle = value(query, Query::AppendHandle);
    }
    return req;
}

QString putFormName(PutForm form)
{
    switch (form) {
    case PutForm::Write:
        return QStringLiteral("put");
    case PutForm::Copy:
        return QStringLiteral("copy");
    case PutForm::MultipartPart:
        return QStringLiteral("upload a multipart part of");
    case PutForm::ArchiveAppend:
        return QStringLiteral("append to archive");
    case PutForm::Append:
        return QStringLiteral("append");
    case PutForm::Flush:
        return QStringLiteral("flush");
    }
    return {};
}

Result<ObjectRef> parseObjectUname(const QString &uname)
{
    const QStringList parts = uname.split('/');
    auto bad = [&](const QString &why) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid object uname \"%1\": %2").arg(uname, why));
    };
    if (parts.size() < 4)
        return bad(QStringLiteral("expected <provider>/<namespace>/<bucket>/<object>"));
    if (parts[0] != QLatin1String(ProviderAis) && !parts[0].isEmpty())
        return makeError(
            ErrorCode::Unsupported,
            QStringLiteral("provider \"%1\" is not supported: Kiln stores ais:// buckets only")
                .arg(parts[0]));
    if (parts[1] != QLatin1String("@#") && !parts[1].isEmpty())
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("namespace \"%1\" is not supported: Kiln stores the "
                                        "global namespace only")
                             .arg(parts[1]));
    ObjectRef ref{parts[2], parts.mid(3).join('/')};
    if (auto ok = validateBucketName(ref.bucket); !ok)
        return ok.error();
    if (auto ok = validateObjectName(ref.object); !ok)
        return ok.error();
    return ref;
}

QString objectUname(const QString &bucket, const QString &object)
{
    return QStringLiteral("ais/@#/") + bucket + '/' + object;
}

Result<QString> archMode(const QString &mode)
{
    if (mode.isEmpty() || mode == QLatin1String("*"))
        return QStringLiteral("prefix");
    for (const char *m : {"regexp", "prefix", "suffix", "substr", "wdskey"}) {
        if (mode == QLatin1String(m))
            return mode;
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("dpq: '%1=%2', err: invalid matching mode \"%2\", expecting "
                                    "one of: [regexp prefix suffix substr wdskey]")
                         .arg(Query::Archmode, mode));
}

Error notImplemented(const QString &what, const QString &cname)
{
    return makeError(ErrorCode::Unsupported,
                     QStringLiteral("cannot %1 %2 - not implemented yet").arg(what, cname),
                     QStringLiteral("ErrNotImpl"));
}

} // namespace Kiln::Api
