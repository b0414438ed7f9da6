#include "service/target/archiveroutes.h"

#include "service/http/exchange.h"
#include "service/target/objectinfo.h"
#include "service/target/objectstore.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"
#include "shared/core/whenready.h"

namespace Kiln::Target {

ArchiveRoutes::ArchiveRoutes(TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
{ }

Result<ArchiveRead> ArchiveRoutes::parse(Http::Exchange &ex)
{
    const Http::Request &req = ex.request();
    auto read = ArchiveSource::parse(
        req.queryValue(Api::Query::Archpath), req.queryValue(Api::Query::Archregx),
        req.queryValue(Api::Query::Archmode), req.queryValue(Api::Query::Archmime));
    if (!read)
        ex.fail(read.error());
    return read;
}

void ArchiveRoutes::get(Http::Exchange ex, const ObjectInfo &info, const ArchiveRead &read)
{
    const QString cname = Api::objectCname(info.bucket, info.name);
    if (!ex.request().header("range").isEmpty() && !read.archpath.isEmpty())
        return ex.fail(makeError(ErrorCode::Unsupported,
                                 QStringLiteral("cannot range-read archived file %1 - operation "
                                                "not supported")
                                     .arg(read.archpath),
                                 QStringLiteral("ErrUnsupp")));
    const QString notFound
        = QStringLiteral("%1: %2 in %3 does not exist")
              .arg(m_ctx.self.tag(), read.archpath.isEmpty() ? read.describe() : read.archpath,
                   cname);
    whenReady(
        ArchiveSource::open(read, info.path, info.name, m_ctx.store.ioPool()), this,
        [ex, notFound](const Result<std::shared_ptr<ArchiveCursor>> &opened) mutable {
            if (!opened) {
                Error e = opened.error();
                if (e.code == ErrorCode::NotFound)
                    e = makeError(ErrorCode::NotFound, notFound, QStringLiteral("ErrNotFound"));
                return ex.fail(e);
            }
            auto src = std::make_unique<ArchiveSource>(*opened);
            const QByteArray type
                = src->isTar() ? QByteArray("application/x-tar") : QByteArray(Api::MimeOctets);
            ex.respondStream(200, std::move(src), type);
        });
}

} // namespace Kiln::Target
