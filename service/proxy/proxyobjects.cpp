// Object requests on the proxy: never served here, redirected to the owning target
// (see ObjectActions for the forms beyond GET, HEAD and DELETE).
#include "service/http/exchange.h"
#include "service/proxy/proxynode.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"
#include "shared/cluster/hrw.h"

#include <QDateTime>

namespace Kiln::Proxy {

void ProxyNode::onObject(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    const QString object = ex.param("object");
    const QByteArray &method = ex.request().method;
    if (!Node::checkObject(ex, m_bmd, bucket, object, method == "PUT" || method == "DELETE"))
        return;
    // PUT has several forms (copy, append, flush...): ObjectActions routes each.
    if (method == "PUT")
        return m_objects.put(ex, bucket, object);
    // AIS's proxy parses an archive read's mode before it redirects.
    if (const QString mode = ex.request().queryValue(Api::Query::Archmode); !mode.isEmpty()) {
        if (auto valid = Api::archMode(mode); !valid)
            return ex.fail(valid.error());
    }
    const Cluster::Snode *target = Cluster::hrwTarget(m_smap, Cluster::objectUname(bucket, object));
    if (!target)
        return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    // AIS redirects GET with 301 but HEAD/DELETE with 307.
    m_objects.redirect(ex, *target, ex.request().method == "GET" ? 301 : 307);
}

} // namespace Kiln::Proxy
