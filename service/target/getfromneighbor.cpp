#include "service/target/getfromneighbor.h"

#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/cluster/hrw.h"
#include "shared/core/logging.h"

#include <QUrl>

#include <memory>

namespace Kiln::Target {
namespace {

constexpr int LookupTimeoutMs = 5000;

} // namespace

GetFromNeighbor::GetFromNeighbor(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{ }

void GetFromNeighbor::missed(Http::Exchange ex, const QString &bucket, const QString &object)
{
    const Http::Request &req = ex.request();
    // A hop already: never a third one.
    if (!req.queryValue(Api::Query::GfnBack).isEmpty())
        return ex.fail(m_ctx.objectNotFound(bucket, object));
    if (!req.queryValue(Api::Query::GfnHop).isEmpty()) {
        const Cluster::Snode *owner
            = Cluster::hrwTarget(m_ctx.smap, Cluster::objectUname(bucket, object));
        if (!owner || owner->id == m_ctx.self.id)
            return ex.fail(m_ctx.objectNotFound(bucket, object));
        return redirect(ex, *owner, Api::Query::GfnBack);
    }
    if (m_ctx.smap.targets().size() < 2)
        return ex.fail(m_ctx.objectNotFound(bucket, object));
    ask(std::move(ex), bucket, object);
}

void GetFromNeighbor::ask(Http::Exchange ex, const QString &bucket, const QString &object)
{
    QList<Cluster::Snode> others;
    for (const Cluster::Snode &t : m_ctx.smap.targets()) {
        if (t.id != m_ctx.self.id)
            others.append(t);
    }
    const Node::IntraRequest head{
        "HEAD",
        Api::routePath(Api::Route::Object,
                       {QString::fromLatin1(QUrl::toPercentEncoding(bucket)),
                        QString::fromLatin1(QUrl::toPercentEncoding(object, "/"))})
            // Marked as the last hop: a neighbor without it answers 404, never redirects.
            + QStringLiteral("?provider=ais&%1=1").arg(QLatin1String(Api::Query::GfnBack)),
        {},
        {{Node::IntraHeader, "1"}},
        LookupTimeoutMs};
    // Every neighbor is asked at once; the first that has it wins, the rest are ignored.
    auto answered = std::make_shared<bool>(false);
    auto pending = std::make_shared<qsizetype>(others.size());
    for (const Cluster::Snode &node : others) {
        Node::callNode(m_ctx.nam, node, head, this,
                       [this, ex, bucket, object, answered, pending](Node::IntraReply reply) mutable {
                           --*pending;
                           if (*answered)
                               return;
                           if (reply.ok()) {
                               *answered = true;
                               Log::target().debug("gfn: {} found on {}",
                                                   Api::objectCname(bucket, object), reply.node.id);
                               return redirect(ex, reply.node, Api::Query::GfnHop);
                           }
                           if (*pending == 0) {
                               *answered = true;
                               // The copy may have arrived here while we asked (its sender
                               // drops its own once we acknowledged): look once more.
                               if (m_ctx.store.stat(bucket, object))
                                   return redirect(ex, m_ctx.self, Api::Query::GfnBack);
                               ex.fail(m_ctx.objectNotFound(bucket, object));
                           }
                       });
    }
}

void GetFromNeighbor::redirect(Http::Exchange &ex, const Cluster::Snode &node, const char *hop) const
{
    const Http::Request &req = ex.request();
    QByteArray location = node.url().toLatin1() + req.target;
    location += req.target.contains('?') ? '&' : '?';
    location += QByteArray(hop) + "=1";
    // 307 keeps the method (a HEAD stays a HEAD).
    ex.redirect(307, location);
}

} // namespace Kiln::Target
