#include "service/target/objectroutes.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/mirror/replicas.h"
#include "service/node/intracall.h"
#include "service/node/nodebase.h"
#include "service/target/arrivalcheck.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectserving.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "service/target/rebalancer.h"
#include "service/target/xattrs.h"
#include "shared/api/actmsg.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"
#include "shared/cluster/hrw.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QFile>
#include <QtConcurrent>

#include <optional>

namespace Kiln::Target {
namespace {

// AIS's answer to an action only remote buckets take (evict, blob download).
Error notRemote(const QString &action, const QString &bucket)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("%1: expecting remote bucket (have %2)")
                         .arg(action, Api::bucketCname(bucket)),
                     QStringLiteral("ErrNotRemoteBck"));
}

Error invalidAction(const QString &action)
{
    return makeError(ErrorCode::InvalidArgument, QStringLiteral("invalid action \"%1\"").arg(action));
}

} // namespace

ObjectRoutes::ObjectRoutes(TargetContext ctx, Hooks hooks, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_hooks(std::move(hooks))
    , m_copy(ctx)
    , m_append(ctx)
    , m_customMd(ctx)
    , m_archive(ctx)
    , m_gfn(ctx)
{
}

void ObjectRoutes::registerRoutes(Http::Router &r)
{
    r.add({"GET"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onGet));
    r.add({"HEAD"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onHead));
    r.add({"DELETE"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onDelete));
    r.add({"PUT"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onPut),
          Http::RouteOptions{.streamBody = true});
    r.add({"POST"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onPost));
    r.add({"PATCH"}, Api::Route::Object, Http::bindHandler(this, &ObjectRoutes::onPatch));
}

bool ObjectRoutes::checkObject(Http::Exchange &ex, QString *bucket, QString *object, bool writing)
{
    *bucket = ex.param("bucket");
    *object = ex.param("object");
    return Node::checkObject(ex, m_ctx.bmd, *bucket, *object, writing);
}

std::optional<Api::ActMsg> ObjectRoutes::checkAction(Http::Exchange &ex, QString *bucket,
                                                     QString *object)
{
    if (!checkObject(ex, bucket, object, true))
        return std::nullopt;
    auto act = Api::ActMsg::parse(ex.body());
    if (!act) {
        ex.fail(act.error());
        return std::nullopt;
    }
    return *act;
}

void ObjectRoutes::onGet(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object, false))
        return;
    // Inline transform: etl_name, or the seed-era uuid when etl_name is absent. As in AIS, the
    // ETL is checked before the object.
    QString etlName = ex.request().queryValue("etl_name");
    if (etlName.isEmpty())
        etlName = ex.request().queryValue("uuid");
    if (!etlName.isEmpty())
        return m_hooks.inlineTransform(ex, etlName, bucket, object);
    const int copies = m_ctx.store.readCopies(bucket);
    // Not mirrored: the file where it belongs, opened in one path walk (openPrimary). A miss
    // there asks stat() (a copy on another mountpath), then a rebuild, a neighbour, or 404.
    std::optional<ObjectStore::Opened> opened;
    if (copies <= 1) {
        if (auto primary = m_ctx.store.openPrimary(bucket, object))
            opened = std::move(*primary);
    }
    auto info = opened ? Result<ObjectInfo>(opened->info) : m_ctx.store.stat(bucket, object);
    if (!info)
        return missedRead(ex, bucket, object);
    auto archive = ArchiveRoutes::parse(ex);
    if (!archive)
        return;
    if (archive->isArchiveRead())
        return m_archive.get(ex, *info, *archive);
    if (opened)
        return sendOpenObject(ex, *info, std::move(opened->fd));
    if (copies > 1) {
        // Mirrored: the bytes are checked against the checksum before any is sent, and a bad
        // copy is passed over (and repaired) on the I/O pool.
        Mirror::Replicas *replicas = &m_ctx.store.replicas();
        whenReady(QtConcurrent::run(m_ctx.store.ioPool(),
                                    [replicas, bucket, object, copies] {
                                        return replicas->pickVerified(bucket, object, copies);
                                    }),
                  this, [this, ex, bucket, object](const Result<ObjectInfo> &picked) mutable {
                      if (picked)
                          return serve(ex, *picked, true);
                      if (picked.error().code != ErrorCode::NotFound)
                          return ex.fail(picked.error());
                      // Every copy went since the stat (a rebalance moved it on): as any miss.
                      missedRead(ex, bucket, object);
                  });
        return;
    }
    serve(ex, *info, true);
}

void ObjectRoutes::missed(Http::Exchange ex, const QString &bucket, const QString &object,
                          Found found)
{
    const Http::Request &req = ex.request();
    // Rebuilt here only by its owner (or when another target, with a newer map, says this is
    // the owner now); never on a get-from-neighbor hop.
    const Cluster::Snode *owner
        = Cluster::hrwTarget(m_ctx.smap, Cluster::objectUname(bucket, object));
    const bool hop = !req.queryValue(Api::Query::GfnHop).isEmpty()
        || !req.queryValue(Api::Query::GfnBack).isEmpty();
    const bool intra = !req.header(QByteArray(Node::IntraHeader).toLower()).isEmpty();
    const bool mine = intra || (owner && owner->id == m_ctx.self.id);
    auto rebuilt = [this, ex, bucket, object, found](const Result<ObjectInfo> &info) mutable {
        if (info)
            return found(ex, *info);
        if (info.error().code == ErrorCode::NotFound)
            return m_gfn.missed(ex, bucket, object);
        ex.fail(info.error());
    };
    if (hop || !mine || !m_hooks.rebuild || !m_hooks.rebuild(bucket, object, this, rebuilt))
        m_gfn.missed(ex, bucket, object);
}

void ObjectRoutes::serve(Http::Exchange ex, const ObjectInfo &picked, bool missable)
{
    if (sendObject(ex, m_ctx.store, picked))
        return;
    if (!missable)
        return ex.fail(m_ctx.objectNotFound(picked.bucket, picked.name));
    // Gone since its stat (a rebalance that moved it on removes ours once the owner has it):
    // answered as any miss, so the client is sent where it is now.
    missedRead(ex, picked.bucket, picked.name);
}

void ObjectRoutes::missedRead(Http::Exchange ex, const QString &bucket, const QString &object)
{
    missed(ex, bucket, object,
           [this](Http::Exchange ex, const ObjectInfo &found) { serve(ex, found, false); });
}

void ObjectRoutes::onHead(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object, false))
        return;
    auto info = m_ctx.store.stat(bucket, object);
    if (!info)
        // Rebuilt from its slices: answered as any object stored here.
        return missed(ex, bucket, object,
                      [this](Http::Exchange ex, const ObjectInfo &) { onHead(ex); });
    // A mirrored object's copies that are on disk.
    QStringList present{info->mountpath};
    if (m_ctx.store.mountpaths().size() > 1)
        present = m_ctx.store.replicas().presentMountpaths(bucket, object);
    const Http::Headers headers = headHeaders(*info, m_ctx.self.tag(), present);
    ex.respond(200, {}, {}, headers);
}

void ObjectRoutes::onPut(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object, true))
        return;
    auto req = Api::classifyPut(ex.request().query);
    if (!req)
        return ex.fail(req.error());
    switch (req->form) {
    case Api::PutForm::Write:
        return write(ex, bucket, object);
    case Api::PutForm::Copy:
        return m_copy.copy(ex, bucket, object, *req);
    case Api::PutForm::Append:
        return m_append.append(ex, bucket, object, *req);
    case Api::PutForm::Flush:
        return m_append.flush(ex, bucket, object, *req);
    case Api::PutForm::MultipartPart:
    case Api::PutForm::ArchiveAppend:
        return ex.fail(
            Api::notImplemented(Api::putFormName(req->form), Api::objectCname(bucket, object)));
    }
}

void ObjectRoutes::onPost(Http::Exchange ex)
{
    QString bucket, object;
    auto act = checkAction(ex, &bucket, &object);
    if (!act)
        return;
    const QString cname = Api::objectCname(bucket, object);
    if (act->action == Api::Action::RenameObject)
        return m_copy.rename(ex, bucket, object, act->name);
    if (act->action == Api::Action::CheckLock)
        return ex.ok(); // nothing holds an object's lock between requests here
    if (act->action == Api::Action::BlobDownload)
        return ex.fail(notRemote(act->action, bucket));
    if (act->action == Api::Action::MptUpload || act->action == Api::Action::MptComplete
        || act->action == Api::Action::MptAbort)
        return ex.fail(Api::notImplemented(QStringLiteral("multipart-upload"), cname));
    ex.fail(invalidAction(act->action));
}

void ObjectRoutes::onPatch(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object, true))
        return;
    m_customMd.patch(ex, bucket, object);
}

void ObjectRoutes::write(Http::Exchange ex, const QString &bucket, const QString &object)
{
    auto writer = m_ctx.store.beginWrite(bucket, object);
    if (!writer)
        return ex.fail(writer.error());
    const Http::Request &req = ex.request();
    const bool intra = !req.header(QByteArray(Node::IntraHeader).toLower()).isEmpty();
    // A copy from another target carries the source's custom metadata.
    const QByteArray custom = req.header(QByteArray(CustomMdHeader).toLower());
    if (!custom.isEmpty() && intra)
        (*writer)->setCustom(Xattrs::decodeCustom(custom));
    // An object rebalance moves keeps its version and is checked against its checksum.
    const QByteArray movedMtime = intra ? req.header(QByteArray(RebalanceHeader).toLower()) : "";
    const bool moved = !movedMtime.isEmpty();
    if (moved)
        (*writer)->keepSource(QString::fromLatin1(req.header("ais-version")),
                              movedMtime.toLongLong());
    // Nothing is committed unless the whole body it announced arrived (and, from another
    // target, with the size and checksum the object has there).
    auto check = ArrivalCheck::make(req, intra, (*writer)->checksumType());
    if (!check)
        return ex.fail(check.error());
    // The writer lives as long as the body reader; if the client leaves mid-body the connection
    // drops the reader and the writer's destructor removes the temporary file.
    auto state = std::make_shared<std::unique_ptr<ObjectWriter>>(std::move(*writer));
    auto arrival = std::make_shared<ArrivalCheck>(std::move(*check));
    Http::BodyReader reader;
    reader.onData = [state, arrival, ex](const char *data, qsizetype size) mutable {
        if (!*state)
            return false;
        if (auto written = (*state)->write(data, size); !written) {
            state->reset();
            ex.fail(written.error());
            return false;
        }
        arrival->feed(data, size);
        return true;
    };
    reader.onEnd = [this, state, arrival, ex, moved]() mutable {
        if (!*state)
            return;
        std::unique_ptr<ObjectWriter> w = std::move(*state);
        const QString cname = Api::objectCname(w->bucket(), w->name());
        if (auto ok = arrival->verify(cname, w->bytesWritten(), w->digest()); !ok) {
            Log::store().warn("refused {}: {}", cname, ok.error().message);
            return ex.fail(ok.error()); // the writer's destructor removes its temporary file
        }
        // A result another target sends within a job counts as that job's "in" on this one.
        const QString jobId = ex.request().queryValue("uuid");
        whenReady(w->commit(), this,
                  [this, ex, jobId, moved](const Result<ObjectInfo> &info) mutable {
                      committed(ex, info, jobId, moved);
                  });
    };
    reader.onAbort = [state]() { state->reset(); };
    ex.readBody(std::move(reader));
}

void ObjectRoutes::committed(Http::Exchange &ex, const Result<ObjectInfo> &info,
                             const QString &jobId, bool moved)
{
    if (!info) {
        // A moved copy older than ours: ours stays, and the sender may drop its stale one.
        if (moved && info.error().tcode == QLatin1String(NewerCopyTcode))
            return ex.ok();
        return ex.fail(info.error());
    }
    Log::store().debug("stored {} ({} bytes, v{})", Api::objectCname(info->bucket, info->name),
                       info->size, info->version);
    if (!jobId.isEmpty())
        m_hooks.countIncoming(jobId, info->size);
    if (moved && m_hooks.countRebalanced)
        m_hooks.countRebalanced(info->size);
    ex.respond(200, {}, {}, objectHeaders(*info));
}

void ObjectRoutes::onDelete(Http::Exchange ex)
{
    QString bucket, object;
    // DELETE carries actions too (AIS: evict, abort a multipart upload): only a plain DELETE
    // removes the object.
    auto act = checkAction(ex, &bucket, &object);
    if (!act)
        return;
    const QString cname = Api::objectCname(bucket, object);
    if (act->action == Api::Action::MptAbort
        || !ex.request().queryValue(Api::Query::MptUploadId).isEmpty())
        return ex.fail(Api::notImplemented(QStringLiteral("multipart-upload"), cname));
    if (act->action == Api::Action::EvictObjects)
        return ex.fail(notRemote(act->action, bucket));
    if (!act->action.isEmpty() && act->action != Api::Action::DeleteObjects)
        return ex.fail(invalidAction(act->action));
    // Found or not, the store tells EC to drop the object's slices.
    auto removed = m_ctx.store.remove(bucket, object);
    if (!removed) {
        // AIS words a missing object differently here, without a node or type name.
        if (removed.error().code == ErrorCode::NotFound)
            return ex.fail(makeError(
                ErrorCode::NotFound,
                QStringLiteral("%1 doesn't exist").arg(Api::objectCname(bucket, object))));
        return ex.fail(removed.error());
    }
    ex.ok();
}

} // namespace Kiln::Target
