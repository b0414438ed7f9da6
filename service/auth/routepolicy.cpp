#include "service/auth/routepolicy.h"

#include "shared/api/actmsg.h"
#include "shared/api/objectwire.h"
#include "shared/api/tcbmsg.h"
#include "shared/api/wire.h"

namespace Kiln::Auth {
namespace {

QString actionOf(const RouteCall &call)
{
    if (call.body.isEmpty())
        return {};
    auto act = Api::ActMsg::parse(call.body);
    return act ? act->action : QString();
}

// Reads: the method alone decides; writes: the action in the body decides.
Requirement objects(const RouteCall &call)
{
    const QByteArray &method = call.request.method;
    const BucketRef bck = call.bucket();
    if (method == "GET") // with or without etl_name: reading through an ETL is a read
        return Requirement::bucket(Ace::Get, bck);
    if (method == "HEAD")
        return Requirement::bucket(Ace::ObjHead, bck);
    if (method == "PUT")
        return Requirement::bucket(call.request.query.hasQueryItem("appendty") ? Ace::Append
                                                                                : Ace::Put,
                                   bck);
    if (method == "DELETE")
        return Requirement::bucket(Ace::ObjDelete, bck);
    if (method == "PATCH")
        return Requirement::bucket(Ace::ObjUpdate, bck);
    const QString action = actionOf(call);
    if (action == Api::Action::Promote)
        return Requirement::bucket(Ace::Promote, bck);
    if (action == Api::Action::RenameObject)
        return Requirement::bucket(Ace::ObjMove, bck);
    if (action == Api::Action::CheckLock)
        return Requirement::bucket(Access::RO, bck);
    return Requirement::bucket(Access::RW, bck); // multi-object and multipart actions
}

// A copy or transform reads its source and writes its destination (bck_to).
Requirement copyOrTransform(const RouteCall &call)
{
    Requirement req = Requirement::bucket(Ace::Get | Ace::ObjList, call.bucket());
    const QString uname = call.request.queryValue(Api::Query::BucketTo);
    if (auto dst = Api::bucketFromUname(uname); dst && !uname.isEmpty())
        req.needs.append(Need{Ace::Put, BucketRef{QString(), *dst}});
    else
        req.needs.append(Need{Ace::CreateBucket, {}});
    return req;
}

Requirement bucketPost(const RouteCall &call)
{
    const QString action = actionOf(call);
    if (action == Api::Action::CreateBucket)
        return Requirement::cluster(Ace::CreateBucket);
    if (action == Api::Action::MoveBucket)
        return Requirement::cluster(Ace::MoveBucket);
    if (action == Api::Action::List || action == Api::Action::SummaryBucket)
        return Requirement::bucket(Ace::ObjList, call.bucket());
    if (action == Api::Action::CopyBucket || action == Api::Action::CopyListRange
        || action == Api::ActionEtlBucket || action == Api::ActionEtlListRange
        || action == Api::ActionEtlBucketSeed)
        return copyOrTransform(call);
    if (action == Api::Action::EvictObjects || action == Api::Action::DeleteObjects)
        return Requirement::bucket(Ace::ObjDelete, call.bucket());
    return Requirement::cluster(Ace::Admin);
}

Requirement buckets(const RouteCall &call)
{
    const QByteArray &method = call.request.method;
    if (!call.params.contains(QStringLiteral("bucket")))
        return Requirement::cluster(method == "GET" ? Ace::ListBuckets : Ace::Admin);
    if (method == "GET")
        return Requirement::bucket(Ace::ObjList, call.bucket());
    if (method == "HEAD")
        return Requirement::bucket(Ace::BckHead, call.bucket());
    if (method == "PATCH")
        return Requirement::bucket(Ace::Patch, call.bucket());
    if (method == "DELETE")
        return Requirement::cluster(Ace::DestroyBucket);
    return bucketPost(call);
}

// As in AIS, every ETL call on the proxy needs admin; reading through an ETL is an object GET.
// On a target, _object is the ETL servers' own way back in (hpull's object URL), guarded by
// the per-ETL secret in its path.
Requirement etl(const RouteCall &call)
{
    if (call.pattern.size() > 2 && call.pattern.at(2) == QLatin1String(Api::EtlPath::Object))
        return Requirement::none();
    return Requirement::cluster(Ace::Admin);
}

// Cluster, daemon and job routes: looking is SHOW-CLUSTER, anything else is admin.
Requirement control(const RouteCall &call)
{
    const QByteArray &method = call.request.method;
    return Requirement::cluster(method == "GET" || method == "HEAD" ? Ace::ShowCluster
                                                                     : Ace::Admin);
}

} // namespace

BucketRef RouteCall::bucket() const
{
    return BucketRef{request.queryValue(Api::Query::Provider), params.value(QStringLiteral("bucket"))};
}

RoutePolicy RoutePolicy::standard()
{
    RoutePolicy policy;
    policy.setRule(QStringLiteral("health"), [](const RouteCall &) { return Requirement::none(); });
    policy.setRule(QStringLiteral("objects"), objects);
    policy.setRule(QStringLiteral("buckets"), buckets);
    policy.setRule(QStringLiteral("etl"), etl);
    // /metrics: a scraper's read-only token (SHOW-CLUSTER) reads the node's counters.
    for (const char *family : {"cluster", "daemon", "reverse", "xactions", "txn", "metrics"})
        policy.setRule(QString::fromLatin1(family), control);
    policy.setRule(QStringLiteral("tokens"),
                   [](const RouteCall &) { return Requirement::cluster(Ace::Admin); });
    return policy;
}

Requirement RoutePolicy::required(const RouteCall &call) const
{
    const auto rule = m_rules.constFind(call.family());
    if (rule == m_rules.constEnd())
        return Requirement::cluster(Ace::Admin);
    return (*rule)(call);
}

} // namespace Kiln::Auth
