#pragma once

#include "shared/core/error.h"

#include <QObject>
#include <QPointer>
#include <QList>
#include <QMap>
#include <QString>
#include <QUrl>

class QTimer;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class BucketModel;
class ClusterModel;
class EtlListModel;
class EtlRatePoller;

// Keeps the console's picture of one cluster current: polls the ETL list (and the details of
// ETLs it has not seen in this run), the cluster map and the buckets, and runs the ETL actions
// the views ask for. While the proxy is unreachable it only probes /v1/health, backing off from
// 1 s to 10 s, and resumes polling on the first answer. Lives on the GUI thread; every call goes
// through the ApiClient and returns at once. Does not own the client or the models.
class Session final : public QObject
{
    Q_OBJECT
public:
    enum class Action { Start, Stop, Restart, Delete };

    Session(Api::ApiClient *api, EtlListModel *etls, ClusterModel *nodes, BucketModel *buckets,
            QObject *parent = nullptr);
    ~Session() override;
    Q_DISABLE_COPY_MOVE(Session)

    Api::ApiClient *api() const { return m_api; }
    bool isConnected() const { return m_connected; }
    // The cluster's UUID from the last cluster map; empty until one arrived.
    QString clusterUuid() const { return m_clusterUuid; }
    // Seconds until the next probe while disconnected.
    int retryInSeconds() const;

    void setPollInterval(int msecs);
    // Starts polling (again) now.
    void start();
    void refreshNow();
    void refreshCluster();
    void run(Action action, const QString &etlName);

    static QString actionName(Action action);

Q_SIGNALS:
    void connectionChanged(bool connected, const QString &error);
    void etlsRefreshed();
    void actionStarted(const QString &etlName, Kiln::Console::Session::Action action);
    // error is empty on success.
    void actionFinished(const QString &etlName, Kiln::Console::Session::Action action,
                        const QString &error);
    // The cluster refused a poll with 401 or 403: what it said, for the user; empty once the
    // polls pass again (or on a new start).
    void accessDenied(const QString &message);
    // The cluster map named the cluster's UUID (first time, or a different one): the id that
    // AuthN tokens' cluster permissions are for.
    void clusterIdentified(const QString &uuid);

private:
    void onTick();
    void onProbe();
    void setConnected(bool connected, const QString &error);
    void countObjects(const QString &bucket);
    // Notes a poll's auth refusal (what) or, with an empty error, that it passed.
    void noteAccess(const QString &what, const Error *error);

    QPointer<Api::ApiClient> m_api;
    QPointer<EtlListModel> m_etls;
    QPointer<ClusterModel> m_nodes;
    QPointer<BucketModel> m_buckets;
    EtlRatePoller *m_rates; // child: per-ETL rates from the targets' /metrics
    QList<QUrl> m_targetUrls; // from the last cluster map
    QString m_clusterUuid; // from the last cluster map
    QTimer *m_poll; // ETL list while connected
    QTimer *m_probe; // health probe with backoff while disconnected
    int m_pollMs = 2000;
    int m_backoffMs = 1000;
    int m_ticks = 0;
    bool m_connected = false;
    bool m_listInFlight = false;
    QMap<QString, QString> m_denials; // poll ("the ETL list", ...) -> the cluster's refusal
};

} // namespace Kiln::Console
