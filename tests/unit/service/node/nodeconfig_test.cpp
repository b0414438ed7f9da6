#include "service/node/nodeconfig.h"
#include "service/runtime/runtimefactory.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QTemporaryDir>

#include <functional>
#include <string>

namespace Kiln::Node {
namespace {

using namespace std::chrono_literals;

class NodeConfigTest : public testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(m_dir.isValid()); }

    QString writeYaml(const QByteArray &text)
    {
        const QString path = m_dir.filePath(QStringLiteral("config-%1.yaml").arg(++m_files));
        QFile file(path);
        EXPECT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(text);
        return path;
    }

    QTemporaryDir m_dir;
    int m_files = 0;
};

TEST_F(NodeConfigTest, LoadsEveryKnownKey)
{
    const QString path = writeYaml(R"(node:
  id: t-one
  host: 0.0.0.0
  port: 9100
data_dir: /srv/kiln
mountpaths:
  - /mnt/a
  - /mnt/b
proxy_url: http://10.0.0.1:8080
keepalive:
  interval: 2s
  timeout: 1m
log:
  level: debug
  subsystems:
    http: trace
    store: warn
)");
    NodeConfig config;
    config.role = Role::Target;
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_TRUE(loaded) << loaded.error().message.toStdString();
    EXPECT_EQ(config.id, "t-one");
    EXPECT_EQ(config.host, "0.0.0.0");
    EXPECT_EQ(config.port, 9100);
    EXPECT_EQ(config.dataDir, "/srv/kiln");
    EXPECT_EQ(config.mountpaths, (QStringList{"/mnt/a", "/mnt/b"}));
    EXPECT_EQ(config.proxyUrl, "http://10.0.0.1:8080");
    EXPECT_EQ(config.keepaliveInterval, 2s);
    EXPECT_EQ(config.keepaliveTimeout, 60s);
    EXPECT_EQ(config.logLevels, (QStringList{"debug", "http=trace", "store=warn"}));
    EXPECT_TRUE(config.validate());
}

TEST_F(NodeConfigTest, LoadsTheEtlSection)
{
    const QString path = writeYaml("etl:\n  venv_dir: /var/cache/venvs\n  python: python3.11\n");
    NodeConfig config;
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_TRUE(loaded) << loaded.error().message.toStdString();
    EXPECT_EQ(config.venvDir, "/var/cache/venvs");
    EXPECT_EQ(config.python, "python3.11");
}

TEST_F(NodeConfigTest, LoadsTheKubernetesRuntimeKeys)
{
    const QString kubeconfig = writeYaml("apiVersion: v1\n");
    const QString path
        = writeYaml("etl:\n  runtime: kubernetes\n  kubeconfig: " + kubeconfig.toUtf8()
                    + "\n  namespace: kiln\n  node_name: worker-3\n");
    NodeConfig config;
    config.role = Role::Target;
    config.dataDir = "/data";
    config.proxyUrl = "http://127.0.0.1:8080";
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_TRUE(loaded) << loaded.error().message.toStdString();
    EXPECT_EQ(config.etlRuntime, "kubernetes");
    EXPECT_EQ(config.kubeconfig, kubeconfig);
    EXPECT_EQ(config.kubeNamespace, "kiln");
    EXPECT_EQ(config.nodeName, "worker-3");
    EXPECT_EQ(config.effectiveEtlRuntime(), "kubernetes");
    EXPECT_TRUE(config.validate());
}

TEST_F(NodeConfigTest, AutoRuntimeIsLocalOutsideAPod)
{
    NodeConfig config;
    EXPECT_EQ(config.etlRuntime, "auto");
    if (qEnvironmentVariableIsEmpty("KUBERNETES_SERVICE_HOST"))
        EXPECT_EQ(config.effectiveEtlRuntime(), "local");
    config.kubeconfig = "/etc/kiln/kubeconfig";
    EXPECT_EQ(config.effectiveEtlRuntime(), "kubernetes");
    config.etlRuntime = "local";
    EXPECT_EQ(config.effectiveEtlRuntime(), "local");
}

TEST_F(NodeConfigTest, TheEtlSandboxIsOnUnlessTheConfigTurnsItOff)
{
    using Kiln::Runtime::SandboxConfig;
    NodeConfig config;
    EXPECT_TRUE(config.etlSandbox);
    ASSERT_TRUE(config.loadYaml(writeYaml("etl:\n  sandbox: false\n")));
    EXPECT_FALSE(config.etlSandbox);
    const SandboxConfig sandbox = Runtime::sandboxConfig(config);
    EXPECT_FALSE(sandbox.enabled);
    config.dataDir = "/srv/kiln/t1";
    config.tlsKey = "/srv/kiln/tls/node.key";
    const SandboxConfig hidden = Runtime::sandboxConfig(config);
    for (const QString &path : {QString("/srv/kiln/t1"), QString("/srv/kiln/t1/mp1"),
                                QString("/srv/kiln/tls/node.key"), QString("/etc/kiln")})
        EXPECT_TRUE(hidden.hidden.contains(path)) << path.toStdString();
    EXPECT_EQ(hidden.objectFolders, config.effectiveMountpaths());
}

TEST_F(NodeConfigTest, LoadsImageMappingsAndTheContainerEngine)
{
    const QString path = writeYaml("etl:\n  containers: docker\n  image_runtime: container\n"
                                   "  images:\n    - image: team/*\n"
                                   "      command: [python3, srv.py, --port, \"$(PORT)\"]\n");
    NodeConfig config;
    config.proxyUrl = "http://127.0.0.1:8080";
    config.dataDir = m_dir.path();
    config.role = Role::Target;
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_TRUE(loaded) << loaded.error().message.toStdString();
    EXPECT_EQ(config.containers, "docker");
    EXPECT_EQ(config.imageRuntime, "container");
    ASSERT_EQ(config.images.size(), 1);
    EXPECT_EQ(config.images[0].image, "team/*");
    EXPECT_EQ(config.images[0].command, (QStringList{"python3", "srv.py", "--port", "$(PORT)"}));
    EXPECT_TRUE(config.validate());
}

TEST_F(NodeConfigTest, RefusesBadImageMappingsAndEngines)
{
    NodeConfig config;
    const Result<void> loaded
        = config.loadYaml(writeYaml("etl:\n  images:\n    - image: team/x\n      cmd: [a]\n"));
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.contains("{image: NAME-OR-GLOB, command"))
        << loaded.error().message.toStdString();
    NodeConfig engine;
    engine.proxyUrl = "http://127.0.0.1:8080";
    engine.dataDir = m_dir.path();
    engine.containers = "lxc";
    EXPECT_FALSE(engine.validate());
    engine.containers = "off";
    engine.imageRuntime = "container";
    EXPECT_FALSE(engine.validate());
}

TEST_F(NodeConfigTest, RefusesMisspeltKeyInsideASectionNamingIt)
{
    NodeConfig config;
    const Result<void> loaded
        = config.loadYaml(writeYaml("node:\n  port: 1\nkeepalive:\n  intervall: 2s\n"));
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.contains("keepalive.intervall"))
        << loaded.error().message.toStdString();
    EXPECT_TRUE(loaded.error().message.contains(":4:")) << loaded.error().message.toStdString();
}

TEST_F(NodeConfigTest, KeepsWhatTheFileDoesNotMention)
{
    NodeConfig config;
    config.dataDir = "/before";
    config.port = 1234;
    ASSERT_TRUE(config.loadYaml(writeYaml("proxy_url: http://h:1\n")));
    EXPECT_EQ(config.dataDir, "/before");
    EXPECT_EQ(config.port, 1234);
    EXPECT_EQ(config.keepaliveInterval, 1s);
}

TEST_F(NodeConfigTest, EmptyFileChangesNothing)
{
    NodeConfig config;
    ASSERT_TRUE(config.loadYaml(writeYaml("")));
    EXPECT_EQ(config.host, "127.0.0.1");
    EXPECT_EQ(config.port, -1);
}

TEST_F(NodeConfigTest, UnknownKeyIsNamedWithItsLine)
{
    NodeConfig config;
    const QString path = writeYaml("data_dir: /x\nmountpaths: [/a]\nprxy_url: http://h:1\n");
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(loaded.error().message.startsWith(path + ":3:"))
        << loaded.error().message.toStdString();
    EXPECT_TRUE(loaded.error().message.contains("prxy_url"));
}

TEST_F(NodeConfigTest, BadDurationIsNamedWithItsKeyAndLine)
{
    NodeConfig config;
    const QString path = writeYaml("keepalive:\n  interval: 1s\n  timeout: 5 parsecs\n");
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.startsWith(path + ":3:"))
        << loaded.error().message.toStdString();
    EXPECT_TRUE(loaded.error().message.contains("keepalive.timeout"));
    EXPECT_TRUE(loaded.error().message.contains("5 parsecs"));
}

TEST_F(NodeConfigTest, ValueOfTheWrongTypeIsNamedWithItsLine)
{
    NodeConfig config;
    const QString path = writeYaml("node:\n  port: eighty\n");
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.startsWith(path + ":2:"))
        << loaded.error().message.toStdString();
}

TEST_F(NodeConfigTest, MalformedYamlIsNamedWithItsLine)
{
    NodeConfig config;
    const QString path = writeYaml("data_dir: /x\nmountpaths: [/a, /b\n");
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.startsWith(path + ':'))
        << loaded.error().message.toStdString();
}

TEST_F(NodeConfigTest, MountpathsMustBeAList)
{
    NodeConfig config;
    const Result<void> loaded = config.loadYaml(writeYaml("mountpaths: /just/one\n"));
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.contains("mountpaths must be a list"));
}

TEST_F(NodeConfigTest, TheTopLevelMustBeAMapping)
{
    NodeConfig config;
    const Result<void> loaded = config.loadYaml(writeYaml("- a\n- b\n"));
    ASSERT_FALSE(loaded);
    EXPECT_TRUE(loaded.error().message.contains("mapping"));
}

TEST_F(NodeConfigTest, MissingFileIsReported)
{
    NodeConfig config;
    const QString path = m_dir.filePath("absent.yaml");
    const Result<void> loaded = config.loadYaml(path);
    ASSERT_FALSE(loaded);
    EXPECT_EQ(loaded.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(loaded.error().message.contains(path));
}

TEST(NodeConfigDefaultsTest, PortDependsOnTheRole)
{
    NodeConfig config;
    config.role = Role::Proxy;
    EXPECT_EQ(config.effectivePort(), 8080);
    config.role = Role::Target;
    EXPECT_EQ(config.effectivePort(), 0);
    config.port = 9000;
    EXPECT_EQ(config.effectivePort(), 9000);
}

TEST(NodeConfigDefaultsTest, MountpathDefaultsToOneBelowTheDataFolder)
{
    NodeConfig config;
    config.dataDir = "/data";
    EXPECT_EQ(config.effectiveMountpaths(), QStringList{"/data/mp1"});
    config.mountpaths = {"/m1", "/m2"};
    EXPECT_EQ(config.effectiveMountpaths(), (QStringList{"/m1", "/m2"}));
}

TEST(NodeConfigDefaultsTest, NodeIdIsCreatedOnceAndKept)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString data = dir.filePath("fresh/data");
    const Result<QString> first = loadOrCreateNodeId(data);
    ASSERT_TRUE(first) << first.error().message.toStdString();
    EXPECT_FALSE(first->isEmpty());
    const Result<QString> second = loadOrCreateNodeId(data);
    ASSERT_TRUE(second);
    EXPECT_EQ(*second, *first);
    NodeConfig config;
    config.dataDir = data;
    config.id = *first;
    EXPECT_TRUE(config.validate()) << "a generated id must pass validation";
}

// A config that passes validate(), for the table below to spoil one field at a time.
NodeConfig validTarget()
{
    NodeConfig config;
    config.role = Role::Target;
    config.dataDir = "/data";
    config.proxyUrl = "http://127.0.0.1:8080";
    return config;
}

struct ValidateCase
{
    std::string label;
    std::function<void(NodeConfig &)> spoil;
    QString problem; // a phrase of the expected message
};

class NodeConfigProblemTest : public testing::TestWithParam<ValidateCase>
{ };

TEST_P(NodeConfigProblemTest, IsStatedByValidate)
{
    NodeConfig config = validTarget();
    GetParam().spoil(config);
    const Result<void> valid = config.validate();
    ASSERT_FALSE(valid);
    EXPECT_EQ(valid.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(valid.error().message.contains(GetParam().problem))
        << valid.error().message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Problems, NodeConfigProblemTest,
    testing::Values(
        ValidateCase{"PortTooLarge", [](NodeConfig &c) { c.port = 65536; }, "out of range"},
        ValidateCase{"PortNegative", [](NodeConfig &c) { c.port = -2; }, "out of range"},
        ValidateCase{"EmptyHost", [](NodeConfig &c) { c.host.clear(); }, "host is empty"},
        ValidateCase{"NoDataFolder", [](NodeConfig &c) { c.dataDir.clear(); }, "no data folder"},
        ValidateCase{"IdWithASpace", [](NodeConfig &c) { c.id = "t one"; }, "node id"},
        ValidateCase{"IdWithASlash", [](NodeConfig &c) { c.id = "t/1"; }, "node id"},
        ValidateCase{"IdNotAscii", [](NodeConfig &c) { c.id = QStringLiteral("tü"); }, "node id"},
        ValidateCase{"TargetWithoutProxy", [](NodeConfig &c) { c.proxyUrl.clear(); },
                     "needs the proxy's URL"},
        ValidateCase{"ProxyUrlNotHttp", [](NodeConfig &c) { c.proxyUrl = "ftp://h:21"; },
                     "not of the form"},
        ValidateCase{"ProxyUrlWithoutPort", [](NodeConfig &c) { c.proxyUrl = "http://h"; },
                     "not of the form"},
        ValidateCase{"ProxyUrlWithoutHost", [](NodeConfig &c) { c.proxyUrl = "http://:80"; },
                     "not of the form"},
        ValidateCase{"KeepaliveTooFrequent", [](NodeConfig &c) { c.keepaliveInterval = 50ms; },
                     "at least 100ms"},
        ValidateCase{"UnknownRuntime", [](NodeConfig &c) { c.etlRuntime = "docker"; },
                     "etl.runtime \"docker\" is unknown (use auto, local, kubernetes)"},
        ValidateCase{"MissingKubeconfig",
                     [](NodeConfig &c) { c.kubeconfig = "/nonexistent/kubeconfig"; },
                     "etl.kubeconfig /nonexistent/kubeconfig does not exist"},
        ValidateCase{"BadNamespace", [](NodeConfig &c) { c.kubeNamespace = "Kiln_NS"; },
                     "not a Kubernetes namespace name"},
        ValidateCase{"KeepaliveTimeoutTooShort",
                     [](NodeConfig &c) { c.keepaliveTimeout = c.keepaliveInterval * 2 - 1ms; },
                     "twice the interval"}),
    [](const testing::TestParamInfo<ValidateCase> &info) { return info.param.label; });

TEST(NodeConfigValidationTest, AcceptsAValidTarget)
{
    const Result<void> valid = validTarget().validate();
    EXPECT_TRUE(valid) << valid.error().message.toStdString();
}

TEST(NodeConfigValidationTest, ProxyNeedsNoProxyUrl)
{
    NodeConfig config;
    config.role = Role::Proxy;
    config.dataDir = "/data";
    EXPECT_TRUE(config.validate());
}

TEST(NodeConfigValidationTest, StatesEveryProblemAtOnce)
{
    NodeConfig config = validTarget();
    config.port = 70000;
    config.host.clear();
    config.proxyUrl.clear();
    const Result<void> valid = config.validate();
    ASSERT_FALSE(valid);
    EXPECT_TRUE(valid.error().message.contains("out of range"));
    EXPECT_TRUE(valid.error().message.contains("host is empty"));
    EXPECT_TRUE(valid.error().message.contains("proxy's URL"));
}

} // namespace
} // namespace Kiln::Node
