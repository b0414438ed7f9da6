#pragma once

#include "shared/api/apierror.h"
#include "shared/api/bprops.h"
#include "shared/api/etlwire.h"
#include "shared/api/jobwire.h"
#include "shared/api/lso.h"
#include "shared/api/tcbmsg.h"
#include "shared/api/tlsfiles.h"
#include "shared/cluster/smap.h"
#include "shared/core/result.h"
#include "shared/etl/stage.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QUrlQuery>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Kiln::Api {

struct BucketInfo
{
    QString name;
    QString provider;
};

struct ObjectInfo
{
    QString name;
    qint64 size = 0;
    int copies = 1; // the files of it on its target (mirror copies present)
};

// What a request carries; everything but method and path is optional.
struct Request
{
    QByteArray method = "GET";
    QString path; // "/v1/etl"
    QUrlQuery query;
    QByteArray body;
    QByteArray contentType; // default application/json when body is set
    int timeoutMs = 0; // 0: the client's default
    bool idempotent = true; // retried on connection failures when true
    // When set, the request goes to this node (a target's own URL, from the cluster map)
    // instead of the endpoint; its outcome says nothing of the proxy's reachability.
    QUrl node;
    bool withToken = true; // false: no Authorization header (an AuthN login)
};

// The console's REST client for a kilnd (or AIStore) proxy. Lives on the GUI thread; every call
// returns at once and completes through its callback, which is dropped when the context object
// died meanwhile. Connection failures of idempotent requests are retried with backoff; HTTP
// errors are turned into Error values by classifyHttpError (apierror.h): status plus the AIS
// error body, so callers switch on errorKind() and never on message text.
class ApiClient final : public QObject
{
    Q_OBJECT
public:
    enum class State { Unknown, Connected, Unreachable };
    Q_ENUM(State)

    template<typename T> using Callback = std::function<void(const Result<T> &)>;

    explicit ApiClient(QObject *parent = nullptr);
    ~ApiClient() override;
    Q_DISABLE_COPY_MOVE(ApiClient)

    void setEndpoint(const QUrl &url, const QString &token = {});
    // The CA (and for mutual TLS the client certificate and key) of every https:// call from
    // now on; empty files: the system's CAs only. Fails, changing nothing, on a file that does
    // not load.
    Result<void> setTls(const TlsFiles &files);
    TlsFiles tls() const { return m_tlsFiles; }
    QString token() const { return QString::fromUtf8(m_token); }
    QUrl endpoint() const { return m_endpoint; }
    void setDefaultTimeout(int ms) { m_defaultTimeoutMs = ms; }
    void setMaxRetries(int retries) { m_maxRetries = retries; }
    State state() const { return m_state; }
    QString lastError() const { return m_lastError; }

    void send(const Request &request, QObject *context, Callback<QByteArray> done);

    // AIS AuthN's login (`ais auth login`): POST {authn}/v1/users/{user} {"password"}; answers
    // the token. Does not change the endpoint or the token of this client.
    void login(const QUrl &authn, const QString &user, const QString &password, QObject *context,
               Callback<QString> done);

    // Cluster
    void health(QObject *context, Callback<void> done);
    void clusterMap(QObject *context, Callback<Cluster::Smap> done);
    void listBuckets(QObject *context, Callback<QList<BucketInfo>> done);
    // Every bucket's props from a Kiln proxy's bucket metadata (what=bmd); an AIStore proxy
    // answers it in another form, which ends in an error.
    void bucketProps(QObject *context, Callback<QList<BucketProps>> done);
    // Every object of a bucket (paged through); limit stops early.
    void listObjects(const QString &bucket, const QString &prefix, int limit, QObject *context,
                     Callback<QList<ObjectInfo>> done);
    // GET of an object, optionally through an ETL (inline transform).
    void getObject(const QString &bucket, const QString &object, const QString &etlName,
                   QObject *context, Callback<QByteArray> done);

    // Object and bucket actions: copy (PUT ?object_to=), rename (POST rename-obj), and a bucket
    // copy job (copy-bck; answers the job id, waited for with jobStatus/jobStats).
    void copyObject(const QString &bucket, const QString &object, const QString &toBucket,
                    const QString &toObject, QObject *context, Callback<void> done);
    void renameObject(const QString &bucket, const QString &object, const QString &newName,
                      QObject *context, Callback<void> done);
    void copyBucket(const QString &fromBucket, const QString &toBucket, const TcbMsg &msg,
                    QObject *context, Callback<QString> done);

    // ETL control plane
    void listEtls(QObject *context, Callback<QList<EtlSummary>> done);
    void etlDetails(const QString &name, QObject *context, Callback<EtlDetails> done);
    void etlHealth(const QString &name, QObject *context, Callback<QList<TargetHealth>> done);
    void etlMetrics(const QString &name, QObject *context, Callback<QList<TargetMetrics>> done);
    // A node's GET /metrics (Prometheus text), from the node itself.
    void nodeMetrics(const QUrl &node, QObject *context, Callback<QByteArray> done);
    // All targets when targetId is empty.
    void etlLogs(const QString &name, const QString &targetId, QObject *context,
                 Callback<QList<TargetLog>> done);
    // PUT /v1/etl; answers the xaction id.
    void initEtl(const QJsonObject &initMsg, QObject *context, Callback<QString> done);
    void stopEtl(const QString &name, QObject *context, Callback<void> done);
    void startEtl(const QString &name, QObject *context, Callback<void> done);
    void deleteEtl(const QString &name, QObject *context, Callback<void> done);

    // Offline transform (etl-bck); answers the job id.
    void startOfflineTransform(const QString &fromBucket, const QString &toBucket,
                               const TcbMsg &msg, QObject *context, Callback<QString> done);
    void jobStatus(const QString &jobId, QObject *context, Callback<JobStatus> done);
    void jobStats(const QString &jobId, QObject *context, Callback<JobStats> done);
    void stopJob(const QString &jobId, QObject *context, Callback<void> done);
    // AIS's node actions on PUT /v1/cluster (start-maintenance, stop-maintenance,
    // decommission-node) for one target; answers the id of the rebalance it starts ("g<N>"),
    // waited for with jobStatus/jobStats like any job.
    void nodeAction(const QString &action, const QString &nodeId, QObject *context,
                    Callback<QString> done);

Q_SIGNALS:
    // Connected after any answer from the proxy; Unreachable after a connection failure.
    void stateChanged(Kiln::Api::ApiClient::State state, const QString &error);

private:
    void start(const Request &request, QPointer<QObject> context, Callback<QByteArray> done,
               int attempt);
    void setState(State state, const QString &error);
    QUrl urlFor(const Request &request) const;
    QString noAnswerMessage(const Request &request, QNetworkReply *reply,
                            const QStringList &sslErrors) const;
    void listPage(const QString &bucket, LsoMsg msg, int limit, QList<ObjectInfo> sofar,
                  QPointer<QObject> context, Callback<QList<ObjectInfo>> done);

    QNetworkAccessManager *m_nam; // owned as a child
    QUrl m_endpoint;
    QByteArray m_token;
    TlsFiles m_tlsFiles;
    QSslConfiguration m_ssl; // for https:// requests (loadTlsConfiguration of m_tlsFiles)
    int m_defaultTimeoutMs = 10000;
    int m_maxRetries = 2;
    State m_state = State::Unknown;
    QString m_lastError;
};

} // namespace Kiln::Api
