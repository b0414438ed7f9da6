// Bucket requests on the proxy: create, destroy, HEAD, list buckets, and list objects merged
// from every target's share.
#include "service/ec/ecprops.h"
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/proxy/proxynode.h"
#include "shared/api/actmsg.h"
#include "shared/api/json.h"
#include "shared/api/lso.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/routepath.h"
#include "shared/api/tcbmsg.h"
#include "shared/api/wire.h"
#include "shared/cluster/hrw.h"
#include "shared/core/logging.h"
#include "shared/etl/etlname.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>
#include <QUuid>

namespace Kiln::Proxy {
namespace {

// While a rebalance moves objects, a name can sit on two targets for a moment (the owner has
// committed its copy, the sender has not removed its own yet). Keeps one entry per name, the HRW
// owner's when it is there. entries are sorted by name.
void dedupe(QList<Api::LsoEntry> &entries, const QString &bucket, const Cluster::Smap &smap)
{
    QList<Api::LsoEntry> out;
    out.reserve(entries.size());
    for (Api::LsoEntry &e : entries) {
        if (out.isEmpty() || out.last().name != e.name) {
            out.append(std::move(e));
            continue;
        }
        const Cluster::Snode *owner = Cluster::hrwTarget(smap, Cluster::objectUname(bucket, e.name));
        if (owner && e.location.startsWith(owner->tag()))
            out.last() = std::move(e);
    }
    entries = std::move(out);
}

} // namespace

void ProxyNode::onBucketsGet(Http::Exchange ex)
{
    if (!Node::checkProvider(ex))
        return;
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    const QString bucket = ex.param("bucket");
    if (act->action == Api::Action::SummaryBucket) {
        if (!bucket.isEmpty() && !Node::checkBucket(ex, m_bmd, bucket))
            return;
        return m_summary.summary(ex, bucket, act->value);
    }
    if (!act->action.isEmpty() && act->action != Api::Action::List)
        return ex.fail(makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("invalid action \"%1\" for GET /v1/buckets").arg(act->action)));
    if (!bucket.isEmpty()) {
        if (!Node::checkBucket(ex, m_bmd, bucket))
            return;
        return listObjects(ex, bucket, act->value);
    }
    QJsonArray list;
    for (const Api::BucketProps &props : m_bmd.buckets()) {
        list.append(QJsonObject{{"name", props.name},
                                {"provider", Api::ProviderAis},
                                {"namespace", QJsonObject{{"uuid", ""}, {"name", ""}}}});
    }
    ex.json(QJsonDocument(list).toJson(QJsonDocument::Compact));
}

void ProxyNode::listObjects(Http::Exchange ex, const QString &bucket, const QJsonValue &lsoValue)
{
    auto msg = Api::LsoMsg::fromJson(lsoValue);
    if (!msg)
        return ex.fail(msg.error());
    if (msg->uuid.isEmpty())
        msg->uuid = QUuid::createUuid().toString(QUuid::WithoutBraces).left(13);
    if (m_smap.targets().isEmpty())
        return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    const Api::ActMsg forward{Api::Action::List, {}, msg->toJson()};
    Node::IntraRequest request{"GET",
                               Api::routePath(Api::Route::Bucket,
                                              {QString::fromUtf8(QUrl::toPercentEncoding(bucket))})
                                   + QStringLiteral("?provider=ais"),
                               forward.toJson(),
                               {},
                               120000};
    const bool msgpack = ex.request().header("accept").contains(Api::MimeMsgpack);
    Node::callNodes(
        m_nam, m_smap.targets(), request, this,
        [ex, msg = *msg, msgpack, bucket,
         smap = m_smap](const QList<Node::IntraReply> &replies) mutable {
            Api::LsoPage merged;
            merged.uuid = msg.uuid;
            bool more = false;
            for (const Node::IntraReply &r : replies) {
                if (!r.ok())
                    return ex.fail(makeError(
                        r.status == 404 ? ErrorCode::NotFound : ErrorCode::Unavailable,
                        QStringLiteral("listing on target %1 failed: %2")
                            .arg(r.node.id,
                                 r.status ? QString::fromUtf8(r.body.left(500)) : r.error)));
                auto json = Api::parseObject(r.body, "target list page");
                auto page = json ? Api::LsoPage::fromInternalJson(*json)
                                 : Result<Api::LsoPage>(json.error());
                if (!page)
                    return ex.fail(page.error());
                more = more || !page->continuationToken.isEmpty();
                merged.entries.append(page->entries);
            }
            Api::sortInAisOrder(merged.entries);
            dedupe(merged.entries, bucket, smap);
            // Each target sent its first pageSize names after the token, so the
            // first pageSize of the union are exactly the cluster's next page.
            const int pageSize = msg.effectivePageSize();
            if (merged.entries.size() > pageSize) {
                merged.entries.resize(pageSize);
                more = true;
            }
            if (more && !merged.entries.isEmpty())
                merged.continuationToken = merged.entries.last().name;
            if (msgpack)
                return ex.respond(200, merged.toMsgpack(msg), Api::MimeMsgpack);
            ex.json(Api::compact(merged.toJson(msg)));
        });
}

void ProxyNode::onBucketPost(Http::Exchange ex)
{
    if (!Node::checkProvider(ex))
        return;
    const QString bucket = ex.param("bucket");
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    if (act->action == Api::ActionEtlBucket || act->action == Api::ActionEtlListRange
        || act->action == Api::ActionEtlBucketSeed)
        return startTransform(ex, bucket, *act);
    if (m_buckets.post(ex, bucket, *act))
        return;
    if (act->action != Api::Action::CreateBucket)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 act->action.isEmpty()
                                     ? QStringLiteral("POST on a bucket needs an action")
                                     : QStringLiteral("invalid action \"%1\"").arg(act->action)));
    if (auto valid = Api::validateBucketName(bucket); !valid)
        return ex.fail(valid.error());
    // The Go client may send props to create the bucket with (AIS's BpropsToSet).
    if (auto ok = checkNewEcProps(bucket, act->value.toObject()); !ok)
        return ex.fail(ok.error());
    auto added
        = m_bmd.add(bucket, QDateTime::currentMSecsSinceEpoch() * 1000000, act->value.toObject());
    if (!added)
        return ex.fail(added.error());
    Log::proxy().info("bucket {} created (bmd v{})", Api::bucketCname(bucket), m_bmd.version());
    bmdUpdated([ex]() mutable { ex.ok(); });
}

Result<void> ProxyNode::checkNewEcProps(const QString &bucket, const QJsonObject &toSet) const
{
    Api::BucketProps props;
    props.name = bucket;
    if (!toSet.contains("ec") || !props.apply(toSet))
        return {}; // bad props: the add that follows answers them
    return Ec::checkTargets(props, m_smap.targets().size());
}

void ProxyNode::onBucketDelete(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!Node::checkBucket(ex, m_bmd, bucket))
        return;
    if (!ex.body().trimmed().isEmpty()) {
        auto act = Api::ActMsg::parse(ex.body());
        if (!act)
            return ex.fail(act.error());
        if (!act->action.isEmpty() && act->action != Api::Action::DestroyBucket)
            return ex.fail(makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("invalid action \"%1\" for DELETE on a bucket").arg(act->action)));
    }
    m_bmd.remove(bucket);
    Log::proxy().info("bucket {} destroyed (bmd v{})", Api::bucketCname(bucket), m_bmd.version());
    bmdUpdated([ex]() mutable { ex.ok(); });
}

void ProxyNode::onBucketHead(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!Node::checkBucket(ex, m_bmd, bucket))
        return;
    // The SDK's Bucket.info (and `ais bucket summary` of a prefix): a summary over HEAD.
    if (ex.request().query.hasQueryItem(Api::Query::BsummRemote))
        return m_summary.info(ex, bucket, ex.param("prefix"));
    ex.respond(200, {}, {},
               {{Api::Header::BucketProps, Api::compact(m_bmd.bucket(bucket)->toAisProps())}});
}

Result<void> ProxyNode::checkTransformEtl(const QString &name) const
{
    const Etl::EtlRecord *etl = m_etl.md().find(name);
    if (!etl) {
        // AIS (etlExists, answered 404): its name rule first, then the ETL metadata.
        const QString badName = Etl::EtlName::aisRuleError(name);
        return makeError(ErrorCode::NotFound,
                         !badName.isEmpty() ? badName
                                            : QStringLiteral("ETL %1 doesn't exist").arg(name));
    }
    if (etl->stage != Etl::Stage::Running)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("ETL %1 is not running (stage %2)")
                             .arg(name, Etl::stageName(etl->stage)));
    return {};
}

void ProxyNode::startTransform(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act)
{
    if (!Node::checkBucket(ex, m_bmd, bucket))
        return;
    const bool listRange = act.action == Api::ActionEtlListRange;
    auto msg = Api::TcbMsg::fromJson(act.value, listRange);
    if (!msg)
        return ex.fail(msg.error());
    // The ETL and every pipeline stage must exist (AIS answers 404) and, here, run.
    for (const QString &name : QStringList{msg->etlName} + msg->pipeline) {
        if (auto refused = checkTransformEtl(name); !refused)
            return ex.fail(refused.error().code == ErrorCode::NotFound ? 404 : 400,
                           refused.error());
    }
    // Destination: bck_to=ais/@#/DST/ (today), the action's name (seed 001), tobck (list/range).
    QString dst;
    if (listRange) {
        dst = msg->toBucket.isEmpty() ? bucket : msg->toBucket;
    } else {
        const QString bckTo = ex.request().queryValue("bck_to");
        if (!bckTo.isEmpty()) {
            auto name = Api::bucketFromUname(bckTo);
            if (!name)
                return ex.fail(name.error());
            dst = *name;
        } else {
            dst = act.name;
        }
        if (dst.isEmpty())
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     "invalid transform request: no destination bucket "
                                     "(bck_to=ais/@#/<bucket>/)"));
    }
    if (auto valid = Api::validateBucketName(dst); !valid)
        return ex.fail(valid.error());
    if (!listRange && dst == bucket && !msg->dryRun)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("cannot etl-bck bucket \"%1\" onto itself")
                                     .arg(Api::bucketCname(bucket))));
    Xact::JobSpec spec;
    spec.id = JobControl::newJobId();
    spec.kind = listRange ? Api::KindEtlListRange : Api::KindEtlBucket;
    spec.srcBucket = bucket;
    spec.dstBucket = dst;
    spec.msg = *msg;
    if (msg->dryRun || m_bmd.contains(dst))
        return m_jobs.start(ex, spec);
    // A missing ais:// destination is created first (as AIS does), known to every target
    // before the first object arrives.
    auto added = m_bmd.add(dst, QDateTime::currentMSecsSinceEpoch() * 1000000);
    if (!added)
        return ex.fail(added.error());
    Log::proxy().info("bucket {} created for job {}", Api::bucketCname(dst), spec.id);
    bmdUpdated([this, ex, spec]() mutable { m_jobs.start(ex, spec); });
}

} // namespace Kiln::Proxy
