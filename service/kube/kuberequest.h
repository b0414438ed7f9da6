#pragma once

#include <QByteArray>
#include <QString>
#include <QUrlQuery>

namespace Kiln::Kube {

// One call to the API server, with what RBAC sees of it: the verb and resource a Role must
// grant (so a 403 can say which is missing) and the object's name for messages.
struct KubeRequest
{
    QByteArray method = "GET";
    QString path; // /api/v1/namespaces/<ns>/pods/<name>
    QUrlQuery query;
    QByteArray body; // JSON for POST
    QString verb; // get, list, watch, create, delete
    QString resource; // pods, pods/log, pods.metrics.k8s.io
    QString nameSpace;
    QString name; // empty for collections
};

} // namespace Kiln::Kube
