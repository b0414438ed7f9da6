// kilnd: one binary, three roles (proxy, target, cluster). See `kilnd --help`.
#include "service/authn/authnserver.h"
#include "service/cluster/clustersupervisor.h"
#include "service/node/commandline.h"
#include "service/node/fatalreport.h"
#include "service/node/signalwatcher.h"
#include "service/proxy/proxynode.h"
#include "service/runtime/containerengine.h"
#include "service/runtime/imagecatalogue.h"
#include "service/runtime/runtimefactory.h"
#include "service/target/targetnode.h"
#include "shared/core/logging.h"

#include <QCoreApplication>

#include <cstdio>
#include <malloc.h>
#include <memory>
#include <utility>

using namespace Kiln;

namespace {

int runNode(const Node::Command &cmd)
{
    Node::NodeConfig config = cmd.node;
    if (config.id.isEmpty()) {
        auto id = Node::loadOrCreateNodeId(config.dataDir);
        if (!id) {
            Log::core().critical("{}", id.error().message);
            return 1;
        }
        config.id = *id;
    }
    std::unique_ptr<Node::NodeBase> node;
    Result<void> started;
    if (cmd.kind == Node::Command::Kind::Proxy) {
        auto proxy = std::make_unique<Proxy::ProxyNode>(config);
        started = proxy->start();
        node = std::move(proxy);
    } else {
        auto target = std::make_unique<Target::TargetNode>(config);
        started = target->start();
        QObject::connect(target.get(), &Target::TargetNode::stopRequested, [](const QString &why) {
            Log::core().info("{}: exiting", why);
            QCoreApplication::quit();
        });
        node = std::move(target);
    }
    if (!started) {
        Log::core().critical("{}", started.error().message);
        return 1;
    }
    Node::SignalWatcher signals;
    // The first SIGTERM leaves gracefully (a target sends its objects off first); a second one
    // does not wait.
    bool leaving = false;
    QObject::connect(&signals, &Node::SignalWatcher::terminationRequested,
                     [&node, &leaving](int sig) {
                         Log::core().info("signal {}: shutting down", sig);
                         if (std::exchange(leaving, true))
                             return QCoreApplication::quit();
                         node->leave([] { QCoreApplication::quit(); });
                     });
    const int code = QCoreApplication::exec();
    node.reset(); // aborts in-flight writes (their temporary files go) before exit
    return code;
}

int runAuthn(const Node::Command &cmd)
{
    Authn::AuthnConfig config;
    config.dataDir = cmd.node.dataDir;
    config.host = cmd.node.host;
    config.port = quint16(cmd.node.port);
    config.secret = cmd.node.authSecret.toUtf8();
    config.adminPassword = qEnvironmentVariable("AIS_AUTHN_SU_PASS");
    if (config.adminPassword.isEmpty()) {
        Log::core().warn("authn: AIS_AUTHN_SU_PASS is not set: the admin's first password is \"admin\"");
        config.adminPassword = QStringLiteral("admin");
    }
    Authn::AuthnServer server(config);
    if (auto started = server.start(); !started) {
        Log::core().critical("{}", started.error().message);
        return 1;
    }
    Node::SignalWatcher signals;
    QObject::connect(&signals, &Node::SignalWatcher::terminationRequested, [](int) {
        QCoreApplication::quit();
    });
    return QCoreApplication::exec();
}

int runCluster(const Node::Command &cmd)
{
    Cluster::ClusterSupervisor supervisor(cmd.cluster);
    Node::SignalWatcher signals;
    QObject::connect(&signals, &Node::SignalWatcher::terminationRequested, &supervisor,
                     [&supervisor](int sig) {
                         Log::cluster().info("signal {}: stopping", sig);
                         supervisor.shutdown();
                     });
    QObject::connect(&supervisor, &Cluster::ClusterSupervisor::finished,
                     [](int code) { QCoreApplication::exit(code); });
    if (auto started = supervisor.start(); !started) {
        Log::cluster().critical("{}", started.error().message);
        return 1;
    }
    return QCoreApplication::exec();
}

// `kilnd images`: what a target with this config runs without Kubernetes, and how.
int runImages(const Node::Command &cmd)
{
    auto stock = Runtime::ImageCatalogue::stock();
    if (!stock) {
        std::fprintf(stderr, "kilnd: %s\n", qPrintable(stock.error().message));
        return 1;
    }
    Runtime::ImageCatalogue catalogue = *stock;
    catalogue.prependRules(Runtime::userImageRules(cmd.node));
    std::printf("%-42s %-7s %s\n", "IMAGE (any tag unless given)", "FROM", "RUNS AS");
    for (const Runtime::ImageRule &rule : catalogue.rules()) {
        const QString how = rule.origin == QLatin1String("stock")
            ? QStringLiteral("kiln_image_server.py %1: %2")
                  .arg(rule.implementation, rule.description)
            : rule.command.join(' ');
        std::printf("%-42s %-7s %s\n", qPrintable(rule.pattern), qPrintable(rule.origin),
                    qPrintable(how));
    }
    std::printf("%-42s %-7s %s\n", "python:*, aistorage/runtime_python:*", "builtin",
                "the spec's command with the local python (init_class: a venv with aistore[etl])");
    Runtime::ContainerEngine engine(cmd.node.containers);
    QObject::connect(&engine, &Runtime::ContainerEngine::probed, [&engine, &cmd] {
        std::printf("\ncontainer engine (etl.containers: %s, etl.image_runtime: %s): %s\n",
                    qPrintable(cmd.node.containers), qPrintable(cmd.node.imageRuntime),
                    qPrintable(engine.describe()));
        std::printf("%s\n",
                    engine.state() == Runtime::ContainerEngine::State::Available
                        ? "other images run as containers of that engine"
                        : "other images cannot run here (init answers 400)");
        QCoreApplication::exit(0);
    });
    engine.probe();
    return QCoreApplication::exec();
}

} // namespace

int main(int argc, char *argv[])
{
    Node::installFatalReport();
    // Objects move through 1–2 MiB buffers that come and go per request. glibc maps every
    // allocation over 128 KiB afresh and unmaps it on free, so each such buffer cost page faults
    // and zeroing (~10 % of a target's CPU on 1 MiB hpush); served from the heap they are reused.
    // The heap keeps at most 64 MiB of freed memory before trimming.
    ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    ::mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("kilnd");
    QCoreApplication::setApplicationVersion(KILN_VERSION);
    Log::installQtMessageHandler();

    auto cmd = Node::parseCommandLine(QCoreApplication::arguments());
    if (!cmd) {
        std::fprintf(stderr, "kilnd: %s\n", qPrintable(cmd.error().message));
        return 2;
    }
    switch (cmd->kind) {
    case Node::Command::Kind::Help:
        std::fputs(qPrintable(cmd->helpText), stdout);
        return 0;
    case Node::Command::Kind::Version:
        std::printf("kilnd %s\n", KILN_VERSION);
        return 0;
    case Node::Command::Kind::Cluster:
        return runCluster(*cmd);
    case Node::Command::Kind::Images:
        return runImages(*cmd);
    case Node::Command::Kind::Authn:
        return runAuthn(*cmd);
    case Node::Command::Kind::Proxy:
    case Node::Command::Kind::Target:
        return runNode(*cmd);
    }
    return 2;
}
