#pragma once

#include "service/kube/kubeconfig.h"
#include "service/kube/kuberequest.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QObject>
#include <QSslConfiguration>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Kiln::Kube {

class KubeWatch;

// Talks to the Kubernetes API server over REST, in the config's namespace. Lives on the service
// thread; every call returns at once and completes through its callback, which is dropped when
// the context object dies first. Errors come as Kiln errors (see kubeerror.h).
class KubeClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KubeClient)
public:
    using JsonDone = std::function<void(Result<QJsonObject>)>;
    using BytesDone = std::function<void(Result<QByteArray>)>;

    // Fails when the config's TLS material is unusable.
    static Result<KubeClient *> create(const KubeConfig &config, QObject *parent = nullptr);
    ~KubeClient() override;

    const KubeConfig &config() const { return m_config; }

    void createPod(const QJsonObject &pod, QObject *context, JsonDone done);
    void getPod(const QString &name, QObject *context, JsonDone done);
    // Deletes at once (gracePeriodSeconds=0), as AIStore does for ETL pods.
    void deletePod(const QString &name, QObject *context, JsonDone done);
    // The last tailLines lines (0: all) of one container's log.
    void podLogs(const QString &name, const QString &container, int tailLines, QObject *context,
                 BytesDone done);
    // The pod's PodMetrics from metrics.k8s.io (served by metrics-server).
    void podMetrics(const QString &name, QObject *context, JsonDone done);
    // Watches one pod from resourceVersion on; the watch belongs to parent.
    KubeWatch *watchPod(const QString &name, const QString &resourceVersion, QObject *parent);

    // The raw call: the body of a 2xx answer or the mapped error.
    void call(const KubeRequest &request, QObject *context, BytesDone done);
    // Starts a request and hands the reply over (for streams); nullptr when it cannot start.
    QNetworkReply *send(const KubeRequest &request, int transferTimeoutMs);

private:
    KubeClient(const KubeConfig &config, const QSslConfiguration &ssl, QObject *parent);
    KubeRequest podRequest(const QByteArray &method, const QString &verb,
                           const QString &name) const;
    void callJson(const KubeRequest &request, QObject *context, JsonDone done);

    KubeConfig m_config;
    QSslConfiguration m_ssl;
    QNetworkAccessManager *m_nam; // child
};

} // namespace Kiln::Kube
