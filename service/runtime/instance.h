#pragma once

#include "service/runtime/childlimits.h"
#include "shared/core/error.h"
#include "shared/core/result.h"
#include "shared/etl/initmsg.h"

#include <QByteArray>
#include <QObject>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <optional>

namespace Kiln::Runtime {

// What a target asks its runtime to start for one ETL.
struct InstanceSpec
{
    Etl::InitMsg msg;
    QString targetId;
    QString aisTargetUrl; // <target url>/v1/etl/_object/<etl>/<secret>: where the instance reads
    QString workDir; // a folder of its own (code, scratch); the runtime may clear it
};

// CPU and memory of an instance, with its limits when the spec sets them (0 = none).
struct Usage
{
    double cpuCores = 0;
    qint64 memBytes = 0;
    double cpuLimit = 0;
    qint64 memLimit = 0;
};

// How to run one io:// transformation: the object goes to stdin, the result comes from stdout.
struct IoCommand
{
    QString program;
    QStringList arguments;
    QProcessEnvironment environment;
    QString workDir;
    ChildLimits limits; // applied in the child: memory, CPU (the instance's cgroup or RLIMIT_CPU)
};

// One ETL instance beside one target: a local process group or a pod. Lives on the target's
// main thread; everything it does is signalled, nothing blocks.
class Instance : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Instance() override = default;

    // Starts it; ends with exactly one of ready() or failed().
    virtual void start() = 0;
    // Stops it and everything it spawned; ends with stopped(). Safe to call more than once.
    virtual void stop() = 0;

    // Base URL of its HTTP server (invalid for io://).
    virtual QUrl endpoint() const = 0;
    // Pod phase words: Pending, Running, Succeeded, Failed.
    virtual QString phase() const = 0;
    virtual Usage usage() = 0;
    virtual QByteArray logs() const = 0;
    // The same, read where they live: a pod's come from the API server. The answer arrives
    // through done unless context dies first; the defaults answer at once from usage()/logs().
    virtual void fetchUsage(QObject *context, std::function<void(Result<Usage>)> done)
    {
        Q_UNUSED(context)
        done(usage());
    }
    virtual void fetchLogs(QObject *context, std::function<void(Result<QByteArray>)> done)
    {
        Q_UNUSED(context)
        done(logs());
    }
    // For io:// instances: the command to run per object.
    virtual std::optional<IoCommand> ioCommand() const { return std::nullopt; }
    // Process ids it runs now (empty when none): for leak checks and diagnostics.
    virtual QList<qint64> pids() const = 0;

Q_SIGNALS:
    void ready();
    void failed(const Kiln::Error &error); // did not become ready
    void exited(const Kiln::Error &why); // died after it was ready
    void stopped();
};

// Starts instances: LocalRuntime (processes) or KubeRuntime (pods).
class Runtime : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~Runtime() override = default;
    virtual QString name() const = 0;
    // A new, not yet started instance; an error when this runtime cannot run the spec at all.
    virtual Result<Instance *> create(const InstanceSpec &spec, QObject *parent) = 0;
};

} // namespace Kiln::Runtime
