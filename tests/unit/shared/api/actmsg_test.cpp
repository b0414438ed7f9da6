#include "shared/api/actmsg.h"

#include <gtest/gtest.h>

#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Api {
namespace {

TEST(ActMsgTest, ReadsActionNameAndValue)
{
    const Result<ActMsg> msg
        = ActMsg::parse(R"({"action":"list","name":"n","value":{"prefix":"a/"}})");
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->action, "list");
    EXPECT_EQ(msg->name, "n");
    ASSERT_TRUE(msg->value.isObject());
    EXPECT_EQ(msg->value.toObject().value("prefix").toString(), "a/");
}

TEST(ActMsgTest, MatchesKeysCaseInsensitivelyAsGoDoes)
{
    const Result<ActMsg> msg = ActMsg::parse(R"({"Action":"create-bck","NAME":"b","Value":[1,2]})");
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->action, "create-bck");
    EXPECT_EQ(msg->name, "b");
    EXPECT_TRUE(msg->value.isArray());
}

TEST(ActMsgTest, PrefersTheExactlySpelledKey)
{
    const Result<ActMsg> msg = ActMsg::parse(R"({"ACTION":"other","action":"list"})");
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->action, "list");
}

TEST(ActMsgTest, MissingValueIsNull)
{
    const Result<ActMsg> msg = ActMsg::parse(R"({"action":"destroy-bck"})");
    ASSERT_TRUE(msg);
    EXPECT_TRUE(msg->value.isNull());
    EXPECT_TRUE(msg->name.isEmpty());
}

TEST(ActMsgTest, EmptyBodyIsAnEmptyMessage)
{
    for (const QByteArray &body : {QByteArray(), QByteArray("  \n")}) {
        const Result<ActMsg> msg = ActMsg::parse(body);
        ASSERT_TRUE(msg);
        EXPECT_TRUE(msg->action.isEmpty());
        EXPECT_TRUE(msg->value.isNull());
    }
}

TEST(ActMsgTest, RejectsMalformedJsonAsInvalidArgument)
{
    for (const QByteArray &body : {QByteArray(R"({"action":)"), QByteArray("not json"),
                                   QByteArray(R"({"action":"list",})")}) {
        const Result<ActMsg> msg = ActMsg::parse(body);
        ASSERT_FALSE(msg) << body.toStdString();
        EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
        EXPECT_TRUE(msg.error().message.contains("action message"));
    }
}

TEST(ActMsgTest, RejectsJsonThatIsNotAnObject)
{
    for (const QByteArray &body : {QByteArray("[1,2]"), QByteArray(R"("list")")}) {
        const Result<ActMsg> msg = ActMsg::parse(body);
        ASSERT_FALSE(msg) << body.toStdString();
        EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
    }
}

TEST(ActMsgTest, RejectsAnActionThatIsNotAString)
{
    const Result<ActMsg> msg = ActMsg::parse(R"({"action":5})");
    ASSERT_FALSE(msg);
    EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
}

TEST(ActMsgTest, WritesAllThreeFields)
{
    ActMsg msg;
    msg.action = "list";
    msg.name = "x";
    msg.value = QJsonObject{{"prefix", "p"}};
    const QJsonObject json = QJsonDocument::fromJson(msg.toJson()).object();
    EXPECT_EQ(json.value("action").toString(), "list");
    EXPECT_EQ(json.value("name").toString(), "x");
    EXPECT_EQ(json.value("value").toObject().value("prefix").toString(), "p");
}

TEST(ActMsgTest, SurvivesARoundTrip)
{
    ActMsg msg;
    msg.action = "create-bck";
    msg.value = QJsonObject{{"n", 1}};
    const Result<ActMsg> back = ActMsg::parse(msg.toJson());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->action, msg.action);
    EXPECT_EQ(back->name, msg.name);
    EXPECT_EQ(back->value, msg.value);
}

} // namespace
} // namespace Kiln::Api
