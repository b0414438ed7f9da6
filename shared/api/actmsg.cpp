#include "shared/api/actmsg.h"

#include "shared/api/json.h"

#include <QJsonObject>

namespace Kiln::Api {

Result<ActMsg> ActMsg::parse(const QByteArray &body)
{
    auto object = parseObject(body, QStringLiteral("action message"));
    if (!object)
        return object.error();
    ActMsg msg;
    const QJsonValue action = valueCi(*object, u"action");
    if (!action.isUndefined() && !action.isNull() && !action.isString())
        return makeError(ErrorCode::InvalidArgument,
                         "invalid action message: \"action\" must be a string");
    msg.action = action.toString();
    msg.name = valueCi(*object, u"name").toString();
    const QJsonValue value = valueCi(*object, u"value");
    msg.value = value.isUndefined() ? QJsonValue(QJsonValue::Null) : value;
    return msg;
}

QByteArray ActMsg::toJson() const
{
    return compact(QJsonObject{{"action", action}, {"name", name}, {"value", value}});
}

} // namespace Kiln::Api
