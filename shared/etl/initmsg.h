#pragma once

#include "shared/core/result.h"
#include "shared/etl/commtype.h"
#include "shared/etl/podspec.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <chrono>

namespace Kiln::Etl {

// Seed 003's defaults.
inline constexpr std::chrono::milliseconds DefaultInitTimeout{45000};
inline constexpr std::chrono::milliseconds DefaultObjTimeout{10000};
inline constexpr int DefaultContainerPort = 8000;

// How an ETL is defined.
enum class InitKind {
    EtlSpec, // runtime image (+ command, env): today's AIS form and the SDK's init()/init_class()
    PodSpec, // a Kubernetes Pod YAML (seed "init spec"; AIS "spec", base64)
    Code, // a Python transform function + dependencies + runtime (seed "init code"/"build")
};

// A validated ETL init message: what PUT /v1/etl (and the seed-era /v1/etl/init, /v1/etl/build)
// carry, with defaults filled in. toJson() is the stored form AIS returns as "init_msg"; it
// parses back to the same message.
struct InitMsg
{
    InitKind kind = InitKind::EtlSpec;
    QString name;
    CommType comm = CommType::Hpush;
    ArgType argType = ArgType::Bytes;
    std::chrono::milliseconds initTimeout = DefaultInitTimeout;
    std::chrono::milliseconds objTimeout = DefaultObjTimeout;
    bool supportDirectPut = false;
    QList<EnvVar> env; // top-level "env"

    // EtlSpec
    QString image;
    QStringList command;
    QList<EnvVar> runtimeEnv;
    QJsonObject resources; // Kubernetes ResourceRequirements

    // PodSpec
    QByteArray podYaml;
    PodSpec pod;

    // Code
    QByteArray code;
    QByteArray dependencies; // pip requirements text
    QString codeRuntime; // "python3", "python3.11v2", ...
    QString transformFunc = QStringLiteral("transform");
    qint64 chunkSize = 0;

    QString kindName() const;
    // The image the instance runs: runtime.image, the pod's container image, or the Python
    // runtime image of a code ETL.
    QString effectiveImage() const;
    // Every env var the instance gets from the message (pod env, then env, then runtime.env).
    QList<EnvVar> allEnv() const;
    // The instance's CPU and memory limits as written: the pod's container limits, else
    // resources.limits; empty when there are none.
    QString cpuLimit() const;
    QString memoryLimit() const;
    // The instance reads objects from the target's disk by path: arg type fqn, or the SDK's
    // ETL_DIRECT_FQN=true.
    bool readsObjectFiles() const;

    // PUT /v1/etl and /v1/etl/build JSON bodies; seed "id" is taken for "name".
    static Result<InitMsg> fromJson(const QByteArray &body);
    // Seed 001's POST /v1/etl/init: the body is the pod YAML itself; name from metadata.name
    // unless given, comm type and wait timeout from the annotations.
    static Result<InitMsg> fromPodYaml(const QByteArray &yaml, const QString &name = {},
                                       const QString &comm = {});
    QJsonObject toJson() const;
};

// Python runtimes code ETLs may name: the seeds' python3, python3.X and python3.Xv2.
bool isKnownCodeRuntime(const QString &runtime);

} // namespace Kiln::Etl
