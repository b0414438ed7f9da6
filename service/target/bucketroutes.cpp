#include "service/target/bucketroutes.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/node/nodebase.h"
#include "service/target/objectstore.h"
#include "shared/api/actmsg.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"
#include "shared/core/whenready.h"

#include <QJsonArray>

namespace Kiln::Target {

BucketRoutes::BucketRoutes(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{
}

void BucketRoutes::registerRoutes(Http::Router &r)
{
    r.add({"GET"}, Api::Route::Bucket, Http::bindHandler(this, &BucketRoutes::onList));
    r.add({"HEAD"}, Api::Route::Bucket, Http::bindHandler(this, &BucketRoutes::onHead));
    r.add({"GET"}, Api::Route::TxnSummary, Http::bindHandler(this, &BucketRoutes::onSummary));
}

void BucketRoutes::onList(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!Node::checkBucket(ex, m_ctx.bmd, bucket))
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
    const QString location = m_ctx.self.tag();
    whenReady(m_ctx.store.list(bucket, *msg, location), this,
              [ex, msg = *msg, intra, msgpack](const Result<Api::LsoPage> &page) mutable {
                  if (!page)
                      return ex.fail(page.error());
                  if (intra)
                      return ex.json(Api::compact(page->toInternalJson()));
                  if (msgpack)
                      return ex.respond(200, page->toMsgpack(msg), Api::MimeMsgpack);
                  ex.json(Api::compact(page->toJson(msg)));
              });
}

void BucketRoutes::onHead(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (!Node::checkBucket(ex, m_ctx.bmd, bucket))
        return;
    const Api::BucketProps *props = m_ctx.bmd.bucket(bucket);
    ex.respond(200, {}, {}, {{Api::Header::BucketProps, Api::compact(props->toAisProps())}});
}

void BucketRoutes::onSummary(Http::Exchange ex)
{
    QStringList buckets;
    const QString bucket = ex.request().queryValue("bucket");
    if (!bucket.isEmpty()) {
        if (!Node::checkBucket(ex, m_ctx.bmd, bucket))
            return;
        buckets.append(bucket);
    } else {
        buckets = m_ctx.bmd.buckets().keys();
    }
    const qint64 disks = m_ctx.store.diskCapacity();
    whenReady(
        m_ctx.store.summarize(buckets, ex.request().queryValue("prefix")), this,
        [ex, disks](const Result<QList<BucketUsage>> &usage) mutable {
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
