#pragma once

#include <QJsonObject>
#include <QString>

namespace Kiln::Kube {

// What Kiln reads from a Pod object's status: phase, IP, readiness, and whether it can never
// become ready (a container stuck in ImagePullBackOff or CrashLoopBackOff, a terminated
// container, phase Failed/Succeeded), with the container's own reason and message.
struct PodState
{
    QString phase; // Pending, Running, Succeeded, Failed, Unknown
    QString podIp;
    bool ready = false; // condition Ready=True
    bool deleting = false;
    QString fatal; // non-empty: why it will not (or no longer) serve

    static PodState fromPod(const QJsonObject &pod);
};

// CPU cores and memory bytes of one PodMetrics object (metrics.k8s.io), summed over containers.
struct PodUsage
{
    double cpuCores = 0;
    qint64 memBytes = 0;
};
PodUsage usageFromMetrics(const QJsonObject &podMetrics);
// The pod's summed container limits (0 = none) as cores and bytes.
PodUsage limitsFromPod(const QJsonObject &pod);

// Kubernetes quantities: "250m", "1234567n", "2", "128Mi", "1G"; nullopt-like -1 when malformed.
double parseCpu(const QString &quantity);
qint64 parseBytes(const QString &quantity);

} // namespace Kiln::Kube
