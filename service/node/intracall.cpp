#include "service/node/intracall.h"

#include "service/auth/clustersecret.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QUrl>

#include <memory>

namespace Kiln::Node {

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
    // HEAD must go through head(): as a custom verb Qt waits for the Content-Length bytes a
    // HEAD answer announces but never sends, until the transfer timeout.
    QNetworkReply *reply = request.method == "HEAD"
        ? nam.head(req)
        : nam.sendCustomRequest(req, request.method, request.body);
    QObject::connect(
        reply, &QNetworkReply::finished, context, [reply, node, done = std::move(done)] {
            reply->deleteLater();
            IntraReply result;
            result.node = node;
            result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            result.body = reply->readAll();
            result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
            if (result.status == 0)
                result.error = reply->errorString();
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
