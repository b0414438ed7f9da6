#include "service/node/commandline.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QTemporaryDir>

#include <string>

namespace Kiln::Node {
namespace {

using namespace std::chrono_literals;

Result<Command> parse(const QStringList &arguments)
{
    return parseCommandLine(QStringList{"kilnd"} + arguments);
}

// The error of a command line that must fail; its message is checked by the caller.
QString errorOf(const QStringList &arguments)
{
    const Result<Command> cmd = parse(arguments);
    EXPECT_FALSE(cmd) << arguments.join(' ').toStdString();
    if (cmd)
        return {};
    EXPECT_EQ(cmd.error().code, ErrorCode::InvalidArgument);
    return cmd.error().message;
}

TEST(CommandLineTest, HelpAndVersionAreTheirOwnKinds)
{
    for (const QString &flag : {"--help", "-h"}) {
        const Result<Command> cmd = parse({flag});
        ASSERT_TRUE(cmd);
        EXPECT_EQ(cmd->kind, Command::Kind::Help);
        EXPECT_TRUE(cmd->helpText.contains("Usage: kilnd"));
    }
    for (const QString &flag : {"--version", "-v"}) {
        const Result<Command> cmd = parse({flag});
        ASSERT_TRUE(cmd);
        EXPECT_EQ(cmd->kind, Command::Kind::Version);
    }
}

TEST(CommandLineTest, UnknownRoleIsRejectedByName)
{
    const QString message = errorOf({"gateway"});
    EXPECT_TRUE(message.contains("unknown role \"gateway\""));
    EXPECT_TRUE(message.contains("--help"));
}

TEST(CommandLineTest, ImagesReadsATargetConfigWithoutAProxyUrl)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    QFile file(dir.filePath("kilnd.yaml"));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("etl:\n  containers: off\n  images:\n    - image: team/x\n      command: [run]\n");
    file.close();
    const Result<Command> cmd = parse({"images", "--config", file.fileName()});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->kind, Command::Kind::Images);
    EXPECT_EQ(cmd->node.containers, "off");
    ASSERT_EQ(cmd->node.images.size(), 1);
    EXPECT_EQ(cmd->node.images[0].command, QStringList{"run"});
}

TEST(CommandLineTest, MissingRoleIsRejected)
{
    EXPECT_TRUE(errorOf({}).contains("no role"));
}

TEST(CommandLineTest, SecondPositionalArgumentIsRejected)
{
    EXPECT_TRUE(errorOf({"proxy", "extra"}).contains("\"extra\""));
}

TEST(CommandLineTest, UnknownFlagIsRejected)
{
    EXPECT_TRUE(errorOf({"proxy", "--colour"}).contains("colour"));
}

TEST(CommandLineTest, ClusterDefaults)
{
    const Result<Command> cmd = parse({"cluster"});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->kind, Command::Kind::Cluster);
    EXPECT_EQ(cmd->cluster.targets, 3);
    EXPECT_EQ(cmd->cluster.host, "127.0.0.1");
    EXPECT_EQ(cmd->cluster.port, 8080);
    EXPECT_EQ(cmd->cluster.keepaliveInterval, 1s);
    EXPECT_EQ(cmd->cluster.keepaliveTimeout, 5s);
    EXPECT_TRUE(cmd->cluster.dataDir.endsWith("/kiln/cluster"))
        << cmd->cluster.dataDir.toStdString();
}

TEST(CommandLineTest, ClusterTakesItsFlags)
{
    const Result<Command> cmd
        = parse({"cluster", "--targets", "5", "--port", "0", "--data", "/tmp/c", "--host",
                 "0.0.0.0", "--keepalive-interval", "250ms", "--keepalive-timeout", "2s"});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->cluster.targets, 5);
    EXPECT_EQ(cmd->cluster.port, 0);
    EXPECT_EQ(cmd->cluster.dataDir, "/tmp/c");
    EXPECT_EQ(cmd->cluster.host, "0.0.0.0");
    EXPECT_EQ(cmd->cluster.keepaliveInterval, 250ms);
    EXPECT_EQ(cmd->cluster.keepaliveTimeout, 2s);
}

TEST(CommandLineTest, HttpThreadsAreForEveryNodeAndBounded)
{
    const Result<Command> target
        = parse({"target", "--proxy-url", "http://127.0.0.1:8080", "--http-threads", "3"});
    ASSERT_TRUE(target) << target.error().message.toStdString();
    EXPECT_EQ(target->node.httpThreads, 3);
    const Result<Command> cluster = parse({"cluster", "--http-threads", "1"});
    ASSERT_TRUE(cluster) << cluster.error().message.toStdString();
    EXPECT_EQ(cluster->cluster.httpThreads, 1);
    EXPECT_EQ(parse({"proxy"})->node.httpThreads, 0); // one per core
    EXPECT_FALSE(parse({"proxy", "--http-threads", "257"}));
    EXPECT_FALSE(parse({"proxy", "--http-threads", "-1"}));
}

struct BadFlagCase
{
    std::string label;
    QStringList arguments;
    QString problem; // a phrase of the expected message
};

class CommandLineBadFlagTest : public testing::TestWithParam<BadFlagCase>
{ };

TEST_P(CommandLineBadFlagTest, IsRejectedWithAReason)
{
    const QString message = errorOf(GetParam().arguments);
    EXPECT_TRUE(message.contains(GetParam().problem)) << message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Flags, CommandLineBadFlagTest,
    testing::Values(
        BadFlagCase{"PortNotANumber", {"proxy", "--port", "http"}, "--port"},
        BadFlagCase{"PortNegative", {"proxy", "--port", "-1"}, "--port"},
        BadFlagCase{"PortTooLarge", {"proxy", "--port", "65536"}, "--port"},
        BadFlagCase{"PortEmpty", {"proxy", "--port", ""}, "--port"},
        BadFlagCase{"ClusterPortTooLarge", {"cluster", "--port", "99999"}, "--port"},
        BadFlagCase{"ZeroTargets", {"cluster", "--targets", "0"}, "--targets"},
        BadFlagCase{"TooManyTargets", {"cluster", "--targets", "65"}, "--targets"},
        BadFlagCase{"TargetsNotANumber", {"cluster", "--targets", "three"}, "--targets"},
        BadFlagCase{"TargetsForAProxy", {"proxy", "--targets", "3"}, "--targets is for cluster"},
        BadFlagCase{"MountpathForAProxy", {"proxy", "--mountpath", "/m"}, "--mountpath"},
        BadFlagCase{"MountpathForACluster", {"cluster", "--mountpath", "/m"}, "--mountpath"},
        BadFlagCase{"IdForACluster", {"cluster", "--id", "x"}, "--id"},
        BadFlagCase{"ProxyUrlForACluster", {"cluster", "--proxy-url", "http://h:1"}, "--proxy-url"},
        BadFlagCase{"BadKeepaliveInterval",
                    {"proxy", "--keepalive-interval", "often"},
                    "--keepalive-interval"},
        BadFlagCase{
            "BadKeepaliveTimeout", {"cluster", "--keepalive-timeout", "5x"}, "--keepalive-timeout"},
        BadFlagCase{"ClusterTimeoutUnderTwiceTheInterval",
                    {"cluster", "--keepalive-interval", "2s", "--keepalive-timeout", "3s"},
                    "twice"},
        BadFlagCase{"UnknownLogLevel", {"proxy", "--log-level", "loud"}, "unknown log level"},
        BadFlagCase{
            "UnknownLogSubsystem", {"proxy", "--log-level", "disk=debug"}, "unknown log subsystem"},
        BadFlagCase{"TargetWithoutProxyUrl", {"target", "--data", "/d"}, "proxy's URL"},
        BadFlagCase{
            "TargetWithABadProxyUrl", {"target", "--proxy-url", "localhost"}, "not of the form"},
        BadFlagCase{"BadNodeId", {"proxy", "--id", "a b"}, "node id"}),
    [](const testing::TestParamInfo<BadFlagCase> &info) { return info.param.label; });

TEST(CommandLineTest, ProxyDefaults)
{
    const Result<Command> cmd = parse({"proxy"});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->kind, Command::Kind::Proxy);
    EXPECT_EQ(cmd->node.role, Role::Proxy);
    EXPECT_EQ(cmd->node.effectivePort(), 8080);
    EXPECT_TRUE(cmd->node.dataDir.endsWith("/kiln/proxy")) << cmd->node.dataDir.toStdString();
    EXPECT_TRUE(cmd->node.mountpaths.isEmpty());
}

TEST(CommandLineTest, TargetTakesItsFlags)
{
    const Result<Command> cmd
        = parse({"target", "--proxy-url", "http://127.0.0.1:8080", "--mountpath", "/m1",
                 "--mountpath", "/m2", "--port", "9001", "--data", "/d", "--id", "t-1",
                 "--keepalive-interval", "500ms", "--keepalive-timeout", "1s"});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->kind, Command::Kind::Target);
    EXPECT_EQ(cmd->node.role, Role::Target);
    EXPECT_EQ(cmd->node.proxyUrl, "http://127.0.0.1:8080");
    EXPECT_EQ(cmd->node.mountpaths, (QStringList{"/m1", "/m2"}));
    EXPECT_EQ(cmd->node.port, 9001);
    EXPECT_EQ(cmd->node.dataDir, "/d");
    EXPECT_EQ(cmd->node.id, "t-1");
    EXPECT_EQ(cmd->node.keepaliveInterval, 500ms);
    EXPECT_EQ(cmd->node.keepaliveTimeout, 1s);
}

TEST(CommandLineTest, FlagsWinOverTheConfigFile)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath("proxy.yaml");
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("node:\n  port: 1234\n  host: 10.1.1.1\ndata_dir: /from/file\n");
    file.close();
    const Result<Command> cmd = parse({"proxy", "--config", path, "--port", "2345"});
    ASSERT_TRUE(cmd) << cmd.error().message.toStdString();
    EXPECT_EQ(cmd->node.port, 2345);
    EXPECT_EQ(cmd->node.host, "10.1.1.1");
    EXPECT_EQ(cmd->node.dataDir, "/from/file");
}

TEST(CommandLineTest, ConfigFileErrorsAreReported)
{
    QTemporaryDir dir;
    ASSERT_TRUE(dir.isValid());
    const QString path = dir.filePath("bad.yaml");
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write("colour: blue\n");
    file.close();
    EXPECT_TRUE(errorOf({"proxy", "--config", path}).contains("colour"));
    EXPECT_TRUE(
        errorOf({"proxy", "--config", dir.filePath("absent.yaml")}).contains("absent.yaml"));
}

} // namespace
} // namespace Kiln::Node
