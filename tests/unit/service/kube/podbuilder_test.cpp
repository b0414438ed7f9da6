#include "service/kube/podbuilder.h"

#include <gtest/gtest.h>

#include <QJsonArray>

namespace Kiln::Kube {
namespace {

QJsonObject envOf(const QJsonObject &container)
{
    QJsonObject env;
    for (const QJsonValue &v : container.value("env").toArray())
        env.insert(v.toObject().value("name").toString(), v.toObject().value("value"));
    return env;
}

Etl::InitMsg podSpecMsg()
{
    auto msg = Etl::InitMsg::fromPodYaml(R"(apiVersion: v1
kind: Pod
metadata:
  name: transformer-echo
  labels: {team: "data"}
  annotations:
    communication_type: "hpush://"
    wait_timeout: 2m
spec:
  containers:
    - name: server
      image: aistorage/transformer_echo:latest
      ports: [{name: default, containerPort: 8000}]
      command: ["uvicorn", "fastapi_server:fastapi_app", "--port", "8000"]
      env: [{name: PORT_TEXT, value: "8000"}]
      resources: {limits: {cpu: 1, memory: 256Mi}}
      readinessProbe: {httpGet: {path: /health, port: default}}
)",
                                         QStringLiteral("echo-etl"));
    EXPECT_TRUE(msg) << msg.error().message.toStdString();
    return *msg;
}

TEST(PodBuilderTest, PodSpecGetsNameLabelsEnvAndNodeAffinity)
{
    Etl::InitMsg msg = podSpecMsg();
    msg.env = {{"SEED", "7"}};
    msg.supportDirectPut = true;
    const auto pod
        = PodBuilder::build({msg, QStringLiteral("t_1"),
                             QStringLiteral("http://10.0.0.5:9000/v1/etl/_object/echo/s3cr3t"),
                             QStringLiteral("node-a")});
    ASSERT_TRUE(pod) << pod.error().message.toStdString();
    const QJsonObject meta = pod->value("metadata").toObject();
    EXPECT_EQ(meta.value("name").toString(), "echo-etl-t-1");
    const QJsonObject labels = meta.value("labels").toObject();
    EXPECT_EQ(labels.value("team").toString(), "data");
    EXPECT_EQ(labels.value("app.kubernetes.io/managed-by").toString(), "kiln");
    EXPECT_EQ(labels.value("kiln/etl").toString(), "echo-etl");
    EXPECT_EQ(labels.value("kiln/target").toString(), "t_1");
    EXPECT_EQ(labels.value("kiln/node").toString(), "node-a");
    EXPECT_EQ(pod->value("kind").toString(), "Pod");

    const QJsonObject spec = pod->value("spec").toObject();
    const QJsonObject term
        = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
              ["nodeSelectorTerms"][0]["matchExpressions"][0]
                  .toObject();
    EXPECT_EQ(term.value("key").toString(), "kubernetes.io/hostname");
    EXPECT_EQ(term.value("operator").toString(), "In");
    EXPECT_EQ(term.value("values").toArray(), QJsonArray{"node-a"});

    const QJsonObject c = spec.value("containers").toArray().first().toObject();
    const QJsonObject env = envOf(c);
    EXPECT_EQ(env.value("AIS_TARGET_URL").toString(),
              "http://10.0.0.5:9000/v1/etl/_object/echo/s3cr3t");
    EXPECT_EQ(env.value("DIRECT_PUT").toString(), "true");
    EXPECT_EQ(env.value("direct_put").toString(), "true");
    EXPECT_EQ(env.value("SEED").toString(), "7");
    // A quoted YAML scalar stays a string; a plain number becomes one.
    EXPECT_TRUE(env.value("PORT_TEXT").isString());
    EXPECT_EQ(c["ports"][0]["containerPort"].toInt(), 8000);
    EXPECT_EQ(c["resources"]["limits"]["cpu"].toInt(), 1);
    EXPECT_EQ(c.value("terminationMessagePolicy").toString(), "FallbackToLogsOnError");
    EXPECT_EQ(c["readinessProbe"]["timeoutSeconds"].toInt(), 5);
    EXPECT_EQ(c["readinessProbe"]["periodSeconds"].toInt(), 10);
}

TEST(PodBuilderTest, WithoutANodeTheSchedulerChooses)
{
    const auto pod = PodBuilder::build({podSpecMsg(), "t1", "http://x/", QString()});
    ASSERT_TRUE(pod);
    EXPECT_FALSE(pod->value("spec").toObject().contains("affinity"));
    EXPECT_FALSE(
        pod->value("metadata").toObject().value("labels").toObject().contains("kiln/node"));
}

TEST(PodBuilderTest, EtlSpecBuildsTheAisContainer)
{
    auto msg = Etl::InitMsg::fromJson(R"({"name":"md5-etl","communication":"hpull://",
        "runtime":{"image":"aistorage/transformer_md5:latest","command":["python","server.py"],
                   "env":[{"name":"A","value":"1"}]},
        "resources":{"limits":{"memory":"128Mi"}}})");
    ASSERT_TRUE(msg) << msg.error().message.toStdString();
    const auto pod = PodBuilder::build({*msg, "t2", "http://t2/", "n2"});
    ASSERT_TRUE(pod) << pod.error().message.toStdString();
    const QJsonObject c = pod->value("spec")["containers"][0].toObject();
    EXPECT_EQ(c.value("name").toString(), "md5-etl");
    EXPECT_EQ(c.value("image").toString(), "aistorage/transformer_md5:latest");
    EXPECT_EQ(c.value("imagePullPolicy").toString(), "Always");
    EXPECT_EQ(c["ports"][0]["name"].toString(), "default");
    EXPECT_EQ(c["ports"][0]["containerPort"].toInt(), 8000);
    EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"].toString(), "/health");
    EXPECT_EQ(c["command"].toArray(), (QJsonArray{"python", "server.py"}));
    EXPECT_EQ(c["resources"]["limits"]["memory"].toString(), "128Mi");
    const QJsonObject env = envOf(c);
    EXPECT_EQ(env.value("A").toString(), "1");
    EXPECT_EQ(env.value("AIS_TARGET_URL").toString(), "http://t2/");
    EXPECT_EQ(env.value("DIRECT_PUT").toString(), "false");
}

TEST(PodBuilderTest, RefusesWhatOnlyTheLocalRuntimeRuns)
{
    auto io = Etl::InitMsg::fromJson(
        R"({"name":"cat-etl","communication":"io://","runtime":{"image":"python:3.11","command":["cat"]}})");
    ASSERT_TRUE(io) << io.error().message.toStdString();
    const auto pod = PodBuilder::build({*io, "t1", "", ""});
    ASSERT_FALSE(pod);
    EXPECT_EQ(pod.error().code, ErrorCode::Unsupported);
    EXPECT_TRUE(pod.error().message.contains("io://"));
}

TEST(PodBuilderTest, PodNamesAreDnsLabels)
{
    EXPECT_EQ(PodBuilder::podName("Echo", "T_1.x"), "echo-t-1-x");
    const QString longName = PodBuilder::podName(QString(60, 'a'), "target-zz");
    EXPECT_LE(longName.size(), 63);
    EXPECT_FALSE(longName.endsWith('-'));
    EXPECT_EQ(PodBuilder::labelValue("_bad value_"), "bad-value");
    EXPECT_EQ(PodBuilder::selector("echo", "t1"),
              "app.kubernetes.io/managed-by=kiln,kiln/etl=echo,kiln/target=t1");
}

TEST(PodBuilderTest, YamlToJsonTypesScalars)
{
    const auto json = yamlToJson("a: 1\nb: '1'\nc: true\nd: 1.5\ne: text\nf: ~\ng: [1, x]\n");
    ASSERT_TRUE(json);
    const QJsonObject o = json->toObject();
    EXPECT_TRUE(o.value("a").isDouble());
    EXPECT_EQ(o.value("b").toString(), "1");
    EXPECT_TRUE(o.value("c").toBool());
    EXPECT_DOUBLE_EQ(o.value("d").toDouble(), 1.5);
    EXPECT_EQ(o.value("e").toString(), "text");
    EXPECT_TRUE(o.value("f").isNull());
    EXPECT_EQ(o.value("g").toArray().at(1).toString(), "x");
    EXPECT_FALSE(yamlToJson("a: [\n"));
}

} // namespace
} // namespace Kiln::Kube
