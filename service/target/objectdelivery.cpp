#include "service/target/objectdelivery.h"

#include "service/auth/clustersecret.h"
#include "service/http/bodydrain.h"
#include "service/http/bodysource.h"
#include "service/node/intracall.h"
#include "service/target/arrivalcheck.h"
#include "service/target/checksummer.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "service/target/xattrs.h"
#include "shared/api/apierror.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QFile>
#include <QFutureWatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QUrl>
#include <QtConcurrent>

#include <cerrno>
#include <unistd.h>

namespace Kiln::Target {
namespace {

constexpr int PutTimeoutMs = 300000;

// The owner's AIS error body says what went wrong; pass its message on.
Error remoteError(const QString &owner, int status, const QByteArray &body, const QString &net)
{
    if (status == 0)
        return makeError(ErrorCode::Unavailable,
                         QStringLiteral("target %1 did not answer: %2").arg(owner, net));
    const QJsonObject json = QJsonDocument::fromJson(body).object();
    const QString message = json.value("message").toString();
    return makeError(Api::codeForStatus(status),
                     message.isEmpty() ? QStringLiteral("target %1 answered %2: %3")
                                             .arg(owner)
                                             .arg(status)
                                             .arg(QString::fromUtf8(body.left(300)))
                                       : message,
                     json.value("tcode").toString());
}

// The digest of the open file fd (a dup, closed here), of the given type: the very inode the PUT
// sends, even if the path has been replaced meanwhile. Blocking: for the I/O pool.
Result<QString> digestOf(int fd, const QString &type)
{
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    auto sum = Checksummer::make(type);
    if (!sum)
        return sum.error();
    QByteArray buf(1 << 20, Qt::Uninitialized);
    for (off_t at = 0;;) {
        const ssize_t n = ::pread(fd, buf.data(), size_t(buf.size()), at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return makeError(ErrorCode::Internal,
                             QStringLiteral("cannot read a delivery: %1").arg(qt_error_string()));
        if (n == 0)
            break;
        sum->update(buf.constData(), qsizetype(n));
        at += n;
    }
    return sum->digest();
}

} // namespace

ObjectDelivery::ObjectDelivery(Deps deps, QObject *parent)
    : QObject(parent)
    , m_deps(deps)
{ }

const Cluster::Snode *ObjectDelivery::ownerOf(const Api::ObjectRef &dst) const
{
    return Cluster::hrwTarget(*m_deps.smap, Cluster::objectUname(dst.bucket, dst.object));
}

bool ObjectDelivery::isLocal(const Api::ObjectRef &dst) const
{
    const Cluster::Snode *owner = ownerOf(dst);
    return !owner || owner->id == m_deps.self->id;
}

void ObjectDelivery::deliverFile(const QString &path, const Api::ObjectRef &dst,
                                 const CustomMd &custom, const QString &jobId, QObject *context,
                                 Done done)
{
    if (!isLocal(dst)) {
        auto file = std::make_shared<QFile>(path);
        if (!file->open(QIODevice::ReadOnly))
            return done(
                makeError(ErrorCode::NotFound,
                          QStringLiteral("cannot open %1: %2").arg(path, file->errorString())));
        return putRemote(file, dst, custom, jobId, false, context, std::move(done));
    }
    auto writer = m_deps.store->beginWrite(dst.bucket, dst.object);
    if (!writer)
        return done(writer.error());
    (*writer)->setCustom(custom);
    std::shared_ptr<ObjectWriter> w(std::move(*writer));
    whenReady(m_deps.store->writeFromFile(path, w), context,
              [done](const Result<ObjectInfo> &info) {
                  if (!info)
                      return done(info.error());
                  done(Delivery{info->size, true});
              });
}

void ObjectDelivery::deliverBody(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                                 const QString &jobId, QObject *context, Done done,
                                 KeepGoing keepGoing)
{
    if (!keepGoing)
        keepGoing = [] { return true; };
    if (isLocal(dst))
        return writeLocal(std::move(body), dst, context, std::move(done), std::move(keepGoing));
    spoolRemote(std::move(body), dst, jobId, context, std::move(done), std::move(keepGoing));
}

void ObjectDelivery::writeLocal(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                                QObject *context, Done done, KeepGoing keepGoing)
{
    auto writer = m_deps.store->beginWrite(dst.bucket, dst.object);
    if (!writer)
        return done(writer.error());
    std::shared_ptr<ObjectWriter> w(std::move(*writer));
    QPointer<QObject> ctx(context);
    new Http::BodyDrain(
        std::move(body),
        [w, keepGoing](const QByteArray &chunk) {
            return keepGoing() && bool(w->write(chunk.constData(), chunk.size()));
        },
        [ctx, w, done, keepGoing](bool ok, const QString &error) {
            if (!ctx)
                return; // the writer's destructor removes its temporary file
            if (!ok || !keepGoing())
                return done(makeError(ErrorCode::Internal, ok ? QStringLiteral("stopped") : error));
            whenReady(w->commit(), ctx.data(), [done](const Result<ObjectInfo> &info) {
                if (!info)
                    return done(info.error());
                done(Delivery{info->size, true});
            });
        },
        this);
}

void ObjectDelivery::spoolRemote(std::unique_ptr<Http::BodySource> body, const Api::ObjectRef &dst,
                                 const QString &jobId, QObject *context, Done done,
                                 KeepGoing keepGoing)
{
    const QString spool = m_deps.store->mountpaths().first() + QStringLiteral("/tmp/xfer.")
        + QString::number(QRandomGenerator::global()->generate64(), 36);
    auto file = std::make_shared<QFile>(spool);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
        return done(makeError(ErrorCode::Internal, QStringLiteral("cannot create %1").arg(spool)));
    QPointer<QObject> ctx(context);
    new Http::BodyDrain(
        std::move(body),
        [file, keepGoing](const QByteArray &chunk) {
            return keepGoing() && file->write(chunk) == chunk.size();
        },
        [this, ctx, file, dst, jobId, done, keepGoing](bool ok, const QString &error) {
            file->close();
            if (!ctx || !ok || !keepGoing()) {
                file->remove();
                if (ctx)
                    done(makeError(ErrorCode::Internal, ok ? QStringLiteral("stopped") : error));
                return;
            }
            if (!file->open(QIODevice::ReadOnly)) {
                file->remove();
                return done(makeError(ErrorCode::Internal,
                                      QStringLiteral("cannot read back %1").arg(file->fileName())));
            }
            putRemote(file, dst, {}, jobId, true, ctx.data(), done);
        },
        this);
}

void ObjectDelivery::putRemote(std::shared_ptr<QFile> file, const Api::ObjectRef &dst,
                               const CustomMd &custom, const QString &jobId, bool removeAfter,
                               QObject *context, Done done)
{
    // The owner commits the object only if exactly these bytes arrive: their size and digest go
    // with them (ArrivalCheck). The digest is taken on the I/O pool, through a handle of its own.
    QString type = m_deps.store->writeSettings(dst.bucket).checksumType;
    if (type.isEmpty() || type == QLatin1String(Api::Checksum::None))
        type = QLatin1String(Api::ChecksumXxhash2);
    QPointer<QObject> ctx(context);
    const int fd = ::dup(file->handle());
    if (fd < 0) {
        file->close();
        if (removeAfter)
            file->remove();
        return done(makeError(ErrorCode::Internal, QStringLiteral("cannot dup a delivery's file")));
    }
    // A watcher of its own rather than whenReady: a digest that was never taken must still
    // close and remove the file, and so must a context gone meanwhile.
    auto *watcher = new QFutureWatcher<Result<QString>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this,
            [this, watcher, file, dst, custom, jobId, removeAfter, ctx, done, type] {
            watcher->deleteLater();
            const QFuture<Result<QString>> future = watcher->future();
            const Result<QString> digest = future.resultCount() > 0
                ? future.result()
                : Result<QString>(makeError(ErrorCode::Internal,
                                            QStringLiteral("a delivery's digest was not taken")));
            const bool cancelled = ctx && m_cancelled.contains(ctx.data());
            if (!ctx || !digest || cancelled) {
                file->close();
                if (removeAfter)
                    file->remove();
                if (ctx)
                    done(cancelled ? makeError(ErrorCode::Internal, QStringLiteral("cancelled"))
                                   : digest.error());
                return;
            }
            sendPut(file, dst, custom, jobId, removeAfter, {type, *digest}, ctx.data(), done);
        });
    watcher->setFuture(
        QtConcurrent::run(m_deps.store->ioPool(), [fd, type] { return digestOf(fd, type); }));
}

void ObjectDelivery::sendPut(std::shared_ptr<QFile> file, const Api::ObjectRef &dst,
                             const CustomMd &custom, const QString &jobId, bool removeAfter,
                             const QPair<QString, QString> &checksum, QObject *context, Done done)
{
    const Cluster::Snode *found = ownerOf(dst);
    if (!found) {
        file->close();
        if (removeAfter)
            file->remove();
        return done(makeError(ErrorCode::Unavailable, QStringLiteral("no target owns the object")));
    }
    const Cluster::Snode owner = *found;
    QUrl url(owner.url()
             + Api::routePath(Api::Route::Object,
                              {QString::fromLatin1(QUrl::toPercentEncoding(dst.bucket)),
                               QString::fromLatin1(QUrl::toPercentEncoding(dst.object, "/"))}));
    url.setQuery(QStringLiteral("provider=ais")
                 + (jobId.isEmpty() ? QString() : QStringLiteral("&uuid=") + jobId));
    const qint64 size = file->size();
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentLengthHeader, size);
    request.setHeader(QNetworkRequest::ContentTypeHeader, Api::MimeOctets);
    request.setRawHeader(Node::IntraHeader, "1");
    request.setRawHeader(ObjectSizeHeader, QByteArray::number(size));
    request.setRawHeader(Api::Header::ChecksumType, checksum.first.toLatin1());
    request.setRawHeader(Api::Header::ChecksumValue, checksum.second.toLatin1());
    if (Auth::ClusterSecret::isSet())
        request.setRawHeader("Authorization", Auth::ClusterSecret::intraAuthorization());
    if (!custom.isEmpty())
        request.setRawHeader(CustomMdHeader, Xattrs::encodeCustom(custom));
    request.setTransferTimeout(PutTimeoutMs);
    QNetworkReply *reply = m_deps.nam->put(request, file.get());
    Node::limitConnectTime(reply); // an owner cut off: fail now, not after PutTimeoutMs
    m_puts.insert(context, reply);
    QPointer<QObject> ctx(context);
    connect(reply, &QNetworkReply::finished, this,
            [this, key = context, reply, file, removeAfter, size, owner, ctx, done] {
                m_puts.remove(key, reply);
                reply->deleteLater();
                file->close();
                if (removeAfter)
                    file->remove();
                if (!ctx)
                    return;
                const int status
                    = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (status != 200)
                    return done(remoteError(
                        owner.id, status, reply->isOpen() ? reply->readAll() : QByteArray(),
                        Node::connectTimedOut(reply) ? QStringLiteral("no connection within %1 ms")
                                                           .arg(Node::DefaultConnectTimeoutMs)
                                                     : reply->errorString()));
                done(Delivery{size, false});
            });
}

void ObjectDelivery::cancel(QObject *context)
{
    // A delivery still hashing its file when this comes does not start its PUT.
    if (!m_cancelled.contains(context)) {
        m_cancelled.insert(context);
        connect(context, &QObject::destroyed, this, [this](QObject *gone) {
            m_cancelled.remove(gone);
        });
    }
    // Each abort finishes its reply at once, which takes it out of m_puts: work on a copy. The
    // owner refuses the broken-off body (ArrivalCheck): nothing partial is committed there.
    const QList<QNetworkReply *> replies = m_puts.values(context);
    for (QNetworkReply *reply : replies) {
        if (m_puts.contains(context, reply))
            reply->abort();
    }
}

} // namespace Kiln::Target
