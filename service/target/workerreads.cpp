#include "service/target/workerreads.h"

#include "service/auth/clustersecret.h"
#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/target/objectserving.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"

namespace Kiln::Target {
namespace {

// The query parameters of a plain read: the provider, and what the proxy's redirect adds (its
// id, the time, and with auth its signature). Any other one means an option served at home.
bool onlyPlainParameters(const Http::Request &req)
{
    static const QStringList plain{QLatin1String(Api::Query::Provider),
                                   QLatin1String(Api::Query::ProxyId),
                                   QLatin1String(Api::Query::UnixTime),
                                   QLatin1String(Auth::RedirectSigQuery)};
    const auto items = req.query.queryItems();
    for (const auto &item : items) {
        if (!plain.contains(item.first))
            return false;
    }
    return true;
}

} // namespace

WorkerReads::WorkerReads(const ObjectStore &store, const Snapshot<Api::Bmd> &bmd, QString selfTag)
    : m_store(store)
    , m_bmd(bmd)
    , m_selfTag(std::move(selfTag))
{
}

void WorkerReads::registerRoutes(Http::Router &router) const
{
    const Http::RouteOptions options{
        .accepts = [this](const Http::Request &req, const Http::Params &params) {
            return isPlainRead(req, params);
        }};
    router.add(
        {"GET"}, Api::Route::Object, [this](Http::Exchange ex) { onGet(std::move(ex)); }, options);
    router.add(
        {"HEAD"}, Api::Route::Object, [this](Http::Exchange ex) { onHead(std::move(ex)); },
        options);
}

bool WorkerReads::isPlainRead(const Http::Request &req, const Http::Params &params) const
{
    const QString bucket = params.value("bucket");
    return onlyPlainParameters(req)
        && m_bmd.get()->check(req.queryValue(Api::Query::Provider), bucket)
        && Api::validateObjectName(params.value("object")) && m_store.readCopies(bucket) <= 1;
}

std::optional<ObjectInfo> WorkerReads::plainObject(Http::Exchange &ex) const
{
    // isPlainRead took the request (RouteOptions::accepts); checked again, as the bucket may
    // have changed since its head came in.
    const QString bucket = ex.param("bucket"), object = ex.param("object");
    if (isPlainRead(ex.request(), ex.params())) {
        if (auto info = m_store.stat(bucket, object))
            return std::move(*info);
    }
    ex.passHome();
    return std::nullopt;
}

void WorkerReads::onGet(Http::Exchange ex) const
{
    // Opened where it belongs, in one path walk; anything else (no such file there: a
    // get-from-neighbour, a copy on another mountpath, or 404) is answered at home. isPlainRead
    // is checked again, as in plainObject.
    if (isPlainRead(ex.request(), ex.params())) {
        if (auto opened = m_store.openPrimary(ex.param("bucket"), ex.param("object")))
            return sendOpenObject(ex, opened->info, std::move(opened->fd));
    }
    ex.passHome();
}

void WorkerReads::onHead(Http::Exchange ex) const
{
    if (auto info = plainObject(ex))
        ex.respond(200, {}, {}, headHeaders(*info, m_selfTag, {info->mountpath}));
}

} // namespace Kiln::Target
