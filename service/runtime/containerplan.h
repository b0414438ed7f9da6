#pragma once

#include "service/runtime/instance.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace Kiln::Runtime {

// Per-ETL choice of where its image runs: pod annotation `kiln.runtime` or env `KILN_RUNTIME`
// in the init message, "local" or "container"; empty when the ETL does not say.
inline constexpr char RuntimeAnnotation[] = "kiln.runtime";
inline constexpr char RuntimeEnvVar[] = "KILN_RUNTIME";
QString requestedRuntime(const Etl::InitMsg &msg);

// How a container engine runs one ETL instance: the image with the pod's command, args, env,
// port and limits. Kubernetes' command replaces the entrypoint and args the image's CMD, so
// the first command word becomes --entrypoint and the rest go after the image.
struct ContainerPlan
{
    QString name; // kiln-<etl>-<target>-<random>
    QString image;
    QString entrypoint; // empty: the image's own
    QStringList arguments; // after the image
    QList<QPair<QString, QString>> env;
    int containerPort = 8000;
    QString probePath = QStringLiteral("/health");
    QString cpus; // --cpus value ("0.5"), empty for none
    QString memory; // --memory value in bytes, empty for none
    QStringList labels; // key=value

    // `run -d ...` arguments for docker or podman.
    QStringList runArguments() const;
};

Result<ContainerPlan> planContainerLaunch(const InstanceSpec &spec);

// From `docker port` output ("127.0.0.1:32768\n[::1]:32768"): the loopback IPv4 port, 0 if none.
int parsePublishedPort(const QByteArray &output);

// From one `stats --no-stream --format {{json .}}` line: CPU cores and memory bytes in use.
struct ContainerStats
{
    double cpuCores = 0;
    qint64 memBytes = 0;
};
std::optional<ContainerStats> parseContainerStats(const QByteArray &jsonLine);

} // namespace Kiln::Runtime
