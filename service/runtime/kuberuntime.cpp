#include "service/runtime/kuberuntime.h"

#include "service/kube/kubeclient.h"
#include "service/kube/kubeconfig.h"
#include "service/kube/podbuilder.h"
#include "service/runtime/kubeinstance.h"
#include "shared/core/logging.h"

namespace Kiln::Runtime {

KubeRuntime::KubeRuntime(const Result<Kube::KubeConfig> &config, QString nodeName, QObject *parent)
    : Runtime(parent)
    , m_nodeName(std::move(nodeName))
{
    if (!config) {
        m_configError = config.error();
    } else if (auto client = Kube::KubeClient::create(*config, this); !client) {
        m_configError = client.error();
    } else {
        m_client = *client;
        Log::kube().info("kubernetes runtime: API server {} ({}), namespace {}, node {}",
                         config->server.toString(), config->source, config->nameSpace,
                         m_nodeName.isEmpty() ? QStringLiteral("(any)") : m_nodeName);
    }
    if (!m_client)
        Log::kube().error("kubernetes runtime is unusable: {}", m_configError.message);
    else if (m_nodeName.isEmpty())
        Log::kube().warn("kubernetes runtime: the target's node is unknown (set etl.node_name "
                         "or K8S_NODE_NAME); ETL pods go wherever the scheduler puts them");
}

KubeRuntime::~KubeRuntime() = default;

QString KubeRuntime::resolveNodeName(const QString &configured)
{
    if (!configured.isEmpty())
        return configured;
    if (const QString node = qEnvironmentVariable("K8S_NODE_NAME"); !node.isEmpty())
        return node;
    return qEnvironmentVariable("HOSTNAME");
}

Result<Instance *> KubeRuntime::create(const InstanceSpec &spec, QObject *parent)
{
    if (!m_client)
        return m_configError;
    auto pod = Kube::PodBuilder::build(
        Kube::PodRequest{spec.msg, spec.targetId, spec.aisTargetUrl, m_nodeName});
    if (!pod)
        return pod.error();
    return static_cast<Instance *>(new KubeInstance(spec, *pod, m_client, parent));
}

} // namespace Kiln::Runtime
