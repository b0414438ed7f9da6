#include "shared/api/apiclient.h"

#include "shared/api/actmsg.h"
#include "shared/api/bmd.h"
#include "shared/api/lso.h"
#include "shared/api/objectwire.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslError>
#include <QTimer>

#include <memory>

namespace Kiln::Api {
namespace {

// Connection failures are retried after 200 ms, 400 ms, 800 ms...: long enough for a proxy
// that is restarting, short enough that the UI reports a dead one within a couple of seconds.
constexpr int RetryBaseMs = 200;
// ETL init waits for every target's instance (init_timeout, 45 s by default, and a venv build
// on first use); stop/start/delete wait for processes to end. AIS clients give them 5 minutes.
constexpr int LongCallTimeoutMs = 5 * 60 * 1000;

Result<QJsonDocument> parseJson(const QByteArray &body)
{
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(body, &err);
    if (err.error != QJsonParseError::NoError)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("the proxy sent invalid JSON: %1").arg(err.errorString()));
    return doc;
}

template<typename T>
ApiClient::Callback<QByteArray> mapJson(ApiClient::Callback<T> done,
                                        std::function<Result<T>(const QJsonDocument &)> map)
{
    return [done = std::move(done), map = std::move(map)](const Result<QByteArray> &body) {
        if (!body)
            return done(body.error());
        const Result<QJsonDocument> doc = parseJson(*body);
        if (!doc)
            return done(doc.error());
        done(map(*doc));
    };
}

ApiClient::Callback<QByteArray> mapVoid(ApiClient::Callback<void> done)
{
    return [done = std::move(done)](const Result<QByteArray> &body) {
        if (!body)
            return done(body.error());
        done(Result<void>());
    };
}

ApiClient::Callback<QByteArray> mapText(ApiClient::Callback<QString> done)
{
    return [done = std::move(done)](const Result<QByteArray> &body) {
        if (!body)
            return done(body.error());
        done(QString::fromUtf8(*body).trimmed());
    };
}

QByteArray actionBody(const QString &action, const QJsonValue &value)
{
    return QJsonDocument(QJsonObject{{"action", action}, {"name", ""}, {"value", value}})
        .toJson(QJsonDocument::Compact);
}

QByteArray jobQuery(const QString &jobId)
{
    return QJsonDocument(QJsonObject{{"ID", jobId}}).toJson(QJsonDocument::Compact);
}

// An ETL control call (init, stop, start, delete): long, and never retried on its own, since
// it changes the cluster.
Request etlControl(QByteArray method, QString path)
{
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.timeoutMs = LongCallTimeoutMs;
    r.idempotent = false;
    return r;
}

} // namespace

ApiClient::ApiClient(QObject *parent)
    : QObject(parent)
    , m_nam(new QNetworkAccessManager(this))
    , m_ssl(QSslConfiguration::defaultConfiguration())
{ }

ApiClient::~ApiClient() = default;

void ApiClient::setEndpoint(const QUrl &url, const QString &token)
{
    m_endpoint = url;
    m_token = token.toUtf8();
    // A new endpoint says nothing about reachability until it answers.
    setState(State::Unknown, {});
}

Result<void> ApiClient::setTls(const TlsFiles &files)
{
    auto config = loadTlsConfiguration(files);
    if (!config)
        return config.error();
    m_tlsFiles = files;
    m_ssl = *config;
    // Connections made with the old configuration must not be reused for the new one.
    m_nam->clearConnectionCache();
    return {};
}

void ApiClient::login(const QUrl &authn, const QString &user, const QString &password,
                      QObject *context, Callback<QString> done)
{
    Request r;
    r.method = "POST";
    r.node = authn;
    r.path = QStringLiteral("/%1/users/%2")
                 .arg(Path::Version, QString::fromLatin1(QUrl::toPercentEncoding(user)));
    r.body = QJsonDocument(QJsonObject{{"password", password}}).toJson(QJsonDocument::Compact);
    r.idempotent = false;
    r.withToken = false;
    send(r, context, [done = std::move(done)](const Result<QByteArray> &body) {
        if (!body)
            return done(body.error());
        const QString token
            = QJsonDocument::fromJson(*body).object().value(QStringLiteral("token")).toString();
        if (token.isEmpty())
            return done(makeError(ErrorCode::Internal,
                                  QStringLiteral("the AuthN service answered no token")));
        done(token);
    });
}

QString ApiClient::noAnswerMessage(const Request &request, QNetworkReply *reply,
                                   const QStringList &sslErrors) const
{
    const QUrl url = urlFor(request);
    const bool tlsFailed = reply->error() == QNetworkReply::SslHandshakeFailedError
        || !sslErrors.isEmpty();
    // A server that wants a client certificate (mutual TLS) ends the connection when it gets
    // none: with TLS's "certificate required" alert (kilnd), or, from older servers, with no
    // more than a close (Qt says "Connection closed").
    const bool refusedWithoutCertificate = reply->error() == QNetworkReply::RemoteHostClosedError
        || reply->errorString().contains(QLatin1String("certificate required"));
    if (!tlsFailed && url.scheme() == QLatin1String("https") && m_tlsFiles.certFile.isEmpty()
        && refusedWithoutCertificate)
        return QStringLiteral("%1 (the server closed the TLS connection: with mutual TLS it "
                              "needs a client certificate and key)")
            .arg(reply->errorString());
    if (!tlsFailed)
        return reply->errorString();
    const QString why
        = sslErrors.isEmpty() ? reply->errorString() : sslErrors.join(QStringLiteral("; "));
    QString hint = m_tlsFiles.caFile.isEmpty()
        ? QStringLiteral("give the cluster's CA file (kilnd cluster --tls makes DIR/tls/ca.pem)")
        : QStringLiteral("is %1 the CA that signed the cluster's certificates?")
              .arg(m_tlsFiles.caFile);
    if (m_tlsFiles.certFile.isEmpty())
        hint += QStringLiteral("; with mutual TLS, also a client certificate and key");
    return QStringLiteral("TLS handshake with %1:%2 failed: %3 (%4)")
        .arg(url.host())
        .arg(url.port(443))
        .arg(why, hint);
}

QUrl ApiClient::urlFor(const Request &request) const
{
    QUrl url = request.node.isEmpty() ? m_endpoint : request.node;
    QString base = url.path();
    if (base.endsWith('/'))
        base.chop(1);
    url.setPath(base + request.path);
    url.setQuery(request.query);
    return url;
}

void ApiClient::send(const Request &request, QObject *context, Callback<QByteArray> done)
{
    start(request, QPointer<QObject>(context), std::move(done), 0);
}

void ApiClient::start(const Request &request, QPointer<QObject> context, Callback<QByteArray> done,
                      int attempt)
{
    if (request.node.isEmpty() && (!m_endpoint.isValid() || m_endpoint.isEmpty())) {
        QTimer::singleShot(0, this, [context, done = std::move(done)] {
            if (context)
                done(makeError(ErrorCode::Unavailable, QStringLiteral("not connected")));
        });
        return;
    }
    QNetworkRequest req(urlFor(request));
    if (req.url().scheme() == QLatin1String("https"))
        req.setSslConfiguration(m_ssl);
    req.setTransferTimeout(request.timeoutMs > 0 ? request.timeoutMs : m_defaultTimeoutMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::NoLessSafeRedirectPolicy);
    req.setRawHeader("User-Agent", "kiln-console");
    if (request.withToken && !m_token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_token);
    if (!request.body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader,
                      request.contentType.isEmpty() ? QByteArray(MimeJson) : request.contentType);
    QNetworkReply *reply = m_nam->sendCustomRequest(req, request.method, request.body);
    // The certificate errors of a failed handshake, for a message that says what to fix.
    auto sslErrors = std::make_shared<QStringList>();
    connect(reply, &QNetworkReply::sslErrors, this, [sslErrors](const QList<QSslError> &errors) {
        for (const QSslError &e : errors)
            sslErrors->append(e.errorString());
    });
    connect(
        reply, &QNetworkReply::finished, this,
        [this, reply, request, context, done = std::move(done), attempt, sslErrors]() mutable {
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            const QByteArray body = reply->readAll();
            if (status == 0) {
                // No HTTP answer at all: refused, reset, DNS, or the transfer timeout.
                const bool timedOut = reply->error() == QNetworkReply::OperationCanceledError
                    || reply->error() == QNetworkReply::TimeoutError;
                const bool tlsFailed = reply->error() == QNetworkReply::SslHandshakeFailedError
                    || !sslErrors->isEmpty();
                const QString why = timedOut
                    ? QStringLiteral("%1 %2: no answer within the timeout")
                          .arg(QString::fromLatin1(request.method), request.path)
                    : noAnswerMessage(request, reply, *sslErrors);
                if (request.node.isEmpty())
                    setState(State::Unreachable, why);
                // A certificate the client does not trust stays untrusted: no retry.
                if (request.idempotent && !timedOut && !tlsFailed && attempt < m_maxRetries) {
                    QTimer::singleShot(RetryBaseMs << attempt, this,
                                       [this, request, context, done, attempt] {
                                           if (context)
                                               start(request, context, done, attempt + 1);
                                       });
                    return;
                }
                if (context)
                    done(makeError(timedOut ? ErrorCode::Timeout : ErrorCode::Unavailable, why));
                return;
            }
            if (request.node.isEmpty())
                setState(State::Connected, {});
            if (!context)
                return;
            if (status >= 400)
                return done(classifyHttpError(status, body, request.method));
            done(body);
        });
}

void ApiClient::setState(State state, const QString &error)
{
    if (m_state == state && m_lastError == error)
        return;
    const bool changed = m_state != state;
    m_state = state;
    m_lastError = error;
    if (changed || state == State::Unreachable)
        Q_EMIT stateChanged(state, error);
}

void ApiClient::health(QObject *context, Callback<void> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Health);
    r.timeoutMs = 3000;
    r.idempotent = false; // the caller polls; retrying here would only delay the verdict
    send(r, context, mapVoid(std::move(done)));
}

void ApiClient::nodeMetrics(const QUrl &node, QObject *context, Callback<QByteArray> done)
{
    Request r;
    r.node = node;
    r.path = QStringLiteral("/metrics");
    r.timeoutMs = 5000;
    r.idempotent = false; // polled: the next poll is the retry
    send(r, context, std::move(done));
}

void ApiClient::clusterMap(QObject *context, Callback<Cluster::Smap> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Daemon);
    r.query.addQueryItem(Query::What, What::Smap);
    send(r, context, mapJson<Cluster::Smap>(std::move(done), [](const QJsonDocument &doc) {
             return Cluster::Smap::fromJson(doc.object());
         }));
}

void ApiClient::listBuckets(QObject *context, Callback<QList<BucketInfo>> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Buckets);
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.body = actionBody(Action::List, QJsonValue::Null);
    send(r, context,
         mapJson<QList<BucketInfo>>(
             std::move(done), [](const QJsonDocument &doc) -> Result<QList<BucketInfo>> {
                 QList<BucketInfo> out;
                 for (const QJsonValue &v : doc.array())
                     out.append({v["name"].toString(), v["provider"].toString()});
                 return out;
             }));
}

void ApiClient::bucketProps(QObject *context, Callback<QList<BucketProps>> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Daemon);
    r.query.addQueryItem(Query::What, What::Bmd);
    send(r, context,
         mapJson<QList<BucketProps>>(
             std::move(done), [](const QJsonDocument &doc) -> Result<QList<BucketProps>> {
                 if (!doc.object().value("buckets").isArray())
                     return makeError(ErrorCode::Unsupported,
                                      QStringLiteral("the proxy's bucket metadata has no list of "
                                                     "buckets (not a kilnd proxy?)"));
                 auto bmd = Bmd::fromJson(doc.object());
                 if (!bmd)
                     return bmd.error();
                 return bmd->buckets().values();
             }));
}

void ApiClient::listObjects(const QString &bucket, const QString &prefix, int limit,
                            QObject *context, Callback<QList<ObjectInfo>> done)
{
    LsoMsg msg;
    msg.prefix = prefix;
    msg.pageSize = limit > 0 ? qMin(limit, MaxPageSize) : 0;
    msg.props = {QStringLiteral("name"), QStringLiteral("size"), QStringLiteral("copies")};
    listPage(bucket, msg, limit, {}, context, std::move(done));
}

void ApiClient::listPage(const QString &bucket, LsoMsg msg, int limit, QList<ObjectInfo> sofar,
                         QPointer<QObject> context, Callback<QList<ObjectInfo>> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2/%3").arg(Path::Version, Path::Buckets, bucket);
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.body = actionBody(Action::List, msg.toJson());
    send(r, context,
         [this, bucket, msg, limit, sofar, context, done](const Result<QByteArray> &body) mutable {
             if (!body)
                 return done(body.error());
             const Result<QJsonDocument> doc = parseJson(*body);
             if (!doc)
                 return done(doc.error());
             const QJsonObject page = doc->object();
             for (const QJsonValue &e : page["entries"].toArray())
                 sofar.append({e["name"].toString(), int64Of(e["size"]), e["copies"].toInt(1)});
             msg.uuid = page["uuid"].toString();
             msg.continuationToken = page["continuation_token"].toString();
             const bool full = limit > 0 && sofar.size() >= limit;
             if (msg.continuationToken.isEmpty() || full)
                 return done(full ? sofar.mid(0, limit) : sofar);
             listPage(bucket, msg, limit, sofar, context, done);
         });
}

void ApiClient::getObject(const QString &bucket, const QString &object, const QString &etlName,
                          QObject *context, Callback<QByteArray> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2/%3/%4")
                 .arg(Path::Version, Path::Objects, bucket,
                      QString::fromLatin1(QUrl::toPercentEncoding(object, "/")));
    r.query.addQueryItem(Query::Provider, ProviderAis);
    if (!etlName.isEmpty())
        r.query.addQueryItem(Query::EtlName, etlName);
    r.timeoutMs = 60000;
    send(r, context, std::move(done));
}

void ApiClient::listEtls(QObject *context, Callback<QList<EtlSummary>> done)
{
    Request r;
    r.path = etlPath();
    send(r, context,
         mapJson<QList<EtlSummary>>(std::move(done), [](const QJsonDocument &doc) {
             return Result<QList<EtlSummary>>(decodeEtlSummaries(doc.array()));
         }));
}

void ApiClient::etlDetails(const QString &name, QObject *context, Callback<EtlDetails> done)
{
    Request r;
    r.path = etlPath(name);
    send(r, context, mapJson<EtlDetails>(std::move(done), [](const QJsonDocument &doc) {
             return Result<EtlDetails>(decodeEtlDetails(doc.object()));
         }));
}

void ApiClient::etlHealth(const QString &name, QObject *context, Callback<QList<TargetHealth>> done)
{
    Request r;
    r.path = etlPath(name, EtlPath::Health);
    send(r, context,
         mapJson<QList<TargetHealth>>(std::move(done), [](const QJsonDocument &doc) {
             return Result<QList<TargetHealth>>(decodeTargetHealth(doc.array()));
         }));
}

void ApiClient::etlMetrics(const QString &name, QObject *context,
                           Callback<QList<TargetMetrics>> done)
{
    Request r;
    r.path = etlPath(name, EtlPath::Metrics);
    send(r, context,
         mapJson<QList<TargetMetrics>>(std::move(done), [](const QJsonDocument &doc) {
             return Result<QList<TargetMetrics>>(decodeTargetMetrics(doc.array()));
         }));
}

void ApiClient::etlLogs(const QString &name, const QString &targetId, QObject *context,
                        Callback<QList<TargetLog>> done)
{
    Request r;
    r.path = targetId.isEmpty() ? etlPath(name, EtlPath::Logs)
                                : etlPath(name, QStringLiteral("%1/%2").arg(EtlPath::Logs, targetId));
    r.timeoutMs = 20000;
    send(r, context,
         mapJson<QList<TargetLog>>(std::move(done), [](const QJsonDocument &doc) {
             return Result<QList<TargetLog>>(decodeTargetLogs(doc.array()));
         }));
}

void ApiClient::initEtl(const QJsonObject &initMsg, QObject *context, Callback<QString> done)
{
    Request r = etlControl("PUT", etlPath());
    r.body = QJsonDocument(initMsg).toJson(QJsonDocument::Compact);
    send(r, context, mapText(std::move(done)));
}

void ApiClient::stopEtl(const QString &name, QObject *context, Callback<void> done)
{
    send(etlControl("POST", etlPath(name, EtlPath::Stop)), context, mapVoid(std::move(done)));
}

void ApiClient::startEtl(const QString &name, QObject *context, Callback<void> done)
{
    send(etlControl("POST", etlPath(name, EtlPath::Start)), context, mapVoid(std::move(done)));
}

void ApiClient::deleteEtl(const QString &name, QObject *context, Callback<void> done)
{
    send(etlControl("DELETE", etlPath(name)), context, mapVoid(std::move(done)));
}

void ApiClient::startOfflineTransform(const QString &fromBucket, const QString &toBucket,
                                      const TcbMsg &msg, QObject *context, Callback<QString> done)
{
    Request r;
    r.method = "POST";
    r.path = QStringLiteral("/%1/%2/%3").arg(Path::Version, Path::Buckets, fromBucket);
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.query.addQueryItem(QStringLiteral("bck_to"),
                         QStringLiteral("%1/@#/%2/").arg(ProviderAis, toBucket));
    r.body = actionBody(ActionEtlBucket, msg.toJson());
    r.timeoutMs = 60000;
    r.idempotent = false;
    send(r, context, mapText(std::move(done)));
}

void ApiClient::copyObject(const QString &bucket, const QString &object, const QString &toBucket,
                           const QString &toObject, QObject *context, Callback<void> done)
{
    Request r;
    r.method = "PUT";
    r.path = QStringLiteral("/%1/%2/%3/%4")
                 .arg(Path::Version, Path::Objects, bucket,
                      QString::fromLatin1(QUrl::toPercentEncoding(object, "/")));
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.query.addQueryItem(Query::ObjectTo, objectUname(toBucket, toObject));
    r.timeoutMs = 300000;
    send(r, context, mapVoid(std::move(done)));
}

void ApiClient::renameObject(const QString &bucket, const QString &object, const QString &newName,
                             QObject *context, Callback<void> done)
{
    Request r;
    r.method = "POST";
    r.path = QStringLiteral("/%1/%2/%3/%4")
                 .arg(Path::Version, Path::Objects, bucket,
                      QString::fromLatin1(QUrl::toPercentEncoding(object, "/")));
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.body = ActMsg{Action::RenameObject, newName, QJsonValue::Null}.toJson();
    r.timeoutMs = 300000;
    r.idempotent = false;
    send(r, context, mapVoid(std::move(done)));
}

void ApiClient::copyBucket(const QString &fromBucket, const QString &toBucket, const TcbMsg &msg,
                           QObject *context, Callback<QString> done)
{
    Request r;
    r.method = "POST";
    r.path = QStringLiteral("/%1/%2/%3").arg(Path::Version, Path::Buckets, fromBucket);
    r.query.addQueryItem(Query::Provider, ProviderAis);
    r.query.addQueryItem(Query::BucketTo, QStringLiteral("%1/@#/%2/").arg(ProviderAis, toBucket));
    r.body = actionBody(Action::CopyBucket, msg.toJson());
    r.timeoutMs = 60000;
    r.idempotent = false;
    send(r, context, mapText(std::move(done)));
}

void ApiClient::jobStatus(const QString &jobId, QObject *context, Callback<JobStatus> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Cluster);
    r.query.addQueryItem(Query::What, QStringLiteral("status"));
    r.body = jobQuery(jobId);
    send(r, context,
         mapJson<JobStatus>(std::move(done), [](const QJsonDocument &doc) -> Result<JobStatus> {
             return decodeJobStatus(doc.object());
         }));
}

void ApiClient::jobStats(const QString &jobId, QObject *context, Callback<JobStats> done)
{
    Request r;
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Cluster);
    r.query.addQueryItem(Query::What, QStringLiteral("qryxstats"));
    r.body = jobQuery(jobId);
    send(r, context,
         mapJson<JobStats>(std::move(done), [](const QJsonDocument &doc) -> Result<JobStats> {
             return decodeJobStats(doc.object());
         }));
}

void ApiClient::stopJob(const QString &jobId, QObject *context, Callback<void> done)
{
    Request r;
    r.method = "PUT";
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Cluster);
    r.body = actionBody(QStringLiteral("stop"), QJsonObject{{"ID", jobId}});
    r.idempotent = false;
    send(r, context, mapVoid(std::move(done)));
}

void ApiClient::nodeAction(const QString &action, const QString &nodeId, QObject *context,
                           Callback<QString> done)
{
    Request r;
    r.method = "PUT";
    r.path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Cluster);
    r.body = actionBody(action, QJsonObject{{"sid", nodeId}});
    r.idempotent = false;
    send(r, context, mapText(std::move(done)));
}

} // namespace Kiln::Api
