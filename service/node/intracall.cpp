#include "service/node/intracall.h"

#include "service/auth/clustersecret.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <memory>

namespace Kiln::Node {
namespace {

const char ConnectTimedOut[] = "kilnConnectTimedOut";

} // namespace

// Aborts reply when a connection it opens is not up within ms. Qt has no connect timeout of its
// own: its transfer timeout would wait the call's whole timeoutMs for a dropped SYN. The timer
// starts when the socket starts connecting, not before: a call waiting for one of Qt's six
// connections to a node (busy with big transfers) is not a call to an unreachable node, and a
// call over a pooled connection has no connect to time. It dies with the reply.
void limitConnectTime(QNetworkReply *reply, int ms)
{
    if (ms <= 0)
        return;
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    timer->setInterval(ms);
    QObject::connect(timer, &QTimer::timeout, reply, [reply] {
        reply->setProperty(ConnectTimedOut, true);
        reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::socketStartedConnecting, timer,
                     qOverload<>(&QTimer::start));
    QObject::connect(reply, &QNetworkReply::requestSent, timer, &QTimer::stop);
    QObject::connect(reply, &QNetworkReply::uploadProgress, timer, [timer](qint64 sent, qint64) {
        if (sent > 0)
            timer->stop();
    });
    QObject::connect(reply, &QNetworkReply::metaDataChanged, timer, &QTimer::stop);
}

namespace {

QNetworkReply *send(QNetworkAccessManager &nam, const QNetworkRequest &req,
                    const IntraRequest &request)
{
    // HEAD must go through head(): as a custom verb Qt waits for the Content-Length bytes a
    // HEAD answer announces but never sends, until the transfer timeout. A GET or DELETE
    // without a body goes through get() / deleteResource(), which signal requestSent (a custom
    // verb without a body does not, in Qt 6.4).
    if (request.method == "HEAD")
        return nam.head(req);
    if (request.body.isEmpty() && request.method == "GET")
        return nam.get(req);
    if (request.body.isEmpty() && request.method == "DELETE")
        return nam.deleteResource(req);
    return nam.sendCustomRequest(req, request.method, request.body);
}

} // namespace

bool connectTimedOut(const QNetworkReply *reply)
{
    return reply->property(ConnectTimedOut).toBool();
}

void callNode(QNetworkAccessManager &nam, const Cluster::Snode &node, const IntraRequest &request,
              QObject *context, std::function<void(IntraReply)> done)
{
    QNetworkRequest req(QUrl(node.url() + request.pathAndQuery));
    req.setRawHeader(IntraHeader, "1");
    if (Auth::ClusterSecret::isSet()) // auth on: nodes call each other with a node token
        req.setRawHeader("Authorization", Auth::ClusterSecret::intraAuthorization());
    req.setRawHeader("User-Agent", "kilnd");
    if (!request.body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    for (const auto &[name, value] : request.headers)
        req.setRawHeader(name, value);
    req.setTransferTimeout(request.timeoutMs);
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                     QNetworkRequest::ManualRedirectPolicy);
    QNetworkReply *reply = send(nam, req, request);
    // Qt 6.4 says nothing between "connecting" and the answer's head for a PUT or POST without
    // a body (no requestSent, no upload progress): a slow answer would look like no connection.
    if (!request.body.isEmpty() || request.method == "GET" || request.method == "DELETE")
        limitConnectTime(reply, request.connectTimeoutMs);
    QObject::connect(
        reply, &QNetworkReply::finished, context,
        [reply, node, ms = request.connectTimeoutMs, done = std::move(done)] {
            reply->deleteLater();
            IntraReply result;
            result.node = node;
            result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            result.body = reply->isOpen() ? reply->readAll() : QByteArray();
            result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
            if (result.status == 0)
                result.error = connectTimedOut(reply)
                    ? QStringLiteral("no connection to %1 within %2 ms (unreachable)")
                          .arg(node.url())
                          .arg(ms)
                    : reply->errorString();
            done(std::move(result));
        });
    // If the context dies first, the reply still finishes and is cleaned up by its manager.
}

void callNodes(QNetworkAccessManager &nam, const QList<Cluster::Snode> &nodes,
               const IntraRequest &request, QObject *context,
               std::function<void(QList<IntraReply>)> done)
{
    if (nodes.isEmpty()) {
        QMetaObject::invokeMethod(
            context, [done] { done({}); }, Qt::QueuedConnection);
        return;
    }
    struct Gather
    {
        QList<IntraReply> replies;
        qsizetype pending;
        std::function<void(QList<IntraReply>)> done;
    };
    auto gather = std::make_shared<Gather>();
    gather->replies.resize(nodes.size());
    gather->pending = nodes.size();
    gather->done = std::move(done);
    for (qsizetype i = 0; i < nodes.size(); ++i) {
        callNode(nam, nodes[i], request, context, [gather, i](IntraReply reply) {
            gather->replies[i] = std::move(reply);
            if (--gather->pending == 0)
                gather->done(std::move(gather->replies));
        });
    }
}

} // namespace Kiln::Node
