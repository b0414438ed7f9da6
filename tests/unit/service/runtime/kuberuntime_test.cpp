#include "service/kube/kubeconfig.h"
#include "service/runtime/kubeinstance.h"
#include "service/runtime/kuberuntime.h"

#include <gtest/gtest.h>

#include <QJsonObject>

namespace Kiln::Runtime {
namespace {

InstanceSpec echoSpec(const char *comm = "hpush://")
{
    auto msg = Etl::InitMsg::fromJson(
        QByteArray(R"({"name":"echo-etl","communication":")") + comm
        + R"(","runtime":{"image":"aistorage/transformer_echo:latest","command":["cat"]}})");
    EXPECT_TRUE(msg) << msg.error().message.toStdString();
    return InstanceSpec{*msg, QStringLiteral("t1"), QStringLiteral("http://t1/"), {}};
}

TEST(KubeRuntimeTest, AnUnusableConfigFailsEveryInitWithTheReason)
{
    KubeRuntime runtime(
        makeError(ErrorCode::InvalidArgument,
                  QStringLiteral("Kubernetes config /etc/kc: cannot read the file")),
        QStringLiteral("node-1"));
    QObject parent;
    const auto created = runtime.create(echoSpec(), &parent);
    ASSERT_FALSE(created);
    EXPECT_TRUE(created.error().message.contains("/etc/kc: cannot read the file"));
    EXPECT_EQ(runtime.name(), "kubernetes");
}

TEST(KubeRuntimeTest, CreatesAPodInstanceOrSaysWhyNot)
{
    Kube::KubeConfig config;
    config.server = QUrl("https://127.0.0.1:1");
    KubeRuntime runtime(config, QStringLiteral("node-1"));
    QObject parent;
    const auto created = runtime.create(echoSpec(), &parent);
    ASSERT_TRUE(created) << created.error().message.toStdString();
    auto *instance = qobject_cast<KubeInstance *>(*created);
    ASSERT_NE(instance, nullptr);
    EXPECT_EQ(instance->podName(), "echo-etl-t1");
    EXPECT_EQ(instance->phase(), "Pending");

    const auto io = runtime.create(echoSpec("io://"), &parent);
    ASSERT_FALSE(io);
    EXPECT_EQ(io.error().code, ErrorCode::Unsupported);
}

TEST(KubeRuntimeTest, NodeNameFromConfigThenK8sNodeNameThenHostname)
{
    const QByteArray hostname = qgetenv("HOSTNAME");
    qputenv("K8S_NODE_NAME", "from-env");
    EXPECT_EQ(KubeRuntime::resolveNodeName("from-config"), "from-config");
    EXPECT_EQ(KubeRuntime::resolveNodeName({}), "from-env");
    qunsetenv("K8S_NODE_NAME");
    qputenv("HOSTNAME", "host-7");
    EXPECT_EQ(KubeRuntime::resolveNodeName({}), "host-7");
    qputenv("HOSTNAME", hostname);
}

} // namespace
} // namespace Kiln::Runtime
