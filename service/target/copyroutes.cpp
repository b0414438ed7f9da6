#include "service/target/copyroutes.h"

#include "service/etl/pipeline.h"
#include "service/http/errors.h"
#include "service/http/exchange.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectstore.h"
#include "shared/api/objectwire.h"
#include "shared/core/logging.h"

namespace Kiln::Target {

CopyRoutes::CopyRoutes(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{ }

void CopyRoutes::copy(Http::Exchange ex, const QString &bucket, const QString &object,
                      const Api::PutRequest &req)
{
    auto dst = Api::parseObjectUname(req.objectTo);
    if (!dst)
        return ex.fail(dst.error());
    if (auto known = m_ctx.bmd.check({}, dst->bucket); !known)
        return ex.fail(known.error());
    if (auto writable = m_ctx.bmd.checkWritable(dst->bucket); !writable)
        return ex.fail(writable.error());
    auto src = m_ctx.store.stat(bucket, object);
    if (!src)
        return ex.fail(m_ctx.objectNotFound(bucket, object));
    if (!req.etlName.isEmpty())
        return transformCopy(ex, *src, *dst, req.etlName);
    // A copy onto itself finds the destination identical: nothing to do (AIS's no-op).
    if (dst->bucket == bucket && dst->object == object)
        return ex.ok();
    const QString what
        = QStringLiteral("%1 => %2")
              .arg(Api::objectCname(bucket, object), Api::objectCname(dst->bucket, dst->object));
    m_ctx.delivery.deliverFile(src->path, *dst, src->custom, {}, this,
                               [ex, what](const Result<Delivery> &done) mutable {
                                   if (!done)
                                       return ex.fail(done.error());
                                   Log::store().debug("copied {} ({} bytes)", what, done->size);
                                   ex.ok();
                               });
}

void CopyRoutes::transformCopy(Http::Exchange ex, const ObjectInfo &src, const Api::ObjectRef &dst,
                               const QString &etlName)
{
    Etl::TransformJob job;
    job.etlName = etlName;
    job.bucket = src.bucket;
    job.object = src.name;
    job.fqn = src.path;
    job.size = src.size;
    job.etlArgs = ex.request().queryValue(Api::Query::EtlArgs);
    // The stages after etlName (the CLI's "a>>b"): the object goes through each in turn.
    if (const QString stages = ex.request().queryValue(Api::Query::EtlPipeline); !stages.isEmpty())
        job.pipeline = stages.split(',');
    if (const auto missing = m_ctx.comm.pipeline()->missingStage(job))
        return ex.fail(400, m_ctx.comm.pipeline()->missingStageError(*missing));
    const QString tag = m_ctx.self.tag();
    m_ctx.comm.transform(job, this, [this, ex, dst, tag](Etl::Communicator::Output output) mutable {
        if (!output) {
            Error e = output.error();
            if (Http::statusFor(e) == 404 && !e.message.startsWith("ETL error"))
                e.message = QStringLiteral("%1: %2").arg(tag, e.message);
            return ex.fail(e);
        }
        // The result replaces the destination only once it is whole.
        m_ctx.delivery.deliverBody(std::move(output).value(), dst, {}, this,
                                   [ex](const Result<Delivery> &done) mutable {
                                       if (!done)
                                           return ex.fail(done.error());
                                       ex.ok();
                                   });
    });
}

void CopyRoutes::rename(Http::Exchange ex, const QString &bucket, const QString &object,
                        const QString &newName)
{
    if (auto valid = Api::validateObjectName(newName); !valid)
        return ex.fail(valid.error());
    if (newName == object)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: cannot rename/move object %2 onto itself")
                                     .arg(m_ctx.self.tag(), Api::objectCname(bucket, object))));
    auto src = m_ctx.store.stat(bucket, object);
    if (!src)
        return ex.fail(m_ctx.objectNotFound(bucket, object));
    const Api::ObjectRef dst{bucket, newName};
    m_ctx.delivery.deliverFile(
        src->path, dst, src->custom, {}, this,
        [this, ex, bucket, object, newName](const Result<Delivery> &done) mutable {
            if (!done)
                return ex.fail(done.error());
            // The new name is whole before the old one goes (AIS: copy, then delete).
            if (auto removed = m_ctx.store.remove(bucket, object); !removed)
                Log::store().warn("renamed {} to {} but could not remove the old name: {}",
                                  Api::objectCname(bucket, object), newName,
                                  removed.error().message);
            ex.ok();
        });
}

} // namespace Kiln::Target
