#include "service/proxy/clusterinfo.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "shared/api/wire.h"
#include "shared/cluster/smap.h"

namespace Kiln::Proxy {

ClusterInfo::ClusterInfo(QNetworkAccessManager &nam, const Cluster::Smap &smap,
                         std::function<void(Http::Exchange)> self,
                         std::function<QByteArray()> config, QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_smap(smap)
    , m_self(std::move(self))
    , m_config(std::move(config))
{ }

void ClusterInfo::registerRoutes(Http::Router &router)
{
    const QList<QByteArray> methods{"GET", "PUT", "POST", "DELETE"};
    router.add(methods, Api::Route::ReverseDaemon, Http::bindHandler(this, &ClusterInfo::onReverse));
    router.add(methods, Api::Route::ReverseDaemonRest,
               Http::bindHandler(this, &ClusterInfo::onReverse));
}

bool ClusterInfo::answerClusterQuery(Http::Exchange &ex, const QString &what)
{
    if (what == Api::What::ClusterConfig) {
        ex.json(m_config());
        return true;
    }
    if (what == Api::What::Backends) {
        ex.json("[]"); // no cloud providers: only ais:// buckets
        return true;
    }
    return false;
}

void ClusterInfo::onReverse(Http::Exchange ex)
{
    const Http::Request &req = ex.request();
    const QString id = QString::fromUtf8(req.header("ais-node-id"));
    if (id.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument, "missing node ID"));
    if (id == m_smap.primary().id)
        return m_self(ex);
    const Cluster::Snode *target = m_smap.target(id);
    if (!target)
        return ex.fail(makeError(
            ErrorCode::NotFound,
            QStringLiteral("%1: cannot forward request to node node %2 not present in Smap v%3")
                .arg(m_tag, id)
                .arg(m_smap.version())));
    // The target answers /v1/daemon[/...] with the same query and body.
    QString path = QString::fromLatin1(Api::Route::Daemon);
    if (const QString rest = ex.param("rest"); !rest.isEmpty())
        path += '/' + rest;
    const qsizetype q = req.target.indexOf('?');
    if (q >= 0)
        path += QString::fromLatin1(req.target.mid(q));
    Node::IntraRequest forward{req.method, path, ex.body(), {}, 30000};
    Node::callNode(m_nam, *target, forward, this, [ex](Node::IntraReply reply) mutable {
        if (reply.status == 0) // AIS's reverse proxy: 502, no body
            return ex.respond(502);
        ex.respond(reply.status, reply.body, reply.contentType);
    });
}

} // namespace Kiln::Proxy
