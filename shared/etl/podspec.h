#pragma once

#include "shared/core/result.h"
#include "shared/etl/commtype.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace Kiln::Etl {

struct EnvVar
{
    QString name;
    QString value;
    bool fromField = false; // valueFrom: only Kubernetes can fill it in
    bool operator==(const EnvVar &) const = default;
};

// One problem in a pod spec: the field's path, its YAML line (1-based; 0 when unknown) and what
// is wrong. The console marks these inline; kilnd answers the first with 400.
struct SpecIssue
{
    QString field;
    int line = 0;
    QString message;
    QString toString() const;
};

// The parts of a Kubernetes Pod spec an ETL instance is started from, as seed 000's table
// requires them (one container; image; port named "default" and a readiness probe except for
// io://; no node affinity, which the cluster sets itself).
struct PodSpec
{
    QString name; // metadata.name
    QMap<QString, QString> annotations;
    QString containerName;
    QString image;
    QStringList command;
    QStringList args;
    QString workingDir;
    QList<EnvVar> env;
    QString portName;
    int containerPort = 0; // 0 when no port (io://)
    QString probePath; // readinessProbe.httpGet.path
    int probeTimeoutSeconds = 5;
    int probePeriodSeconds = 10;
    QString cpuLimit; // resources.limits.cpu, as written ("500m", "2")
    QString memoryLimit; // resources.limits.memory ("256Mi")

    // Annotations the seeds define.
    std::optional<CommType> annotatedCommType() const;
    std::optional<std::chrono::milliseconds> annotatedWaitTimeout() const;
    std::optional<bool> annotatedDirectPut() const;
};

inline constexpr char CommTypeAnnotation[] = "communication_type";
inline constexpr char WaitTimeoutAnnotation[] = "wait_timeout";
inline constexpr char DirectPutAnnotation[] = "support_direct_put";

// Every issue of the spec, for the given communication type (nullopt: take the annotation's, which
// is then checked; given: the annotation is not read, as AIS never reads it).
QList<SpecIssue> validatePodSpec(const QByteArray &yaml,
                                 std::optional<CommType> comm = std::nullopt);
// The spec, or the first issue as an InvalidArgument error.
Result<PodSpec> parsePodSpec(const QByteArray &yaml, std::optional<CommType> comm = std::nullopt);

// A boolean as AIS parses one (cos.ParseBool): true/false, y/n, yes/no, on/off, 1/0, t/f, ...;
// nullopt when it is none of them.
std::optional<bool> parseAisBool(const QString &text);

// CPU cores from a Kubernetes quantity ("500m" = 0.5, "2" = 2); nullopt when malformed.
std::optional<double> parseCpuQuantity(const QString &text);
// Bytes from a Kubernetes quantity ("256Mi", "1G", "1000"); nullopt when malformed.
std::optional<qint64> parseMemoryQuantity(const QString &text);

} // namespace Kiln::Etl
