// Object requests on a target: GET (with Range), HEAD, PUT (streamed to a temporary file and
// renamed into place), DELETE; PUT, POST and PATCH of AIS's other forms go to their route
// classes once classified, so no action is ever taken for a write of an empty body.
#include "service/http/bodysource.h"
#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "service/target/byterange.h"
#include "service/target/objectwriter.h"
#include "service/target/targetnode.h"
#include "service/target/xattrs.h"
#include "shared/api/actmsg.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"
#include "shared/core/logging.h"

#include <QFile>

namespace Kiln::Target {
namespace {

// What AIS's GET, HEAD and PUT answers say of an object (HEAD adds more).
Http::Headers objectHeaders(const ObjectInfo &info)
{
    Http::Headers h;
    if (!info.checksum.isEmpty() && info.checksumType != QLatin1String(Api::Checksum::None)) {
        h.emplaceBack(Api::Header::ChecksumType, info.checksumType.toLatin1());
        h.emplaceBack(Api::Header::ChecksumValue, info.checksum.toLatin1());
    }
    h.emplaceBack(Api::Header::Atime, QByteArray::number(info.atimeNs));
    // No version while the bucket's versioning is off (AIS leaves the header out then).
    if (!info.version.isEmpty())
        h.emplaceBack(Api::Header::Version, info.version.toLatin1());
    // One header per key, as AIS writes custom metadata (cmn.ObjAttrs.ToHeader).
    for (auto it = info.custom.constBegin(); it != info.custom.constEnd(); ++it)
        h.emplaceBack(Api::Header::CustomMd, (it.key() + '=' + it.value()).toUtf8());
    return h;
}

// AIS's type name for a missing object on GET and HEAD ("ErrNotFound", not "ErrObjNotFound").
Error notFound(const QString &message)
{
    return makeError(ErrorCode::NotFound, message, "ErrNotFound");
}

} // namespace

QString TargetNode::notFoundMessage(const QString &bucket, const QString &object) const
{
    return QStringLiteral("%1: %2 does not exist")
        .arg(m_self.tag(), Api::objectCname(bucket, object));
}

bool TargetNode::checkObject(Http::Exchange &ex, QString *bucket, QString *object)
{
    *bucket = ex.param("bucket");
    *object = ex.param("object");
    if (!checkBucket(ex, *bucket))
        return false;
    if (auto valid = Api::validateObjectName(*object); !valid) {
        ex.fail(valid.error());
        return false;
    }
    return true;
}

void TargetNode::onObjectGet(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    // Inline transform: etl_name, or the seed-era uuid when etl_name is absent. As in AIS, the
    // ETL is checked before the object.
    QString etlName = ex.request().queryValue("etl_name");
    if (etlName.isEmpty())
        etlName = ex.request().queryValue("uuid");
    if (!etlName.isEmpty())
        return onInlineTransform(ex, etlName, bucket, object);
    auto info = m_store.stat(bucket, object);
    if (!info)
        return ex.fail(notFound(notFoundMessage(bucket, object)));
    auto archive = ArchiveRoutes::parse(ex);
    if (!archive)
        return;
    if (archive->isArchiveRead())
        return m_archive.get(ex, *info, *archive);
    auto file = m_store.openForRead(*info);
    if (!file)
        return ex.fail(notFound(notFoundMessage(bucket, object)));
    const auto range = parseByteRange(ex.request().header("range"), info->size,
                                      Api::objectCname(bucket, object));
    if (!range) {
        Http::Headers extra;
        if (range.error().tcode == RangeNotSatisfiable)
            extra.emplaceBack("Content-Range", "bytes */" + QByteArray::number(info->size));
        return ex.fail(416, range.error(), extra);
    }
    Http::Headers headers = objectHeaders(*info);
    int status = 200;
    qint64 offset = 0, length = info->size;
    if (*range) {
        status = 206;
        offset = (*range)->offset;
        length = (*range)->length;
        headers.emplaceBack("Accept-Ranges", "bytes");
        headers.emplaceBack("Content-Range",
                            QStringLiteral("bytes %1-%2/%3")
                                .arg(offset)
                                .arg(offset + length - 1)
                                .arg(info->size)
                                .toLatin1());
    }
    auto source = std::make_unique<Http::FileBodySource>(std::move(*file), offset, length);
    ex.respondStream(status, std::move(source), Api::MimeOctets, headers);
}

void TargetNode::onObjectHead(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    auto info = m_store.stat(bucket, object);
    if (!info)
        return ex.fail(notFound(notFoundMessage(bucket, object)));
    Http::Headers headers = objectHeaders(*info);
    headers.emplaceBack(Api::Header::Present, "true");
    headers.emplaceBack(Api::Header::Name, object.toUtf8());
    headers.emplaceBack(Api::Header::Location,
                        QStringLiteral("%1:%2").arg(m_self.tag(), info->mountpath).toUtf8());
    // A list of paths, as Go prints a slice.
    headers.emplaceBack(Api::Header::MirrorPaths, '[' + info->mountpath.toUtf8() + ']');
    headers.emplaceBack(Api::Header::MirrorCopies, "1");
    headers.emplaceBack(Api::Header::BucketName, bucket.toUtf8());
    headers.emplaceBack(Api::Header::BucketProvider, Api::ProviderAis);
    headers.emplaceBack("Content-Length", QByteArray::number(info->size));
    ex.respond(200, {}, {}, headers);
}

void TargetNode::onObjectPut(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    if (auto writable = m_bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    auto req = Api::classifyPut(ex.request().query);
    if (!req)
        return ex.fail(req.error());
    switch (req->form) {
    case Api::PutForm::Write:
        return onObjectWrite(ex, bucket, object);
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

void TargetNode::onObjectPost(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    if (auto writable = m_bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    const QString cname = Api::objectCname(bucket, object);
    if (act->action == Api::Action::RenameObject)
        return m_copy.rename(ex, bucket, object, act->name);
    if (act->action == Api::Action::CheckLock)
        return ex.ok(); // nothing holds an object's lock between requests here
    if (act->action == Api::Action::BlobDownload)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: expecting remote bucket (have %2)")
                                     .arg(act->action, Api::bucketCname(bucket)),
                                 QStringLiteral("ErrNotRemoteBck")));
    if (act->action == Api::Action::MptUpload || act->action == Api::Action::MptComplete
        || act->action == Api::Action::MptAbort)
        return ex.fail(Api::notImplemented(QStringLiteral("multipart-upload"), cname));
    ex.fail(makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("invalid action \"%1\"").arg(act->action)));
}

void TargetNode::onObjectPatch(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    if (auto writable = m_bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    m_customMd.patch(ex, bucket, object);
}

void TargetNode::onObjectWrite(Http::Exchange ex, const QString &bucket, const QString &object)
{
    auto writer = m_store.beginWrite(bucket, object);
    if (!writer)
        return ex.fail(writer.error());
    // A copy from another target carries the source's custom metadata.
    const QByteArray custom = ex.request().header(QByteArray(CustomMdHeader).toLower());
    if (!custom.isEmpty()
        && !ex.request().header(QByteArray(Node::IntraHeader).toLower()).isEmpty())
        (*writer)->setCustom(Xattrs::decodeCustom(custom));
    // The writer lives as long as the body reader; if the client leaves mid-body the connection
    // drops the reader and the writer's destructor removes the temporary file.
    auto state = std::make_shared<std::unique_ptr<ObjectWriter>>(std::move(*writer));
    Http::BodyReader reader;
    reader.onData = [state, ex](const char *data, qsizetype size) mutable {
        if (!*state)
            return false;
        if (auto written = (*state)->write(data, size); !written) {
            state->reset();
            ex.fail(written.error());
            return false;
        }
        return true;
    };
    reader.onEnd = [this, state, ex, bucket, object]() mutable {
        if (!*state)
            return;
        std::unique_ptr<ObjectWriter> w = std::move(*state);
        // A result another target sends within a job counts as that job's "in" on this one.
        const QString jobId = ex.request().queryValue("uuid");
        w->commit().then(
            this, [this, ex, bucket, object, jobId](const Result<ObjectInfo> &info) mutable {
                if (!info)
                    return ex.fail(info.error());
                Log::store().debug("stored {} ({} bytes, v{})", Api::objectCname(bucket, object),
                                   info->size, info->version);
                if (!jobId.isEmpty())
                    countIncoming(jobId, info->size);
                ex.respond(200, {}, {}, objectHeaders(*info));
            });
    };
    reader.onAbort = [state]() { state->reset(); };
    ex.readBody(std::move(reader));
}

void TargetNode::onObjectDelete(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    if (auto writable = m_bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    // DELETE carries actions too (AIS: evict, abort a multipart upload): only a plain DELETE
    // removes the object.
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    const QString cname = Api::objectCname(bucket, object);
    if (act->action == Api::Action::MptAbort
        || !ex.request().queryValue(Api::Query::MptUploadId).isEmpty())
        return ex.fail(Api::notImplemented(QStringLiteral("multipart-upload"), cname));
    if (act->action == Api::Action::EvictObjects)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: expecting remote bucket (have %2)")
                                     .arg(act->action, Api::bucketCname(bucket)),
                                 QStringLiteral("ErrNotRemoteBck")));
    if (!act->action.isEmpty() && act->action != Api::Action::DeleteObjects)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("invalid action \"%1\"").arg(act->action)));
    if (auto removed = m_store.remove(bucket, object); !removed) {
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
