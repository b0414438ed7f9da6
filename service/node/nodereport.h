#pragma once

#include "service/metrics/aistracker.h"
#include "service/node/syssampler.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Kiln::Cluster {
class Smap;
struct Snode;
} // namespace Kiln::Cluster
namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Node {

// A node's own report for GET /v1/daemon?what=...: node_status and node_stats (AIS's
// stats.NodeStatus / stats.Node: identity, software version and build, deployment, uptime,
// memory and CPU, the metadata versions it holds, and a target's capacity), software_version,
// and a target's mountpaths and disk. The owner passes what only it knows in a Context. Lives
// on the node's main thread, one per node.
class NodeReport final
{
public:
    // mountpaths: a target's object folders; empty for a proxy.
    explicit NodeReport(QStringList mountpaths = {});

    struct Context
    {
        const Cluster::Snode &self;
        const Cluster::Smap &smap;
        qint64 bmdVersion = 0;
        qint64 etlMdVersion = 0;
        bool clusterStarted = false;
        QJsonObject rebalanceSnap; // a target's latest rebalance, empty before its first
    };
    // Answers the what= it knows and returns true; false leaves ex to the caller.
    bool answer(Http::Exchange &ex, const QString &what, const Context &context);

    Api::NodeStatus status(const Context &context);
    // A target's disks under its mountpaths, with their I/O rates (AIS's what=disk); capacity
    // and error, when given, receive the mountpaths' capacity and why one could not be read.
    QList<Api::DiskStats> diskStats(QList<Api::MountpathCapacity> *capacity = nullptr,
                                    QString *error = nullptr);
    // "5.0.kiln-<version>": the AIS API level Kiln speaks (the CLI warns about other major or
    // minor versions), then Kiln's own.
    static QString version();
    static QString buildTime();
    // "K8s" in a pod, "dev" for the nodes of one `kilnd cluster` (AIS's local playground: all
    // targets share this machine's disks), else the operating system ("linux"), as AIS says.
    static QString deployment();

private:
    // The node's request counters under AIS's tracker names; empty with KILN_METRICS=off.
    QList<Metrics::AisStat> aisStats() const;
    // what=metrics: tracker name -> AIS stats kind.
    QJsonObject metricNames() const;

    QElapsedTimer m_uptime;
    SysSampler m_sampler;
    QStringList m_mountpaths;
};

} // namespace Kiln::Node
