#pragma once

#include "service/kube/kuberequest.h"
#include "shared/core/error.h"

#include <QNetworkReply>

namespace Kiln::Kube {

// The API server's answer to a failed call as a Kiln error. The message says what Kiln tried
// (verb, resource, object, namespace) and what Kubernetes said (its Status object's message):
// 401 points at the credentials, 403 at the RBAC rule that is missing, 404/409/410 keep their
// meaning as NotFound/AlreadyExists/Conflict so callers can act on them.
Error apiError(const KubeRequest &request, int httpStatus, const QByteArray &body);

// A call that got no HTTP answer: refused, TLS failure, timeout, dropped connection.
Error transportError(const KubeRequest &request, QNetworkReply::NetworkError code,
                     const QString &detail);

// The HTTP status of a Kubernetes Status object sent inside a watch stream (ERROR events);
// 0 when the object is not a Status.
int statusCode(const QJsonObject &object);

} // namespace Kiln::Kube
