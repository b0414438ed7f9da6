#include "service/ec/restoretrigger.h"

#include "service/ec/placement.h"
#include "service/ec/slicearea.h"
#include "service/node/intracall.h"
#include "service/target/objectstore.h"
#include "shared/api/bprops.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QUrl>
#include <QtConcurrent>

namespace Kiln::Ec {
namespace {

constexpr int AskTimeoutMs = 120000;

} // namespace

RestoreTrigger::RestoreTrigger(Target::TargetContext ctx, SliceArea &area, RebuildHere rebuildHere,
                               QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_area(area)
    , m_rebuildHere(std::move(rebuildHere))
{ }

void RestoreTrigger::onSmapChanged(const Cluster::Smap &before)
{
    for (const Api::BucketProps &props : m_ctx.bmd.buckets()) {
        if (!props.ec.enabled)
            continue;
        SliceArea *area = &m_area;
        const QString bucket = props.name;
        whenReady(QtConcurrent::run(m_ctx.store.ioPool(),
                                    [area, bucket] { return area->objects(bucket); }),
                  this, [this, before, bucket](const QStringList &objects) {
                      check(before, bucket, objects);
                  });
    }
}

void RestoreTrigger::check(const Cluster::Smap &before, const QString &bucket,
                           const QStringList &objects)
{
    int asked = 0;
    for (const QString &object : objects) {
        const QList<Cluster::Snode> was = hrwOrder(before, bucket, object);
        const QList<Cluster::Snode> now = hrwOrder(m_ctx.smap, bucket, object);
        if (was.isEmpty() || now.isEmpty() || m_ctx.smap.hasTarget(was.first().id))
            continue; // its owner is still here (and protects it again itself)
        ++asked;
        if (now.first().id == m_ctx.self.id)
            m_rebuildHere(bucket, object);
        else
            ask(now.first(), bucket, object);
    }
    if (asked > 0)
        Log::target().info("ec: {} objects of {} lost their owner: rebuilding them", asked,
                           Api::bucketCname(bucket));
}

void RestoreTrigger::ask(const Cluster::Snode &owner, const QString &bucket, const QString &object)
{
    const Node::IntraRequest get{
        "GET",
        Api::routePath(Api::Route::Object,
                       {QString::fromLatin1(QUrl::toPercentEncoding(bucket)),
                        QString::fromLatin1(QUrl::toPercentEncoding(object, "/"))})
            + QStringLiteral("?provider=ais"),
        {},
        {{Node::IntraHeader, "1"}, {"Range", "bytes=0-0"}},
        AskTimeoutMs};
    Node::callNode(m_ctx.nam, owner, get, this, [bucket, object](const Node::IntraReply &reply) {
        if (!reply.ok() && reply.status != 416)
            Log::target().warn("ec: {}/{} not rebuilt on its new owner {}: {} {}", bucket, object,
                               reply.node.id, reply.status, reply.body.left(200).toStdString());
    });
}

} // namespace Kiln::Ec
