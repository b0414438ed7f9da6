#include "service/target/promoteroutes.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectstore.h"
#include "shared/api/actmsg.h"
#include "shared/api/json.h"
#include "shared/api/objectwire.h"
#include "shared/api/routepath.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <xxhash.h>

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QUrl>
#include <QtConcurrent>

namespace Kiln::Target {

struct PromoteRun
{
    Api::PromoteArgs args;
    QString bucket;
    PromoteRoutes::Scan scan;
    bool fileShare = false;
    int next = 0;
    int promoted = 0;
};

PromoteRoutes::PromoteRoutes(TargetContext ctx, QString promoteRoot, QObject *parent)
    : QObject(parent)
    , m_ctx(ctx)
    , m_root(QDir::cleanPath(promoteRoot))
{ }

void PromoteRoutes::registerRoutes(Http::Router &r)
{
    r.add({"POST"}, Api::Route::TxnPromoteBegin,
          [this](Http::Exchange ex) { onBegin(std::move(ex)); });
    r.add({"POST"}, Api::Route::TxnPromoteCommit,
          [this](Http::Exchange ex) { onCommit(std::move(ex)); });
}

Result<Api::PromoteArgs> PromoteRoutes::parseRequest(Http::Exchange &ex, QString *bucket)
{
    *bucket = ex.param("bucket");
    auto fail = [&ex](const Error &e) {
        ex.fail(e);
        return Result<Api::PromoteArgs>(e);
    };
    if (auto ok = m_ctx.bmd.check({}, *bucket); !ok)
        return fail(ok.error());
    if (auto ok = m_ctx.bmd.checkWritable(*bucket); !ok)
        return fail(ok.error());
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return fail(act.error());
    auto args = Api::PromoteArgs::fromJson(act->value);
    if (!args)
        return fail(args.error());
    if (auto valid = args->validate(act->name, m_root); !valid)
        return fail(valid.error());
    return args;
}

Result<PromoteRoutes::Scan> PromoteRoutes::scan(const Api::PromoteArgs &args, const QString &root,
                                                const QString &tag)
{
    const QFileInfo source(args.source);
    if (!QFileInfo(root).isDir())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1: promote root \"%2\" does not exist").arg(tag, root));
    // A symbolic link on the way could lead out of the root.
    const QString canonical = source.canonicalFilePath();
    const QString canonicalRoot = QFileInfo(root).canonicalFilePath();
    if (!source.exists() || source.isSymLink())
        return makeError(
            ErrorCode::NotFound,
            QStringLiteral("%1: stat %2: no such file or directory").arg(tag, args.source));
    if (canonical != canonicalRoot && !canonical.startsWith(canonicalRoot + '/'))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid promote source \"%1\": must be under %2")
                             .arg(args.source, root));
    Scan scan;
    if (!source.isDir()) {
        scan.files.append(args.source);
        return scan;
    }
    scan.folder = args.source;
    QDirIterator it(args.source, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                    args.recursive ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
    while (it.hasNext())
        scan.files.append(it.next());
    scan.files.sort();
    if (scan.files.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1: directory \"%2\" is empty").arg(tag, args.source));
    XXH64_state_t *state = XXH64_createState();
    XXH64_reset(state, 0);
    for (const QString &f : std::as_const(scan.files)) {
        const QByteArray name = f.toUtf8();
        XXH64_update(state, name.constData(), size_t(name.size()));
    }
    scan.digest = QString::number(XXH64_digest(state), 16);
    XXH64_freeState(state);
    return scan;
}

void PromoteRoutes::onBegin(Http::Exchange ex)
{
    QString bucket;
    auto args = parseRequest(ex, &bucket);
    if (!args)
        return;
    whenReady(
        QtConcurrent::run(m_ctx.store.ioPool(), &PromoteRoutes::scan, *args, m_root,
                          m_ctx.self.tag()),
        this, [ex](const Result<Scan> &scan) mutable {
            if (!scan)
                return ex.fail(scan.error());
            ex.json(
                Api::compact(QJsonObject{{"num", scan->files.size()}, {"digest", scan->digest}}));
        });
}

void PromoteRoutes::onCommit(Http::Exchange ex)
{
    QString bucket;
    auto args = parseRequest(ex, &bucket);
    if (!args)
        return;
    auto run = std::make_shared<PromoteRun>();
    run->args = *args;
    run->bucket = bucket;
    run->fileShare = ex.request().queryFlag(Api::Query::ConfirmFshare);
    whenReady(QtConcurrent::run(m_ctx.store.ioPool(), &PromoteRoutes::scan, *args, m_root,
                                m_ctx.self.tag()),
              this, [this, ex, run](const Result<Scan> &scan) mutable {
                  // On a file share every target saw the source at begin; gone now, it was the
                  // owner's, who promoted it first and deleted it (delete-source): none of ours.
                  if (!scan && run->fileShare && scan.error().code == ErrorCode::NotFound)
                      return ex.json(Api::compact(QJsonObject{{"promoted", 0}}));
                  if (!scan)
                      return ex.fail(scan.error());
                  run->scan = *scan;
                  promoteNext(ex, run);
              });
}

// One file at a time: a folder of many files costs time, not memory or connections.
void PromoteRoutes::promoteNext(Http::Exchange ex, std::shared_ptr<PromoteRun> run)
{
    while (run->next < run->scan.files.size()) {
        const QString file = run->scan.files.at(run->next++);
        const Api::ObjectRef dst{
            run->bucket, Api::promotedObjectName(file, run->scan.folder, run->args.objectName)};
        if (auto valid = Api::validateObjectName(dst.object); !valid)
            return ex.fail(valid.error());
        // On a file share every target sees every file: each takes the ones it owns.
        if (run->fileShare && !m_ctx.delivery.isLocal(dst))
            continue;
        const bool local = m_ctx.delivery.isLocal(dst);
        if (!run->args.overwrite && local && m_ctx.store.stat(dst.bucket, dst.object))
            continue; // kept, as AIS keeps an existing object without "overwrite"
        if (!run->args.overwrite && !local) {
            // The owner is asked first (AIS HEADs it too).
            const Node::IntraRequest head{
                "HEAD",
                Api::routePath(Api::Route::Object,
                               {QString::fromUtf8(QUrl::toPercentEncoding(dst.bucket)),
                                QString::fromUtf8(QUrl::toPercentEncoding(dst.object, "/"))})
                    + QStringLiteral("?provider=ais"),
                {},
                {},
                30000};
            Node::callNode(m_ctx.nam, *m_ctx.delivery.ownerOf(dst), head, this,
                           [this, ex, run, file, dst](const Node::IntraReply &reply) mutable {
                               if (reply.ok())
                                   return promoteNext(ex, run);
                               promoteOne(ex, run, file, dst);
                           });
            return;
        }
        return promoteOne(ex, run, file, dst);
    }
    Log::store().info("promote {} => {}: {} objects", run->args.source,
                      Api::bucketCname(run->bucket), run->promoted);
    ex.json(Api::compact(QJsonObject{{"promoted", run->promoted}}));
}

void PromoteRoutes::promoteOne(Http::Exchange ex, std::shared_ptr<PromoteRun> run,
                               const QString &file, const Api::ObjectRef &dst)
{
    {
        m_ctx.delivery.deliverFile(
            file, dst, {}, {}, this,
            [this, ex, run, file, dst](const Result<Delivery> &done) mutable {
                if (!done)
                    return ex.fail(done.error());
                ++run->promoted;
                Log::store().debug("promoted {} => {}", file,
                                   Api::objectCname(dst.bucket, dst.object));
                if (run->args.deleteSource && !QFile::remove(file))
                    Log::store().warn("promoted {} but could not remove it", file);
                promoteNext(ex, run);
            });
    }
}

} // namespace Kiln::Target
