#include "shared/api/json.h"
#include "shared/etl/initmsg.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Etl {
namespace {

using namespace std::chrono_literals;

const char PodYaml[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: from-metadata
  annotations:
    communication_type: hrev://
    wait_timeout: 90s
spec:
  containers:
    - name: server
      image: python:3.11
      command: ["python3", "server.py"]
      ports:
        - name: default
          containerPort: 8000
      readinessProbe:
        httpGet:
          path: /health
          port: default
)";

QByteArray json(const QJsonObject &o)
{
    return Api::compact(o);
}

TEST(InitMsgTest, ParsesEtlSpecAsTheSdkSendsIt)
{
    const auto msg = InitMsg::fromJson(json(QJsonObject{
        {"name", "echo-etl"},
        {"communication", "hpull://"},
        {"init_timeout", "5m"},
        {"obj_timeout", "45s"},
        {"support_direct_put", true},
        {"runtime",
         QJsonObject{{"image", "aistorage/runtime_python:3.11"},
                     {"command", QJsonArray{"python", "server.py"}},
                     {"env", QJsonArray{QJsonObject{{"name", "K"}, {"value", "v"}}}}}}}));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->kind, InitKind::EtlSpec);
    EXPECT_EQ(msg->name, "echo-etl");
    EXPECT_EQ(msg->comm, CommType::Hpull);
    EXPECT_EQ(msg->initTimeout, 5min);
    EXPECT_EQ(msg->objTimeout, 45s);
    EXPECT_TRUE(msg->supportDirectPut);
    EXPECT_EQ(msg->image, "aistorage/runtime_python:3.11");
    EXPECT_EQ(msg->command, QStringList({"python", "server.py"}));
    ASSERT_EQ(msg->runtimeEnv.size(), 1);
    EXPECT_EQ(msg->runtimeEnv[0].name, "K");
}

TEST(InitMsgTest, FillsSeedDefaults)
{
    const auto msg = InitMsg::fromJson(
        json(QJsonObject{{"name", "echo-etl"}, {"runtime", QJsonObject{{"image", "python:3"}}}}));
    ASSERT_TRUE(msg);
    EXPECT_EQ(msg->comm, CommType::Hpush);
    EXPECT_EQ(msg->initTimeout, 45s);
    EXPECT_EQ(msg->objTimeout, 10s);
    EXPECT_FALSE(msg->supportDirectPut);
}

// Found while adding the fuzz targets (review; UBSan float-cast-overflow under tests/fuzz/initmsg
// with the seed hugenumber.json): a timeout given as a huge JSON number was cast to
// qint64 milliseconds unchecked (undefined behaviour, UBSan float-cast-overflow); a huge bare
// number of seconds came back negative. Both are refused; ordinary numbers still read as seconds.
TEST(InitMsgTest, RefusesTimeoutsBeyondRange)
{
    const QJsonObject base{{"name", "echo-etl"}, {"runtime", QJsonObject{{"image", "python:3"}}}};
    for (const QJsonValue bad : {QJsonValue(1e300), QJsonValue(-1e300), QJsonValue("1e17")}) {
        QJsonObject o = base;
        o.insert("init_timeout", bad);
        const auto msg = InitMsg::fromJson(json(o));
        ASSERT_FALSE(msg) << QJsonDocument(o).toJson().toStdString();
        EXPECT_TRUE(msg.error().message.contains("init_timeout"));
    }
    QJsonObject o = base;
    o.insert("init_timeout", 90);
    o.insert("obj_timeout", 1.5);
    const auto msg = InitMsg::fromJson(json(o));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->initTimeout, 90s);
    EXPECT_EQ(msg->objTimeout, 1500ms);
}

TEST(InitMsgTest, ParsesBase64PodSpecWithAnnotations)
{
    const auto msg = InitMsg::fromJson(json(QJsonObject{
        {"name", "spec-etl"}, {"spec", QString::fromLatin1(QByteArray(PodYaml).toBase64())}}));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->kind, InitKind::PodSpec);
    EXPECT_EQ(msg->comm, CommType::Hrev); // from the annotation
    EXPECT_EQ(msg->initTimeout, 90s); // wait_timeout
    EXPECT_EQ(msg->podYaml, QByteArray(PodYaml));
    EXPECT_EQ(msg->pod.image, "python:3.11");
}

TEST(InitMsgTest, MessageFieldsWinOverAnnotations)
{
    const auto msg = InitMsg::fromJson(json(QJsonObject{{"name", "spec-etl"},
                                                        {"communication", "hpush"},
                                                        {"init_timeout", "10s"},
                                                        {"spec", QString::fromUtf8(PodYaml)}}));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->comm, CommType::Hpush);
    EXPECT_EQ(msg->initTimeout, 10s);
}

TEST(InitMsgTest, TakesNameFromPodMetadataForSeedYaml)
{
    const auto msg = InitMsg::fromPodYaml(PodYaml);
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->name, "from-metadata");
    const auto named = InitMsg::fromPodYaml(PodYaml, "other-name", "io://");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->name, "other-name");
    EXPECT_EQ(named->comm, CommType::Io);
}

TEST(InitMsgTest, ParsesSeedCodeMessageWithIdAndPlainText)
{
    const QString code
        = "import hashlib\ndef transform(b):\n    return hashlib.md5(b).hexdigest().encode()\n";
    const auto msg = InitMsg::fromJson(json(QJsonObject{{"id", "md5-code"},
                                                        {"runtime", "python3"},
                                                        {"code", code},
                                                        {"dependencies", "six==1.16.0\n"},
                                                        {"communication_type", "hpull://"}}));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->kind, InitKind::Code);
    EXPECT_EQ(msg->name, "md5-code");
    EXPECT_EQ(msg->code, code.toUtf8());
    EXPECT_EQ(msg->dependencies, QByteArray("six==1.16.0\n"));
    EXPECT_EQ(msg->comm, CommType::Hpull);
    EXPECT_EQ(msg->transformFunc, "transform");
}

TEST(InitMsgTest, DecodesBase64CodeAndFuncs)
{
    const QByteArray code = "def f(b):\n    return b\n";
    const auto msg
        = InitMsg::fromJson(json(QJsonObject{{"name", "code-b64"},
                                             {"runtime", "python3.11v2"},
                                             {"code", QString::fromLatin1(code.toBase64())},
                                             {"funcs", QJsonObject{{"transform", "f"}}},
                                             {"chunk_size", 4096}}));
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    EXPECT_EQ(msg->code, code);
    EXPECT_EQ(msg->transformFunc, "f");
    EXPECT_EQ(msg->chunkSize, 4096);
    EXPECT_EQ(msg->effectiveImage(), "aistorage/runtime_python:3.11");
}

TEST(InitMsgTest, RoundTripsThroughItsStoredForm)
{
    for (const QByteArray &body :
         {json(QJsonObject{{"name", "code-etl"},
                           {"runtime", "python3.10"},
                           {"code", "def transform(b): return b"},
                           {"communication", "io://"},
                           {"obj_timeout", "3s"}}),
          json(QJsonObject{{"name", "spec-etl"}, {"spec", QString::fromUtf8(PodYaml)}}),
          json(QJsonObject{
              {"name", "image-etl"},
              {"env", QJsonArray{QJsonObject{{"name", "A"}, {"value", "1"}}}},
              {"runtime", QJsonObject{{"image", "python:3.12"}, {"command", QJsonArray{"x"}}}}})}) {
        const auto first = InitMsg::fromJson(body);
        ASSERT_TRUE(first) << first.error().message.toStdString();
        const QJsonObject stored = first->toJson();
        const auto second = InitMsg::fromJson(json(stored));
        ASSERT_TRUE(second) << second.error().message.toStdString();
        EXPECT_EQ(second->toJson(), stored);
        EXPECT_EQ(second->kind, first->kind);
        EXPECT_EQ(second->objTimeout, first->objTimeout);
        EXPECT_TRUE(stored.value("communication").toString().endsWith("://"));
    }
}

struct BadCase
{
    const char *label;
    QJsonObject body;
    const char *words;
};

class InitMsgRejectTest : public testing::TestWithParam<BadCase>
{ };

TEST_P(InitMsgRejectTest, RejectsWithClearMessage)
{
    const auto msg = InitMsg::fromJson(json(GetParam().body));
    ASSERT_FALSE(msg);
    EXPECT_EQ(msg.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(msg.error().message.contains(QString::fromLatin1(GetParam().words)))
        << msg.error().message.toStdString();
}

const QJsonObject Image{{"image", "python:3"}};

INSTANTIATE_TEST_SUITE_P(
    Table, InitMsgRejectTest,
    testing::Values(
        BadCase{"bad_name", QJsonObject{{"name", "1bad"}, {"runtime", Image}},
                "start with a letter"},
        BadCase{"missing_name", QJsonObject{{"runtime", Image}}, "empty"},
        BadCase{"unknown_comm",
                QJsonObject{{"name", "goodname"}, {"communication", "smtp://"}, {"runtime", Image}},
                "unknown comm-type"},
        BadCase{"bad_timeout",
                QJsonObject{{"name", "goodname"}, {"init_timeout", "soon"}, {"runtime", Image}},
                "init_timeout"},
        BadCase{"empty_image",
                QJsonObject{{"name", "goodname"}, {"runtime", QJsonObject{{"image", ""}}}},
                "runtime.image"},
        BadCase{"code_without_runtime", QJsonObject{{"name", "goodname"}, {"code", "x"}},
                "runtime is required"},
        BadCase{"unknown_runtime",
                QJsonObject{{"name", "goodname"}, {"code", "x"}, {"runtime", "ruby3"}},
                "unsupported runtime"},
        BadCase{"spec_and_code", QJsonObject{{"name", "goodname"}, {"code", "x"}, {"spec", "y"}},
                "not both"},
        BadCase{"nothing", QJsonObject{{"name", "goodname"}}, "expected runtime.image"},
        BadCase{"bad_spec", QJsonObject{{"name", "goodname"}, {"spec", "kind: Pod\nspec: {}\n"}},
                "spec.containers"},
        BadCase{"io_without_command",
                QJsonObject{{"name", "goodname"}, {"communication", "io://"}, {"runtime", Image}},
                "io://"},
        BadCase{"big_chunk",
                QJsonObject{{"name", "goodname"},
                            {"code", "x"},
                            {"runtime", "python3"},
                            {"chunk_size", 2000000}},
                "chunk_size"}),
    [](const testing::TestParamInfo<BadCase> &info) { return std::string(info.param.label); });

TEST(InitMsgTest, WebSocketNeedsDirectPutAsInAis)
{
    const QJsonObject base{{"name", "ws-etl"}, {"communication", "ws://"}, {"runtime", Image}};
    const auto refused = InitMsg::fromJson(json(base));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::Unsupported); // 501, as AIS's ErrUnsupp
    EXPECT_TRUE(refused.error().message.startsWith("WebSocket without direct put is not supported"))
        << refused.error().message.toStdString();
    QJsonObject direct = base;
    direct.insert("support_direct_put", true);
    const auto accepted = InitMsg::fromJson(json(direct));
    ASSERT_TRUE(accepted) << accepted.error().message.toStdString();
    EXPECT_EQ(accepted->comm, CommType::Ws);
}

TEST(InitMsgTest, KnowsSeedRuntimes)
{
    for (const char *ok :
         {"python3", "python3.6", "python3.8", "python3.10", "python3.11v2", "python3.13v2"})
        EXPECT_TRUE(isKnownCodeRuntime(ok)) << ok;
    for (const char *bad : {"python2", "python4", "python3.99", "node"})
        EXPECT_FALSE(isKnownCodeRuntime(bad)) << bad;
}

TEST(InitMsgTest, ParsesCommTypesWithAndWithoutSuffix)
{
    EXPECT_EQ(*parseCommType("ws"), CommType::Ws);
    EXPECT_EQ(*parseCommType("io://"), CommType::Io);
    EXPECT_EQ(*parseCommType(""), CommType::Hpush);
    EXPECT_EQ(commTypeName(CommType::Hrev), "hrev://");
    EXPECT_FALSE(parseCommType("ftp://"));
}

} // namespace
} // namespace Kiln::Etl
