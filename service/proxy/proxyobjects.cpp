// Object requests on the proxy: never served here, redirected to the owning target
// (see ObjectActions for the forms beyond GET, HEAD and DELETE).
#include "service/http/exchange.h"
#include "service/proxy/objectredirect.h"
#include "service/proxy/proxynode.h"

namespace Kiln::Proxy {

void ProxyNode::onObject(Http::Exchange ex)
{
    // PUT has several forms (copy, append, flush...): ObjectActions routes each.
    if (ex.request().method == "PUT") {
        const QString bucket = ex.param("bucket");
        const QString object = ex.param("object");
        if (Node::checkObject(ex, m_bmd, bucket, object, true))
            m_objects.put(ex, bucket, object);
        return;
    }
    redirectObjectCall(ex, m_bmd, m_smap, m_self.id);
}

} // namespace Kiln::Proxy
