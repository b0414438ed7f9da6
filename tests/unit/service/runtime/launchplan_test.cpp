#include "service/runtime/launchplan.h"
#include "shared/api/json.h"
#include "tests/unit/service/runtime/instancespecs.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <QJsonArray>
#include <QJsonObject>

namespace Kiln::Runtime {
namespace {

using Tests::specFor;

TEST(LaunchPlanTest, ExpandsKubernetesVariables)
{
    QProcessEnvironment env;
    env.insert("PORT", "4321");
    env.insert("NAME", "md5");
    EXPECT_EQ(expandKubeVars("--port=$(PORT)", env), "--port=4321");
    EXPECT_EQ(expandKubeVars("$(NAME)-$(PORT)", env), "md5-4321");
    EXPECT_EQ(expandKubeVars("$(UNDEFINED)", env), "$(UNDEFINED)");
    EXPECT_EQ(expandKubeVars("$$(PORT)", env), "$(PORT)");
    EXPECT_EQ(expandKubeVars("$(PORT", env), "$(PORT");
    EXPECT_EQ(expandKubeVars("cost $5", env), "cost $5");
}

TEST(LaunchPlanTest, OverridesHardCodedContainerPort)
{
    EXPECT_EQ(overridePort({"--port", "8000"}, 8000, 40001), QStringList({"--port", "40001"}));
    EXPECT_EQ(overridePort({"-p", "8000"}, 8000, 40001), QStringList({"-p", "40001"}));
    EXPECT_EQ(overridePort({"--port=8000"}, 8000, 40001), QStringList({"--port=40001"}));
    EXPECT_EQ(overridePort({"--bind", "0.0.0.0:8000"}, 8000, 40001),
              QStringList({"--bind", "0.0.0.0:40001"}));
    // Other numbers stay: only the container port is the server's.
    EXPECT_EQ(overridePort({"--workers", "8000", "--port", "80"}, 8000, 40001),
              QStringList({"--workers", "8000", "--port", "80"}));
}

TEST(LaunchPlanTest, RecognisesPythonImages)
{
    for (const char *image :
         {"python:3.11", "python", "docker.io/library/python:3.12-slim", "library/python:3",
          "aistorage/runtime_python:3.11", "python@sha256:abcd"})
        EXPECT_TRUE(isPythonImage(image)) << image;
    for (const char *image : {"nginx:latest", "aistorage/transformer_md5:latest", "mypython:1",
                              "registry:5000/python:3"})
        EXPECT_FALSE(isPythonImage(image)) << image;
}

TEST(LaunchPlanTest, RefusesImagesItCannotRunAndSaysWhy)
{
    const auto plan
        = planLocalLaunch(specFor(QJsonObject{{"name", "nginx-etl"},
                                              {"runtime", QJsonObject{{"image", "nginx:latest"}}}}),
                          5000, "python3");
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(plan.error().message.contains("nginx:latest"));
    // The ways to make it runnable: a mapping in the config, a container engine.
    EXPECT_TRUE(plan.error().message.contains("etl.images"));
    EXPECT_TRUE(plan.error().message.contains("container engine"));
}

TEST(LaunchPlanTest, NeedsACommandForImages)
{
    const auto plan
        = planLocalLaunch(specFor(QJsonObject{{"name", "no-command"},
                                              {"runtime", QJsonObject{{"image", "python:3.11"}}}}),
                          5000, "python3");
    ASSERT_FALSE(plan);
    EXPECT_TRUE(plan.error().message.contains("command"));
}

TEST(LaunchPlanTest, PlansPodSpecWithPortEnvAndProbe)
{
    const QByteArray yaml = R"yaml(kind: Pod
spec:
  containers:
    - image: python:3.11
      command: ["python3", "server.py", "--port", "8080", "--name", "$(ETL_NAME_X)"]
      env:
        - name: ETL_NAME_X
          value: on-$(PORT)
      ports:
        - name: default
          containerPort: 8080
      readinessProbe:
        httpGet:
          path: /ready
          port: default
)yaml";
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{{"name", "pod-etl"}, {"spec", QString::fromUtf8(yaml)}}), 41234,
        "python3");
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->program, "python3");
    EXPECT_EQ(plan->arguments, QStringList({"server.py", "--port", "41234", "--name", "on-41234"}));
    EXPECT_EQ(plan->environment.value("PORT"), "41234");
    EXPECT_EQ(plan->environment.value("AIS_TARGET_URL"),
              "http://127.0.0.1:9/v1/etl/_object/x/secret");
    EXPECT_EQ(plan->environment.value("DIRECT_PUT"), "false");
    EXPECT_EQ(plan->probePath, "/ready");
    EXPECT_EQ(plan->port, 41234);
    EXPECT_FALSE(plan->io);
}

TEST(LaunchPlanTest, RefusesValueFromLocally)
{
    const QByteArray yaml = R"yaml(kind: Pod
spec:
  containers:
    - image: python:3.11
      command: ["python3", "server.py"]
      env:
        - name: NODE
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
      ports:
        - name: default
          containerPort: 8000
      readinessProbe:
        httpGet:
          path: /health
          port: default
)yaml";
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{{"name", "pod-etl"}, {"spec", QString::fromUtf8(yaml)}}), 41234,
        "python3");
    ASSERT_FALSE(plan);
    EXPECT_TRUE(plan.error().message.contains("valueFrom"));
}

TEST(LaunchPlanTest, PlansCodeWithDependenciesAndServer)
{
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{{"name", "code-etl"},
                            {"runtime", "python3.11v2"},
                            {"code", "def transform(b): return b"},
                            {"dependencies", "# pinned\nsix==1.16.0\n\nrequests\n"}}),
        41000, "python3");
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->requirements, QStringList({"six==1.16.0", "requests"}));
    ASSERT_EQ(plan->files.size(), 2);
    EXPECT_EQ(plan->files[0].first, "code.py");
    EXPECT_EQ(plan->files[0].second, QByteArray("def transform(b): return b"));
    EXPECT_EQ(plan->files[1].first, "kiln_code_server.py");
    EXPECT_TRUE(plan->files[1].second.contains("def load_transform"));
    EXPECT_EQ(plan->arguments, QStringList({"/tmp/kiln-work/kiln_code_server.py"}));
    EXPECT_EQ(plan->environment.value("KILN_CODE_FILE"), "/tmp/kiln-work/code.py");
}

TEST(LaunchPlanTest, PlansIoCodeAsOneProgramPerObject)
{
    const auto plan = planLocalLaunch(specFor(QJsonObject{{"name", "io-code-etl"},
                                                          {"runtime", "python3"},
                                                          {"communication", "io://"},
                                                          {"code", "import sys"}}),
                                      41000, "python3");
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_TRUE(plan->io);
    EXPECT_EQ(plan->port, 0);
    EXPECT_FALSE(plan->environment.contains("PORT"));
    EXPECT_EQ(plan->arguments, QStringList({"/tmp/kiln-work/code.py"}));
    // The fork server that runs those programs when the target can attach to it.
    EXPECT_EQ(plan->forkServerArguments,
              QStringList({"/tmp/kiln-work/kiln_io_forkserver.py", "/tmp/kiln-work/code.py",
                           "kiln-io.sock"}));
    const auto server = std::find_if(plan->files.begin(), plan->files.end(), [](const auto &f) {
        return f.first == "kiln_io_forkserver.py";
    });
    ASSERT_NE(server, plan->files.end());
    EXPECT_TRUE(server->second.contains("runpy.run_path"));
}

TEST(LaunchPlanTest, PlansNoForkServerForAnIoSpec)
{
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{{"name", "io-spec-etl"},
                            {"communication", "io://"},
                            {"runtime", QJsonObject{{"image", "python:3.11"},
                                                    {"command", QJsonArray{"python3", "t.py"}}}}}),
        41000, "python3");
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_TRUE(plan->io);
    EXPECT_TRUE(plan->forkServerArguments.isEmpty());
}

TEST(LaunchPlanTest, PlansInitClassWithTheClientsSdk)
{
    const auto plan = planLocalLaunch(
        specFor(QJsonObject{
            {"name", "class-etl"},
            {"runtime",
             QJsonObject{
                 {"image", "aistorage/runtime_python:3.11"},
                 {"env",
                  QJsonArray{QJsonObject{{"name", "ETL_CLASS_PAYLOAD"}, {"value", "AAAA"}},
                             QJsonObject{{"name", "PACKAGES"}, {"value", "six,tqdm"}},
                             QJsonObject{{"name", "KILN_SDK_VERSION"}, {"value", "1.24.0"}}}}}}}),
        41000, "python3");
    ASSERT_TRUE(plan) << plan.error().message.toStdString();
    EXPECT_EQ(plan->requirements, QStringList({"aistore[etl]==1.24.0", "six", "tqdm"}));
    EXPECT_EQ(plan->arguments, QStringList({"/tmp/kiln-work/kiln_class_runtime.py"}));
}

} // namespace
} // namespace Kiln::Runtime
