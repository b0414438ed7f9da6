#include "service/runtime/containerplan.h"
#include "shared/api/json.h"
#include "tests/unit/service/runtime/instancespecs.h"

#include <gtest/gtest.h>

#include <QJsonArray>
#include <QJsonObject>

namespace Kiln::Runtime {
namespace {

InstanceSpec specFor(const QJsonObject &init)
{
    return Tests::specFor(init, QStringLiteral("T1x"));
}

const QByteArray PodYaml = R"yaml(kind: Pod
metadata:
  annotations:
    kiln.runtime: container
spec:
  containers:
    - image: team/echo:1
      command: ["/echo", "-p", "$(PORT_X)"]
      args: ["--verbose"]
      env:
        - name: PORT_X
          value: "8080"
      ports:
        - name: default
          containerPort: 8080
      readinessProbe:
        httpGet:
          path: /ready
          port: default
      resources:
        limits:
          cpu: 500m
          memory: 64Mi
)yaml";

TEST(ContainerPlanTest, RunsThePodsCommandArgsEnvPortAndLimits)
{
    const InstanceSpec spec
        = specFor(QJsonObject{{"name", "echo-etl"}, {"spec", QString::fromUtf8(PodYaml)}});
    EXPECT_EQ(requestedRuntime(spec.msg), "container");
    const auto plan = planContainerLaunch(spec);
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->image, "team/echo:1");
    EXPECT_EQ(plan->entrypoint, "/echo");
    EXPECT_EQ(plan->arguments, QStringList({"-p", "8080", "--verbose"}));
    EXPECT_EQ(plan->containerPort, 8080);
    EXPECT_EQ(plan->probePath, "/ready");
    EXPECT_EQ(plan->cpus, "0.5");
    EXPECT_EQ(plan->memory, QString::number(64 * 1024 * 1024));
    EXPECT_TRUE(plan->name.startsWith("kiln-echo-etl-t1x-"));
    const QStringList run = plan->runArguments();
    EXPECT_EQ(run.mid(0, 2), QStringList({"run", "-d"}));
    EXPECT_TRUE(run.contains("127.0.0.1::8080"));
    EXPECT_TRUE(run.contains("kiln.etl=echo-etl"));
    EXPECT_TRUE(
        run.contains("AIS_TARGET_URL=http://host.docker.internal:9/v1/etl/_object/x/secret"));
    EXPECT_TRUE(run.contains("PORT_X=8080"));
    // The image, then what follows the entrypoint.
    EXPECT_EQ(run.mid(run.indexOf("team/echo:1")),
              QStringList({"team/echo:1", "-p", "8080", "--verbose"}));
}

TEST(ContainerPlanTest, EtlSpecWithoutCommandKeepsTheEntrypoint)
{
    const auto plan = planContainerLaunch(specFor(QJsonObject{
        {"name", "md5-etl"},
        {"runtime",
         QJsonObject{
             {"image", "aistorage/transformer_md5"},
             {"env",
              QJsonArray{QJsonObject{{"name", "KILN_RUNTIME"}, {"value", "Container"}}}}}}}));
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_TRUE(plan->entrypoint.isEmpty());
    EXPECT_TRUE(plan->arguments.isEmpty());
    EXPECT_EQ(plan->containerPort, 8000);
    EXPECT_TRUE(plan->cpus.isEmpty());
}

TEST(ContainerPlanTest, RefusesInitCode)
{
    const auto plan = planContainerLaunch(specFor(QJsonObject{
        {"name", "code-etl"}, {"runtime", "python3"}, {"code", "def transform(b): return b"}}));
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().code, ErrorCode::InvalidArgument);
}

TEST(ContainerPlanTest, ParsesEnginePortAndStatsOutput)
{
    EXPECT_EQ(parsePublishedPort("127.0.0.1:32768\n[::1]:32768\n"), 32768);
    EXPECT_EQ(parsePublishedPort("0.0.0.0:40000\n"), 40000);
    EXPECT_EQ(parsePublishedPort("Error: No public port '8000/tcp' published\n"), 0);
    const auto s = parseContainerStats(
        R"({"BlockIO":"0B / 0B","CPUPerc":"12.50%","Container":"abc","MemPerc":"1.2%","MemUsage":"3.5MiB / 64MiB","Name":"kiln-x"})");
    ASSERT_TRUE(s);
    EXPECT_DOUBLE_EQ(s->cpuCores, 0.125);
    EXPECT_EQ(s->memBytes, qint64(3.5 * 1024 * 1024));
    EXPECT_FALSE(parseContainerStats("not json"));
}

} // namespace
} // namespace Kiln::Runtime
