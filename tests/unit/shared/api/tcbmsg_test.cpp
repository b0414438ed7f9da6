#include "shared/api/tcbmsg.h"

#include <gtest/gtest.h>

#include <QJsonObject>

#include <chrono>

namespace Kiln::Api {
namespace {

using namespace std::chrono_literals;

TEST(TcbMsgTest, ReadsRequestTimeout)
{
    const auto msg = TcbMsg::fromJson(QJsonObject{{"id", "md5-etl"}, {"request_timeout", "30s"}},
                                      false);
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->requestTimeout, 30s);
}

// Found while adding the fuzz targets (review of parseDuration): "1e17" seconds overflowed to
// a negative timeout that the message accepted; it is refused now.
TEST(TcbMsgTest, RefusesARequestTimeoutBeyondRange)
{
    for (const bool listRange : {false, true}) {
        const auto msg = TcbMsg::fromJson(
            QJsonObject{{"id", "md5-etl"}, {"request_timeout", "1e17"}}, listRange);
        ASSERT_FALSE(msg);
        EXPECT_TRUE(msg.error().message.contains("request_timeout"));
    }
}

} // namespace
} // namespace Kiln::Api
