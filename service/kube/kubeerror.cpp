#include "service/kube/kubeerror.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace Kiln::Kube {
namespace {

QString what(const KubeRequest &request)
{
    QString s = QStringLiteral("%1 %2").arg(request.verb, request.resource);
    if (!request.name.isEmpty())
        s += ' ' + request.name;
    if (!request.nameSpace.isEmpty())
        s += QStringLiteral(" in namespace %1").arg(request.nameSpace);
    return s;
}

} // namespace

int statusCode(const QJsonObject &object)
{
    if (object.value("kind").toString() != QLatin1String("Status"))
        return 0;
    return object.value("code").toInt();
}

Error apiError(const KubeRequest &request, int httpStatus, const QByteArray &body)
{
    // Kubernetes answers errors with a Status object: {kind: Status, message, reason, code}.
    const QJsonObject status = QJsonDocument::fromJson(body).object();
    QString said = status.value("message").toString();
    if (said.isEmpty())
        said = QString::fromUtf8(body.left(300)).trimmed();
    const QString reason = status.value("reason").toString();
    const QString head = QStringLiteral("Kubernetes: cannot %1").arg(what(request));
    switch (httpStatus) {
    case 401:
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("%1: the API server rejected Kiln's credentials (401 "
                                        "Unauthorized); check the service account token or the "
                                        "kubeconfig user")
                             .arg(head));
    case 403:
        return makeError(
            ErrorCode::Unavailable,
            QStringLiteral("%1: forbidden by RBAC (403); Kiln's service account needs "
                           "verb \"%2\" on resource \"%3\"%4. Kubernetes said: %5")
                .arg(head, request.verb, request.resource,
                     request.nameSpace.isEmpty()
                         ? QString()
                         : QStringLiteral(" in namespace \"%1\"").arg(request.nameSpace),
                     said));
    case 404:
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("%1: not found (404): %2").arg(head, said));
    case 409:
        return makeError(reason == QLatin1String("AlreadyExists") ? ErrorCode::AlreadyExists
                                                                  : ErrorCode::Conflict,
                         QStringLiteral("%1: conflict (409): %2").arg(head, said));
    case 410:
        return makeError(
            ErrorCode::Conflict,
            QStringLiteral("%1: resource version expired (410 Gone): %2").arg(head, said));
    case 400:
    case 422:
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1: the API server refused the object (%2): %3")
                             .arg(head)
                             .arg(httpStatus)
                             .arg(said));
    case 429:
    case 503:
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("%1: the API server is busy (%2): %3")
                             .arg(head)
                             .arg(httpStatus)
                             .arg(said));
    case 504:
        return makeError(ErrorCode::Timeout,
                         QStringLiteral("%1: the API server timed out (504): %2").arg(head, said));
    default:
        return makeError(ErrorCode::Internal,
                         QStringLiteral("%1: HTTP %2: %3").arg(head).arg(httpStatus).arg(said));
    }
}

Error transportError(const KubeRequest &request, QNetworkReply::NetworkError code,
                     const QString &detail)
{
    const QString head = QStringLiteral("Kubernetes: cannot %1").arg(what(request));
    switch (code) {
    case QNetworkReply::OperationCanceledError:
    case QNetworkReply::TimeoutError:
        return makeError(ErrorCode::Timeout,
                         QStringLiteral("%1: no answer from the API server in time").arg(head));
    case QNetworkReply::SslHandshakeFailedError:
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("%1: TLS with the API server failed (is the cluster CA "
                                        "right?): %2")
                             .arg(head, detail));
    default:
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("%1: the API server is unreachable: %2").arg(head, detail));
    }
}

} // namespace Kiln::Kube
