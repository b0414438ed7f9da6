#pragma once

#include "service/runtime/instance.h"

namespace Kiln::Kube {
class KubeClient;
struct KubeConfig;
} // namespace Kiln::Kube

namespace Kiln::Runtime {

// Runs every ETL instance as a pod through the Kubernetes API (no kubectl, no client-go): one
// pod per ETL per target, on the target's node. Holds the one API client its instances share.
// When the cluster config could not be loaded, every create() says why.
class KubeRuntime final : public Runtime
{
    Q_OBJECT
public:
    KubeRuntime(const Result<Kube::KubeConfig> &config, QString nodeName,
                QObject *parent = nullptr);
    ~KubeRuntime() override;

    QString name() const override { return QStringLiteral("kubernetes"); }
    Result<Instance *> create(const InstanceSpec &spec, QObject *parent) override;

    // The node the target runs on: etl.node_name, else K8S_NODE_NAME, else HOSTNAME.
    static QString resolveNodeName(const QString &configured);

private:
    Kube::KubeClient *m_client = nullptr; // child; null when the config is unusable
    Error m_configError;
    QString m_nodeName;
};

} // namespace Kiln::Runtime
