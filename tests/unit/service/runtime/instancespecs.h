#pragma once

#include "service/runtime/instance.h"
#include "shared/api/json.h"
#include "shared/etl/initmsg.h"

#include <gtest/gtest.h>

#include <QJsonObject>

namespace Kiln::Runtime::Tests {

// The InstanceSpec a target hands a runtime for this init message (which must parse), with a
// fixed target id, AIS target URL and work folder: what the launch plans are computed from.
inline InstanceSpec specFor(const QJsonObject &init, const QString &targetId = QStringLiteral("t1"))
{
    auto msg = Etl::InitMsg::fromJson(Api::compact(init));
    EXPECT_TRUE(msg) << msg.error().message.toStdString();
    InstanceSpec spec;
    spec.msg = *msg;
    spec.targetId = targetId;
    spec.aisTargetUrl = "http://127.0.0.1:9/v1/etl/_object/x/secret";
    spec.workDir = "/tmp/kiln-work";
    return spec;
}

} // namespace Kiln::Runtime::Tests
