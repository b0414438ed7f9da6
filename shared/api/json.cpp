#include "shared/api/json.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace Kiln::Api {

QJsonValue valueCi(const QJsonObject &object, QStringView key)
{
    const auto exact = object.constFind(key);
    if (exact != object.constEnd())
        return *exact;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (it.key().compare(key, Qt::CaseInsensitive) == 0)
            return it.value();
    }
    return QJsonValue(QJsonValue::Undefined);
}

Result<QJsonObject> parseObject(const QByteArray &body, const QString &what)
{
    if (body.trimmed().isEmpty())
        return QJsonObject{};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid %1: %2 at offset %3")
                             .arg(what, error.errorString())
                             .arg(error.offset));
    if (!doc.isObject())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid %1: expected a JSON object").arg(what));
    return doc.object();
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

qint64 int64Of(const QJsonValue &value)
{
    return value.isString() ? value.toString().toLongLong() : value.toInteger();
}

} // namespace Kiln::Api
