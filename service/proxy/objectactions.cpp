#include "service/proxy/objectactions.h"

#include "service/http/exchange.h"
#include "service/http/router.h"
#include "service/node/intracall.h"
#include "service/proxy/objectredirect.h"
#include "shared/api/routepath.h"
#include "shared/api/actmsg.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/promoteargs.h"
#include "shared/api/wire.h"
#include "shared/api/writeform.h"
#include "shared/cluster/hrw.h"
#include "shared/api/apierror.h"
#include "shared/core/logging.h"

#include <QJsonDocument>
#include <QUrl>

namespace Kiln::Proxy {

ObjectActions::ObjectActions(Deps deps, QObject *parent)
    : QObject(parent)
    , m_deps(std::move(deps))
{ }

void ObjectActions::registerRoutes(Http::Router &r)
{
    r.add({"POST"}, Api::Route::Object,
          [this](Http::Exchange ex) { onPost(std::move(ex)); });
    r.add({"PATCH"}, Api::Route::Object,
          [this](Http::Exchange ex) { onPatch(std::move(ex)); });
    r.add({"POST"}, Api::Route::ObjectsOfBucket,
          [this](Http::Exchange ex) { onPromote(std::move(ex)); });
}

Error ObjectActions::errorOf(const Node::IntraReply &reply)
{
    if (reply.status == 0)
        return makeError(
            ErrorCode::Unavailable,
            QStringLiteral("target %1 did not answer: %2").arg(reply.node.id, reply.error));
    const QJsonObject json = QJsonDocument::fromJson(reply.body).object();
    const QString message = json.value("message").toString();
    return makeError(Api::codeForStatus(reply.status),
                     message.isEmpty() ? QString::fromUtf8(reply.body.left(500)) : message,
                     json.value("tcode").toString());
}

void ObjectActions::redirect(Http::Exchange &ex, const Cluster::Snode &target, int status) const
{
    redirectToTarget(ex, target, m_deps.self.id, status);
}

bool ObjectActions::checkObject(Http::Exchange &ex, QString *bucket, QString *object)
{
    *bucket = ex.param("bucket");
    *object = ex.param("object");
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), *bucket); !ok) {
        ex.fail(ok.error());
        return false;
    }
    if (auto writable = m_deps.bmd.checkWritable(*bucket); !writable) {
        ex.fail(writable.error());
        return false;
    }
    if (auto valid = Api::validateObjectName(*object); !valid) {
        ex.fail(valid.error());
        return false;
    }
    return true;
}

const Cluster::Snode *ObjectActions::owner(Http::Exchange &ex, const QString &bucket,
                                           const QString &object)
{
    const Cluster::Snode *target
        = Cluster::hrwTarget(m_deps.smap, Cluster::objectUname(bucket, object));
    if (!target)
        ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    return target;
}

void ObjectActions::put(Http::Exchange ex, const QString &bucket, const QString &object)
{
    // The target judges the form (AIS's proxy only reads an append handle to route by it).
    auto req = Api::classifyPut(ex.request().query);
    if (!req)
        req = Api::PutRequest{};
    // A copy through an ETL names one that exists (AIS's etlExists, 400).
    const QString etlName = ex.request().queryValue(Api::Query::EtlName);
    if (!etlName.isEmpty() && !m_deps.etlExists(etlName))
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("ETL %1 doesn't exist").arg(etlName)));
    const bool followUp = (req->form == Api::PutForm::Append || req->form == Api::PutForm::Flush)
        && !req->appendHandle.isEmpty();
    if (!followUp) {
        if (const Cluster::Snode *target = owner(ex, bucket, object))
            redirect(ex, *target, 307);
        return;
    }
    // Appends after the first, and the flush, go where the first one went.
    const QStringList items = req->appendHandle.split('|');
    if (items.size() != 4)
        return ex.fail(
            makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("invalid APPEND handle: \"%1\"").arg(req->appendHandle)));
    const Cluster::Snode *target = m_deps.smap.target(items[0]);
    if (!target)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: APPEND failure: node %2 not present in "
                                                "Smap v%3")
                                     .arg(m_deps.self.tag(), items[0])
                                     .arg(m_deps.smap.version())));
    redirect(ex, *target, 307);
}

void ObjectActions::onPost(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    const QString &action = act->action;
    if (action == Api::Action::RenameObject) {
        if (auto valid = Api::validateObjectName(act->name); !valid)
            return ex.fail(valid.error());
        if (act->name == object)
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     QStringLiteral("cannot rename %1 to self, nothing to do")
                                         .arg(Api::objectCname(bucket, object))));
    } else if (action == Api::Action::BlobDownload) {
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: expecting remote bucket (have %2)")
                                     .arg(action, Api::bucketCname(bucket)),
                                 QStringLiteral("ErrNotRemoteBck")));
    } else if (action != Api::Action::CheckLock && action != Api::Action::MptUpload
               && action != Api::Action::MptComplete && action != Api::Action::MptAbort) {
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("invalid action \"%1\"").arg(action)));
    }
    if (const Cluster::Snode *target = owner(ex, bucket, object))
        redirect(ex, *target, 307);
}

void ObjectActions::onPatch(Http::Exchange ex)
{
    QString bucket, object;
    if (!checkObject(ex, &bucket, &object))
        return;
    if (const Cluster::Snode *target = owner(ex, bucket, object))
        redirect(ex, *target, 307);
}

void ObjectActions::onPromote(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), bucket); !ok)
        return ex.fail(ok.error());
    if (auto writable = m_deps.bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    if (act->action != Api::Action::Promote)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("invalid action \"%1\"").arg(act->action)));
    auto args = Api::PromoteArgs::fromJson(act->value);
    if (!args)
        return ex.fail(args.error());
    if (auto valid = args->validate(act->name, m_deps.promoteRoot); !valid)
        return ex.fail(valid.error());
    QList<Cluster::Snode> targets = m_deps.smap.targets();
    if (!args->targetId.isEmpty()) {
        const Cluster::Snode *one = m_deps.smap.target(args->targetId);
        if (!one)
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     QStringLiteral("%1: promote failure: node %2 not present in "
                                                    "Smap v%3")
                                         .arg(m_deps.self.tag(), args->targetId)
                                         .arg(m_deps.smap.version())));
        targets = {*one};
    }
    if (targets.isEmpty())
        return ex.fail(makeError(ErrorCode::Unavailable, "no targets in the cluster"));
    const Api::ActMsg forward{Api::Action::Promote, args->source, args->toJson()};
    const QByteArray body = forward.toJson();
    const bool notShare = args->notFileShare;
    const Node::IntraRequest begin{"POST",
                                   Api::routePath(Api::Route::TxnPromoteBegin,
                                                  {QString::fromUtf8(QUrl::toPercentEncoding(bucket))}),
                                   body,
                                   {{"Content-Type", Api::MimeJson}},
                                   60000};
    Node::callNodes(m_deps.nam, targets, begin, this,
                    [this, ex, bucket, body, targets,
                     notShare](const QList<Node::IntraReply> &replies) mutable {
                        QSet<QString> answers;
                        for (const Node::IntraReply &r : replies) {
                            if (!r.ok())
                                return ex.fail(errorOf(r));
                            answers.insert(QString::fromUtf8(r.body));
                        }
                        // Every target seeing the same names is a file share: each promotes its own
                        // part.
                        const bool fileShare
                            = targets.size() > 1 && answers.size() == 1 && !notShare;
                        commitPromote(ex, bucket, body, targets, fileShare);
                    });
}

void ObjectActions::commitPromote(Http::Exchange ex, const QString &bucket, const QByteArray &body,
                                  const QList<Cluster::Snode> &targets, bool fileShare)
{
    const Node::IntraRequest commit{"POST",
                                    Api::routePath(Api::Route::TxnPromoteCommit,
                                                   {QString::fromUtf8(QUrl::toPercentEncoding(bucket))})
                                        + QStringLiteral("?%1=%2").arg(Api::Query::ConfirmFshare,
                                             fileShare ? "true" : "false"),
                                    body,
                                    {{"Content-Type", Api::MimeJson}},
                                    3600000};
    Node::callNodes(m_deps.nam, targets, commit, this,
                    [ex, bucket](const QList<Node::IntraReply> &replies) mutable {
                        qint64 promoted = 0;
                        for (const Node::IntraReply &r : replies) {
                            if (!r.ok())
                                return ex.fail(errorOf(r));
                            if (auto json = Api::parseObject(r.body, "promote"))
                                promoted += json->value("promoted").toInteger();
                        }
                        Log::proxy().info("promote into {}: {} objects", Api::bucketCname(bucket),
                                          promoted);
                        ex.ok();
                    });
}

} // namespace Kiln::Proxy
