#include "service/ec/sliceroutes.h"

#include "service/http/bodysource.h"
#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/target/checksummer.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtConcurrent>

#include <cerrno>
#include <cstring>
#include <memory>

namespace Kiln::Ec {
namespace {

// One slice arriving: its temporary file and running checksum.
struct Incoming
{
    QFile file;
    std::optional<Target::Checksummer> sum;
};

} // namespace

SliceRoutes::SliceRoutes(Target::TargetContext ctx, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_area(ctx.store)
{ }

void SliceRoutes::registerRoutes(Http::Router &r)
{
    r.add({"PUT"}, SliceRoute, Http::bindHandler(this, &SliceRoutes::onPut),
          Http::RouteOptions{.streamBody = true});
    r.add({"GET"}, SliceRoute, Http::bindHandler(this, &SliceRoutes::onGet));
    r.add({"DELETE"}, SliceRoute, Http::bindHandler(this, &SliceRoutes::onDelete));
}

bool SliceRoutes::check(Http::Exchange &ex, QString *bucket, QString *object)
{
    *bucket = ex.param("bucket");
    *object = ex.param("object");
    if (ex.request().header(QByteArray(Node::IntraHeader).toLower()).isEmpty()) {
        ex.fail(makeError(ErrorCode::InvalidArgument,
                          QStringLiteral("ec slices are for targets only")));
        return false;
    }
    if (bucket->isEmpty() || object->isEmpty() || object->contains(QLatin1String(".."))
        || !m_ctx.bmd.bucket(*bucket)) {
        ex.fail(makeError(ErrorCode::NotFound,
                          QStringLiteral("ec: no bucket %1 or bad name %2")
                              .arg(Api::bucketCname(*bucket), *object)));
        return false;
    }
    return true;
}

void SliceRoutes::onPut(Http::Exchange ex)
{
    QString bucket, object;
    if (!check(ex, &bucket, &object))
        return;
    const auto meta = SliceMeta::fromJson(ex.request().header(QByteArray(MetaHeader).toLower()));
    if (!meta)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("ec: missing or bad %1").arg(MetaHeader)));
    auto in = std::make_shared<Incoming>();
    in->file.setFileName(m_area.tempPath(bucket, object));
    auto sum = Target::Checksummer::make(QString::fromLatin1(SliceCksumType));
    in->sum.emplace(std::move(*sum));
    if (!in->file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return ex.fail(makeError(ErrorCode::Internal,
                                 QStringLiteral("ec: cannot create %1: %2")
                                     .arg(in->file.fileName(), in->file.errorString())));
    Http::BodyReader reader;
    reader.onData = [in, ex](const char *data, qsizetype size) mutable {
        if (in->file.write(data, size) != size) {
            ex.fail(
                makeError(ErrorCode::Internal,
                          QStringLiteral("ec: writing a slice: %1").arg(in->file.errorString())));
            in->file.remove();
            return false;
        }
        in->sum->update(data, size);
        return true;
    };
    reader.onEnd = [this, in, ex, bucket, object, meta = *meta]() mutable {
        in->file.close();
        if (in->sum->digest() != meta.sliceCksum) {
            in->file.remove();
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     QStringLiteral("ec: slice of %1 damaged in transit")
                                         .arg(Api::objectCname(bucket, object))));
        }
        const QString temp = in->file.fileName();
        QList<int> keep{meta.index};
        for (const QString &i : ex.request().queryValue("keep").split(',', Qt::SkipEmptyParts))
            keep.append(i.toInt());
        SliceArea *area = &m_area;
        whenReady(
            QtConcurrent::run(m_ctx.store.ioPool(),
                              [area, temp, bucket, object, meta, keep]() -> Result<void> {
                                  if (auto ok = area->install(temp, bucket, object, meta); !ok)
                                      return ok;
                                  area->remove(bucket, object, keep);
                                  return {};
                              }),
            this, [this, ex, bucket](const Result<void> &installed) mutable {
                if (!installed)
                    return ex.fail(installed.error());
                // Destroyed while the slice was on its way: it goes with the bucket's others
                // (metadata changes on this thread, so one of the two drops it).
                if (!m_ctx.bmd.bucket(bucket)) {
                    m_area.dropBucketsExcept(m_ctx.bmd.buckets().keys());
                    return ex.fail(makeError(ErrorCode::NotFound,
                                             QStringLiteral("ec: bucket %1 was destroyed")
                                                 .arg(Api::bucketCname(bucket))));
                }
                ex.ok();
            });
    };
    reader.onAbort = [in] { in->file.remove(); };
    ex.readBody(std::move(reader));
}

void SliceRoutes::onGet(Http::Exchange ex)
{
    QString bucket, object;
    if (!check(ex, &bucket, &object))
        return;
    SliceArea *area = &m_area;
    const QString idx = ex.request().queryValue("idx");
    if (idx.isEmpty()) {
        whenReady(
            QtConcurrent::run(m_ctx.store.ioPool(),
                              [area, bucket, object] { return area->held(bucket, object); }),
            this, [ex](const QList<int> &held) mutable {
                QJsonArray list;
                for (int i : held)
                    list.append(i);
                ex.json(QJsonDocument(QJsonObject{{"held", list}}).toJson(QJsonDocument::Compact));
            });
        return;
    }
    const int index = idx.toInt();
    whenReady(QtConcurrent::run(
                  m_ctx.store.ioPool(),
                  [area, bucket, object, index] { return area->verified(bucket, object, index); }),
              this, [this, ex, bucket, object, index](const Result<SliceMeta> &meta) mutable {
                  if (!meta) {
                      if (meta.error().code != ErrorCode::NotFound)
                          Log::target().warn("{}", meta.error().message);
                      return ex.fail(meta.error());
                  }
                  const QString path = m_area.path(bucket, object, index);
                  OwnedFd fd = OwnedFd::openReadOnly(path);
                  const qint64 size = fd.size();
                  if (size < 0)
                      return ex.fail(
                          makeError(ErrorCode::NotFound,
                                    QStringLiteral("%1: %2").arg(
                                        path, QString::fromLocal8Bit(std::strerror(errno)))));
                  auto source = std::make_unique<Http::FileBodySource>(std::move(fd), 0, size);
                  ex.respondStream(200, std::move(source), Api::MimeOctets,
                                   {{MetaHeader, meta->toJson()}});
              });
}

void SliceRoutes::onDelete(Http::Exchange ex)
{
    QString bucket, object;
    if (!check(ex, &bucket, &object))
        return;
    SliceArea *area = &m_area;
    whenReady(QtConcurrent::run(m_ctx.store.ioPool(),
                                [area, bucket, object] { return area->remove(bucket, object); }),
              this, [ex](bool removed) mutable { ex.respond(removed ? 200 : 204); });
}

} // namespace Kiln::Ec
