#include "service/proxy/workerredirects.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/proxy/objectredirect.h"
#include "shared/api/wire.h"

namespace Kiln::Proxy {

WorkerRedirects::WorkerRedirects(const Snapshot<Cluster::Smap> &smap,
                                 const Snapshot<Api::Bmd> &bmd, QString proxyId)
    : m_smap(smap)
    , m_bmd(bmd)
    , m_proxyId(std::move(proxyId))
{
}

void WorkerRedirects::registerRoutes(Http::Router &router) const
{
    router.add({"GET", "HEAD"}, Api::Route::Object,
               [this](Http::Exchange ex) { onRead(std::move(ex)); });
}

void WorkerRedirects::onRead(Http::Exchange ex) const
{
    // Held for this request: a newer map published meanwhile is the next request's.
    const auto smap = m_smap.get();
    const auto bmd = m_bmd.get();
    redirectObjectCall(ex, *bmd, *smap, m_proxyId);
}

} // namespace Kiln::Proxy
