#include "shared/api/promoteargs.h"

#include "shared/api/json.h"
#include "shared/api/names.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonValue>

namespace Kiln::Api {
namespace {

Error invalidSource(const QString &src, const QString &detail)
{
    return makeError(ErrorCode::InvalidArgument,
                     src.isEmpty()
                         ? QStringLiteral("invalid promote source: %1").arg(detail)
                         : QStringLiteral("invalid promote source \"%1\": %2").arg(src, detail));
}

} // namespace

Result<PromoteArgs> PromoteArgs::fromJson(const QJsonValue &value)
{
    if (!value.isObject())
        return makeError(ErrorCode::InvalidArgument, "missing promote args");
    const QJsonObject json = value.toObject();
    PromoteArgs args;
    args.targetId = valueCi(json, u"tid").toString();
    args.source = valueCi(json, u"src").toString();
    args.objectName = valueCi(json, u"obj").toString();
    args.recursive = valueCi(json, u"rcr").toBool();
    args.overwrite = valueCi(json, u"ovw").toBool();
    args.deleteSource = valueCi(json, u"dls").toBool();
    args.notFileShare = valueCi(json, u"notshr").toBool();
    return args;
}

QJsonObject PromoteArgs::toJson() const
{
    return QJsonObject{{"tid", targetId},       {"src", source},    {"obj", objectName},
                       {"rcr", recursive},      {"ovw", overwrite}, {"dls", deleteSource},
                       {"notshr", notFileShare}};
}

Result<void> PromoteArgs::validate(const QString &actionName, const QString &root)
{
    QString src = actionName;
    if (!source.isEmpty()) {
        if (!actionName.isEmpty() && actionName != source)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("conflicting promote source: \"%1\" vs \"%2\"")
                                 .arg(actionName, source));
        src = source;
    }
    if (src.isEmpty())
        return invalidSource({}, QStringLiteral("pathname is empty"));
    if (!QDir::isAbsolutePath(src))
        return invalidSource(src, QStringLiteral("must be an absolute path"));
    for (const QString &part : src.split('/')) {
        if (part == "." || part == "..")
            return invalidSource(src, QStringLiteral("must not contain '.' or '..' path elements"));
    }
    const QString r = QDir::cleanPath(root);
    if (src != r && !src.startsWith(r + '/'))
        return invalidSource(src, QStringLiteral("must be under ") + r);
    if (!objectName.isEmpty()) {
        const QString trimmed = objectName.endsWith('/') ? objectName.chopped(1) : objectName;
        if (auto ok = validateObjectName(trimmed); !ok)
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("invalid object name or prefix \"%1\"").arg(objectName));
    }
    source = src;
    return {};
}

QString promotedObjectName(const QString &file, const QString &folder, const QString &prefix)
{
    if (folder.isEmpty()) {
        if (!prefix.isEmpty() && !prefix.endsWith('/'))
            return prefix;
        return prefix + QFileInfo(file).fileName();
    }
    return prefix + QDir(folder).relativeFilePath(file);
}

} // namespace Kiln::Api
