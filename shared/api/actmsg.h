#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>

namespace Kiln::Api {

// The AIS action message {"action", "name", "value"} that most control calls carry.
struct ActMsg
{
    QString action;
    QString name;
    QJsonValue value; // Null when absent

    static Result<ActMsg> parse(const QByteArray &body);
    QByteArray toJson() const;
};

} // namespace Kiln::Api
