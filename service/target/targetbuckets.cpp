// Bucket requests a target answers: listing its share of a bucket (for the proxy's merge, or a
// direct client), HEAD, and its share of bucket summaries (for the proxy).
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/target/targetnode.h"
#include "shared/api/actmsg.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"

#include <QJsonArray>

namespace Kiln::Target {

bool TargetNode::checkBucket(Http::Exchange &ex, const QString &bucket)
{
    auto ok = m_bmd.check(ex.request().queryValue(Api::Query::Provider), bucket);
    if (!ok)
        ex.fail(ok.error());
    return bool(ok);
}

void TargetNode::onBucketList(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!checkBucket(ex, bucket))
        return;
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    if (!act->action.isEmpty() && act->action != Api::Action::List)
        return ex.fail(makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("invalid action \"%1\" for GET on a bucket").arg(act->action)));
    auto msg = Api::LsoMsg::fromJson(act->value);
    if (!msg)
        return ex.fail(msg.error());
    const bool intra = !ex.request().header(QByteArray(Node::IntraHeader).toLower()).isEmpty();
    const bool msgpack = ex.request().header("accept").contains(Api::MimeMsgpack);
    const QString location = m_self.tag();
    m_store.list(bucket, *msg, location)
        .then(this, [ex, msg = *msg, intra, msgpack](const Result<Api::LsoPage> &page) mutable {
            if (!page)
                return ex.fail(page.error());
            if (intra)
                return ex.json(Api::compact(page->toInternalJson()));
            if (msgpack)
                return ex.respond(200, page->toMsgpack(msg), Api::MimeMsgpack);
            ex.json(Api::compact(page->toJson(msg)));
        });
}

void TargetNode::onBucketHead(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!checkBucket(ex, bucket))
        return;
    const Api::BucketProps *props = m_bmd.bucket(bucket);
    ex.respond(200, {}, {}, {{Api::Header::BucketProps, Api::compact(props->toAisProps())}});
}

void TargetNode::onSummary(Http::Exchange ex)
{
    QStringList buckets;
    const QString bucket = ex.request().queryValue("bucket");
    if (!bucket.isEmpty()) {
        if (!checkBucket(ex, bucket))
            return;
        buckets.append(bucket);
    } else {
        buckets = m_bmd.buckets().keys();
    }
    const qint64 disks = m_store.diskCapacity();
    m_store.summarize(buckets, ex.request().queryValue("prefix"))
        .then(this, [ex, disks](const Result<QList<BucketUsage>> &usage) mutable {
            if (!usage)
                return ex.fail(usage.error());
            QJsonArray list;
            for (const BucketUsage &u : *usage)
                list.append(QJsonObject{{"name", u.bucket},
                                        {"objects", u.objects},
                                        {"bytes", u.bytes},
                                        {"min", u.minSize},
                                        {"max", u.maxSize},
                                        {"on_disk", u.onDisk}});
            ex.json(Api::compact(QJsonObject{{"disks", disks}, {"buckets", list}}));
        });
}

} // namespace Kiln::Target
