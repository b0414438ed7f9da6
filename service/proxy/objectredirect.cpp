#include "service/proxy/objectredirect.h"

#include "service/auth/clustersecret.h"
#include "service/http/exchange.h"
#include "service/node/nodebase.h"
#include "shared/api/bmd.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"

#include <QDateTime>

namespace Kiln::Proxy {

void redirectToTarget(Http::Exchange &ex, const Cluster::Snode &target, const QString &proxyId,
                      int status)
{
    const Http::Request &req = ex.request();
    QByteArray onTarget = req.target; // path and query, as the target will see them
    onTarget += req.target.contains('?') ? '&' : '?';
    onTarget += QByteArray(Api::Query::ProxyId) + '=' + proxyId.toUtf8() + '&'
        + Api::Query::UnixTime + '='
        + QByteArray::number(QDateTime::currentMSecsSinceEpoch() * 1000000, 36);
    if (Auth::ClusterSecret::isSet()) {
        onTarget += QByteArray("&") + Auth::RedirectSigQuery + '='
            + Auth::ClusterSecret::signRedirect(req.method, onTarget);
    }
    ex.redirect(status, target.url().toLatin1() + onTarget);
}

void redirectObjectCall(Http::Exchange &ex, const Api::Bmd &bmd, const Cluster::Smap &smap,
                        const QString &proxyId)
{
    const QString bucket = ex.param("bucket");
    const QString object = ex.param("object");
    const QByteArray &method = ex.request().method;
    if (!Node::checkObject(ex, bmd, bucket, object, method == "DELETE"))
        return;
    if (const QString mode = ex.request().queryValue(Api::Query::Archmode); !mode.isEmpty()) {
        if (auto valid = Api::archMode(mode); !valid)
            return ex.fail(valid.error());
    }
    const Cluster::Snode *target = Cluster::hrwTarget(smap, Cluster::objectUname(bucket, object));
    if (!target)
        return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    redirectToTarget(ex, *target, proxyId, method == "GET" ? 301 : 307);
}

} // namespace Kiln::Proxy
