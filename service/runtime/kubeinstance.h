#pragma once

#include "service/runtime/instancelifecycle.h"

#include <QJsonObject>
#include <QPointer>
#include <QTimer>

namespace Kiln::Kube {
class KubeClient;
class KubeWatch;
} // namespace Kiln::Kube

namespace Kiln::Runtime {

// An ETL instance as a pod on its target's node. start() creates the pod and follows it with a
// watch until it is Ready (or stuck: ImagePullBackOff, CrashLoopBackOff, a terminated container)
// within the init timeout; stop() deletes it with grace 0 and waits until it is gone. Health
// comes from the watched status, logs from the pod log API, usage from metrics.k8s.io. Lives on
// the target's main thread; the client belongs to the runtime and outlives its instances.
class KubeInstance final : public InstanceLifecycle
{
    Q_OBJECT
public:
    KubeInstance(InstanceSpec spec, QJsonObject pod, Kube::KubeClient *client,
                 QObject *parent = nullptr);
    ~KubeInstance() override;

    void start() override;
    void stop() override;
    QUrl endpoint() const override;
    QString phase() const override { return m_phase; }
    Usage usage() override { return m_lastUsage; }
    QByteArray logs() const override { return m_lastLogs; }
    void fetchUsage(QObject *context, std::function<void(Result<Usage>)> done) override;
    void fetchLogs(QObject *context, std::function<void(Result<QByteArray>)> done) override;
    QList<qint64> pids() const override { return {}; }

    QString podName() const { return m_name; }
    // "ETL <name> on target <id> (pod <pod>)".
    QString context() const override;

private:
    QString timeoutDetail() const override;
    void cleanUpFailedStart() override;

    void createPod();
    void onCreated(const Result<QJsonObject> &pod);
    void watchFrom(const QString &resourceVersion);
    void onPodEvent(const QString &type, const QJsonObject &pod);
    void onWatchExpired();
    void deletePod();
    void finishStop();

    QJsonObject m_podSpec; // what is POSTed
    QJsonObject m_pod; // the last state seen
    QPointer<Kube::KubeClient> m_client;
    Kube::KubeWatch *m_watch = nullptr; // child
    QString m_name;
    QString m_container; // the main container, for logs
    int m_port = 0;
    QString m_phase = QStringLiteral("Pending");
    QString m_podIp;
    QString m_lastWaiting; // last non-fatal waiting reason, for the timeout message
    QByteArray m_lastLogs;
    Usage m_lastUsage;
    int m_createAttempts = 0;
    QTimer m_stopTimer;
    QTimer m_recreateTimer;
};

} // namespace Kiln::Runtime
