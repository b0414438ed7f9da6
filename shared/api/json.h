#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace Kiln::Api {

// Go's JSON decoder matches keys case-insensitively and the AIS SDK relies on it ("ID" for
// "id"), so lookups of client-sent keys go through here.
QJsonValue valueCi(const QJsonObject &object, QStringView key);

// Parses a JSON object body; an empty body is an empty object. Errors name what was wrong.
Result<QJsonObject> parseObject(const QByteArray &body, const QString &what);

QByteArray compact(const QJsonObject &object);

// An int64 that Go may encode as a string (",string" tags); both forms are read.
qint64 int64Of(const QJsonValue &value);

} // namespace Kiln::Api
