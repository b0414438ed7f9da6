#include "service/runtime/runtimefactory.h"

#include "service/kube/kubeconfig.h"
#include "service/runtime/kuberuntime.h"
#include "service/runtime/localruntime.h"
#include "shared/core/logging.h"

namespace Kiln::Runtime {
namespace {

Result<Kube::KubeConfig> loadKubeConfig(const Node::NodeConfig &config)
{
    Result<Kube::KubeConfig> kube = config.kubeconfig.isEmpty()
        ? Kube::KubeConfig::inCluster()
        : Kube::KubeConfig::fromKubeconfig(config.kubeconfig);
    if (kube && !config.kubeNamespace.isEmpty())
        kube->nameSpace = config.kubeNamespace;
    return kube;
}

} // namespace

QList<ImageRule> userImageRules(const Node::NodeConfig &config)
{
    QList<ImageRule> rules;
    for (const Node::ImageMapping &m : config.images) {
        ImageRule rule;
        rule.pattern = m.image;
        rule.origin = QStringLiteral("config");
        rule.command = m.command;
        rule.description = QStringLiteral("runs: %1").arg(m.command.join(' '));
        rules.append(rule);
    }
    return rules;
}

// What the sandbox hides: this target's data and everything that grants access to the cluster.
SandboxConfig sandboxConfig(const Node::NodeConfig &config)
{
    SandboxConfig sandbox;
    sandbox.enabled = config.etlSandbox;
    sandbox.hidden << config.dataDir << config.effectiveMountpaths()
                   << config.effectivePromoteRoot() << QStringLiteral("/etc/kiln");
    if (!config.tlsKey.isEmpty())
        sandbox.hidden << config.tlsKey;
    sandbox.objectFolders = config.effectiveMountpaths();
    return sandbox;
}

std::unique_ptr<Runtime> makeRuntime(const Node::NodeConfig &config)
{
    const QString runtime = config.effectiveEtlRuntime();
    if (runtime == QLatin1String("kubernetes"))
        return std::make_unique<KubeRuntime>(loadKubeConfig(config),
                                             KubeRuntime::resolveNodeName(config.nodeName));
    if (runtime != QLatin1String("local"))
        Log::runtime().error("etl.runtime \"{}\" is unknown; using the local runtime",
                             config.etlRuntime);
    return std::make_unique<LocalRuntime>(
        LocalRuntimeConfig{config.python, config.effectiveVenvDir(), config.containers,
                           config.imageRuntime, userImageRules(config), sandboxConfig(config)});
}

} // namespace Kiln::Runtime
