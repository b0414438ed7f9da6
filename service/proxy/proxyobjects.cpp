// Object requests on the proxy: never served here, redirected to the owning target.
#include "service/http/exchange.h"
#include "service/proxy/proxynode.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"
#include "shared/cluster/hrw.h"

#include <QDateTime>

namespace Kiln::Proxy {

void ProxyNode::onObject(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    const QString object = ex.param("object");
    if (!checkBucket(ex, bucket))
        return;
    if (auto valid = Api::validateObjectName(object); !valid)
        return ex.fail(valid.error());
    const Cluster::Snode *target = Cluster::hrwTarget(m_smap, Cluster::objectUname(bucket, object));
    if (!target)
        return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    const Http::Request &req = ex.request();
    QByteArray location = target->url().toLatin1() + req.target;
    location += req.target.contains('?') ? '&' : '?';
    location += QByteArray(Api::Query::ProxyId) + '=' + m_self.id.toUtf8() + '&'
        + Api::Query::UnixTime + '='
        + QByteArray::number(QDateTime::currentMSecsSinceEpoch() * 1000000, 36);
    // AIS redirects GET with 301 but PUT/HEAD/DELETE with 307 (which keeps method and body).
    ex.redirect(req.method == "GET" ? 301 : 307, location);
}

} // namespace Kiln::Proxy
