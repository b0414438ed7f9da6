#include "service/kube/kubeclient.h"

#include "service/kube/kubeerror.h"
#include "service/kube/kubewatch.h"
#include "shared/core/logging.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>

namespace Kiln::Kube {
namespace {

// A plain call (not a watch) that has sent nothing for this long is given up.
constexpr int CallTimeoutMs = 30000;

} // namespace

Result<KubeClient *> KubeClient::create(const KubeConfig &config, QObject *parent)
{
    auto ssl = config.sslConfiguration();
    if (!ssl)
        return ssl.error();
    return new KubeClient(config, *ssl, parent);
}

KubeClient::KubeClient(const KubeConfig &config, const QSslConfiguration &ssl, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_ssl(ssl)
    , m_nam(new QNetworkAccessManager(this))
{ }

KubeClient::~KubeClient() = default;

QNetworkReply *KubeClient::send(const KubeRequest &request, int transferTimeoutMs)
{
    QUrl url = m_config.server;
    url.setPath(request.path);
    url.setQuery(request.query);
    QNetworkRequest req(url);
    if (url.scheme() == QLatin1String("https"))
        req.setSslConfiguration(m_ssl);
    if (!m_config.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + m_config.token);
    req.setRawHeader("Accept", "application/json");
    req.setHeader(QNetworkRequest::UserAgentHeader, QStringLiteral("kiln/" KILN_VERSION));
    if (transferTimeoutMs > 0)
        req.setTransferTimeout(transferTimeoutMs);
    if (!request.body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    Log::kube().debug("{} {}", request.method, url.toString(QUrl::RemoveUserInfo));
    return m_nam->sendCustomRequest(req, request.method, request.body);
}

void KubeClient::call(const KubeRequest &request, QObject *context, BytesDone done)
{
    QNetworkReply *reply = send(request, CallTimeoutMs);
    connect(reply, &QNetworkReply::finished, context, [reply, request, done = std::move(done)] {
        reply->deleteLater();
        const QByteArray body = reply->readAll();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 0)
            return done(transportError(request, reply->error(), reply->errorString()));
        if (status < 200 || status >= 300) {
            Error e = apiError(request, status, body);
            Log::kube().debug("{} {}: {}", request.method, request.path, e.message);
            return done(e);
        }
        // An answer cut short after its headers is not an answer.
        if (reply->error() != QNetworkReply::NoError)
            return done(transportError(request, reply->error(), reply->errorString()));
        done(body);
    });
    // The context died first: the reply goes with this client (its child) and nobody is told.
    // destroyed() comes before the context's connections are gone: cut the callback first.
    connect(context, &QObject::destroyed, reply, [reply, context] {
        QObject::disconnect(reply, &QNetworkReply::finished, context, nullptr);
        reply->abort();
        reply->deleteLater();
    });
}

void KubeClient::callJson(const KubeRequest &request, QObject *context, JsonDone done)
{
    call(request, context, [request, done = std::move(done)](Result<QByteArray> body) {
        if (!body)
            return done(body.error());
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(*body, &parseError);
        if (!doc.isObject())
            return done(
                makeError(ErrorCode::Internal,
                          QStringLiteral("Kubernetes: %1 %2: the answer is not a JSON "
                                         "object (%3)")
                              .arg(request.verb, request.resource, parseError.errorString())));
        done(doc.object());
    });
}

KubeRequest KubeClient::podRequest(const QByteArray &method, const QString &verb,
                                   const QString &name) const
{
    KubeRequest r;
    r.method = method;
    r.verb = verb;
    r.resource = QStringLiteral("pods");
    r.nameSpace = m_config.nameSpace;
    r.name = name;
    r.path = QStringLiteral("/api/v1/namespaces/%1/pods").arg(m_config.nameSpace);
    if (!name.isEmpty())
        r.path += '/' + name;
    return r;
}

void KubeClient::createPod(const QJsonObject &pod, QObject *context, JsonDone done)
{
    KubeRequest r = podRequest("POST", QStringLiteral("create"), QString());
    r.name = pod.value("metadata").toObject().value("name").toString();
    r.body = QJsonDocument(pod).toJson(QJsonDocument::Compact);
    callJson(r, context, std::move(done));
}

void KubeClient::getPod(const QString &name, QObject *context, JsonDone done)
{
    callJson(podRequest("GET", QStringLiteral("get"), name), context, std::move(done));
}

void KubeClient::deletePod(const QString &name, QObject *context, JsonDone done)
{
    KubeRequest r = podRequest("DELETE", QStringLiteral("delete"), name);
    r.query.addQueryItem(QStringLiteral("gracePeriodSeconds"), QStringLiteral("0"));
    callJson(r, context, std::move(done));
}

void KubeClient::podLogs(const QString &name, const QString &container, int tailLines,
                         QObject *context, BytesDone done)
{
    KubeRequest r = podRequest("GET", QStringLiteral("get"), name);
    r.resource = QStringLiteral("pods/log");
    r.path += QStringLiteral("/log");
    if (!container.isEmpty())
        r.query.addQueryItem(QStringLiteral("container"), container);
    if (tailLines > 0)
        r.query.addQueryItem(QStringLiteral("tailLines"), QString::number(tailLines));
    call(r, context, std::move(done));
}

void KubeClient::podMetrics(const QString &name, QObject *context, JsonDone done)
{
    KubeRequest r;
    r.verb = QStringLiteral("get");
    r.resource = QStringLiteral("pods.metrics.k8s.io");
    r.nameSpace = m_config.nameSpace;
    r.name = name;
    r.path = QStringLiteral("/apis/metrics.k8s.io/v1beta1/namespaces/%1/pods/%2")
                 .arg(m_config.nameSpace, name);
    callJson(r, context, std::move(done));
}

KubeWatch *KubeClient::watchPod(const QString &name, const QString &resourceVersion,
                                QObject *parent)
{
    KubeRequest r = podRequest("GET", QStringLiteral("watch"), QString());
    r.name = name;
    r.query.addQueryItem(QStringLiteral("fieldSelector"), QStringLiteral("metadata.name=") + name);
    auto *watch = new KubeWatch(this, r, parent);
    watch->start(resourceVersion);
    return watch;
}

} // namespace Kiln::Kube
