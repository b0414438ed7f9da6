#pragma once

#include "service/runtime/containerplan.h"
#include "service/runtime/instancelifecycle.h"
#include "service/runtime/logring.h"
#include "service/runtime/readinessprobe.h"

#include <QPointer>
#include <QProcess>

#include <functional>

namespace Kiln::Runtime {

class ContainerEngine;

// An ETL instance as a container of a docker or podman engine, driven through its CLI: `run -d`
// with the port published on loopback, `port` to learn it, readiness over HTTP, `logs -f` into a
// bounded ring, `wait` to see it die, `stats` for CPU and memory, `rm -f` on stop. Every CLI
// call is an asynchronous QProcess. Lives on the target's main thread; the engine belongs to
// the runtime and outlives it.
class ContainerInstance final : public InstanceLifecycle
{
    Q_OBJECT
public:
    ContainerInstance(InstanceSpec spec, ContainerPlan plan, ContainerEngine *engine,
                      QObject *parent = nullptr);
    ~ContainerInstance() override;

    void start() override;
    void stop() override;
    QUrl endpoint() const override;
    Usage usage() override;
    QByteArray logs() const override { return m_log.contents(); }
    QList<qint64> pids() const override { return {}; } // the engine's, not ours

private:
    QString timeoutDetail() const override;
    void cleanUpFailedStart() override;

    using Done = std::function<void(int exitCode, const QByteArray &out, const QByteArray &err)>;
    QProcess *runCli(const QStringList &arguments, Done done);
    void onEngineProbed();
    void onRun(int exitCode, const QByteArray &out, const QByteArray &err);
    Error runError(const QString &why) const;
    void onPortAnswered(int exitCode, const QByteArray &out, const QByteArray &err);
    void follow();
    void onWaitAnswered(const QByteArray &out);
    void refreshStats();
    void removeContainer();

    ContainerPlan m_plan;
    QPointer<ContainerEngine> m_engine;
    QString m_id; // container id from `run -d`
    int m_hostPort = 0; // published loopback port
    LogRing m_log;
    ReadinessProbe m_probe;
    bool m_runInFlight = false; // `run -d` has not answered: the container may be half made
    bool m_statsInFlight = false;
    ContainerStats m_lastStats;
    QPointer<QProcess> m_logsProcess; // `logs -f`
    QPointer<QProcess> m_waitProcess; // `wait`: finishes when the container does
};

} // namespace Kiln::Runtime
