#include "service/proxy/bucketactions.h"

#include "service/http/exchange.h"
#include "service/ec/ecprops.h"
#include "service/mirror/mountpathcheck.h"
#include "service/http/router.h"
#include "service/proxy/jobcontrol.h"
#include "shared/api/actmsg.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/tcbmsg.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QDateTime>

namespace Kiln::Proxy {
namespace {

qint64 nowNs()
{
    return QDateTime::currentMSecsSinceEpoch() * 1000000;
}

// The bck_to query: "ais/@#/<bucket>/" (AIS's newBckFromQuname, required).
Result<QString> destination(Http::Exchange &ex)
{
    const QString uname = ex.request().queryValue(Api::Query::BucketTo);
    if (uname.isEmpty())
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("missing \"%1\" query parameter").arg(Api::Query::BucketTo));
    auto name = Api::bucketFromUname(uname);
    if (!name)
        return name.error();
    if (auto valid = Api::validateBucketName(*name); !valid)
        return valid.error();
    return name;
}

} // namespace

BucketActions::BucketActions(Deps deps, QObject *parent)
    : QObject(parent)
    , m_deps(std::move(deps))
{ }

void BucketActions::registerRoutes(Http::Router &r)
{
    r.add({"PATCH"}, Api::Route::Bucket, [this](Http::Exchange ex) { onPatch(std::move(ex)); });
}

bool BucketActions::post(Http::Exchange &ex, const QString &bucket, const Api::ActMsg &act)
{
    if (act.action == Api::Action::CopyBucket) {
        copyBucket(ex, bucket, act);
        return true;
    }
    if (act.action == Api::Action::CopyListRange) {
        copyObjects(ex, bucket, act);
        return true;
    }
    if (act.action == Api::Action::MoveBucket) {
        moveBucket(ex, bucket);
        return true;
    }
    return false;
}

void BucketActions::copyBucket(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act)
{
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), bucket); !ok)
        return ex.fail(ok.error());
    auto msg
        = Api::TcbMsg::fromJson(act.value.isNull() ? QJsonValue(QJsonObject{}) : act.value, false);
    if (!msg)
        return ex.fail(msg.error());
    msg->etlName.clear(); // a plain copy: any transform fields are ignored, as in AIS
    msg->pipeline.clear();
    if (msg->synchronize && !msg->prepend.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("prepend option (\"%1\") is incompatible with the "
                                                "request to synchronize buckets")
                                     .arg(msg->prepend)));
    auto dst = destination(ex);
    if (!dst)
        return ex.fail(dst.error());
    if (auto writable = m_deps.bmd.checkWritable(*dst); !writable && !msg->dryRun)
        return ex.fail(writable.error());
    if (*dst == bucket && !msg->dryRun)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("cannot %1 bucket \"%2\" onto itself")
                                     .arg(act.action, Api::bucketCname(bucket))));
    Xact::JobSpec spec;
    spec.id = JobControl::newJobId();
    spec.kind = Api::KindCopyBucket;
    spec.srcBucket = bucket;
    spec.dstBucket = *dst;
    spec.msg = *msg;
    startCreating(ex, spec, bucket);
}

void BucketActions::copyObjects(Http::Exchange ex, const QString &bucket, const Api::ActMsg &act)
{
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), bucket); !ok)
        return ex.fail(ok.error());
    auto msg = Api::TcbMsg::fromJson(act.value, true);
    if (!msg)
        return ex.fail(msg.error());
    msg->etlName.clear();
    msg->pipeline.clear();
    const QString dst = msg->toBucket.isEmpty() ? bucket : msg->toBucket;
    if (auto valid = Api::validateBucketName(dst); !valid)
        return ex.fail(valid.error());
    Xact::JobSpec spec;
    spec.id = JobControl::newJobId();
    spec.kind = Api::KindCopyListRange;
    spec.srcBucket = bucket;
    spec.dstBucket = dst;
    spec.msg = *msg;
    startCreating(ex, spec, bucket);
}

// Starts the job, first creating a missing destination with the source's props (AIS: "will be
// created with the ... (source bucket) props"), known to every target before an object arrives.
void BucketActions::startCreating(Http::Exchange ex, const Xact::JobSpec &spec,
                                  const QString &source)
{
    if (spec.msg.dryRun || m_deps.bmd.contains(spec.dstBucket))
        return m_deps.jobs.start(ex, spec);
    auto added = m_deps.bmd.addLike(spec.dstBucket, nowNs(), *m_deps.bmd.bucket(source));
    if (!added)
        return ex.fail(added.error());
    Log::proxy().info("bucket {} created for job {} (props of {})",
                      Api::bucketCname(spec.dstBucket), spec.id, Api::bucketCname(source));
    m_deps.bmdUpdated([this, ex, spec]() mutable { m_deps.jobs.start(ex, spec); });
}

void BucketActions::moveBucket(Http::Exchange ex, const QString &bucket)
{
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), bucket); !ok)
        return ex.fail(ok.error());
    auto dst = destination(ex);
    if (!dst)
        return ex.fail(dst.error());
    if (*dst == bucket)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("cannot rename bucket \"%1\" to itself (\"%1\")")
                                     .arg(Api::bucketCname(bucket))));
    if (auto writable = m_deps.bmd.checkWritable(bucket); !writable)
        return ex.fail(writable.error());
    // The new name takes the old one's props; the old one goes once every object has moved.
    auto added = m_deps.bmd.addLike(*dst, nowNs(), *m_deps.bmd.bucket(bucket));
    if (!added)
        return ex.fail(added.error());
    Xact::JobSpec spec;
    spec.id = JobControl::newJobId();
    spec.kind = Api::KindMoveBucket;
    spec.srcBucket = bucket;
    spec.dstBucket = *dst;
    Log::proxy().info("bucket {} => {}: job {}", Api::bucketCname(bucket), Api::bucketCname(*dst),
                      spec.id);
    const QString from = bucket;
    m_deps.bmd.setRenaming(bucket, *dst);
    auto finish = [this, from, id = spec.id](bool ok) {
        if (!ok) {
            m_deps.bmd.setRenaming(from, {});
            m_deps.bmdUpdated([] {});
            Log::proxy().warn("move {} (job {}) did not finish: {} keeps the objects it still has",
                              Api::bucketCname(from), id, Api::bucketCname(from));
            return;
        }
        m_deps.bmd.remove(from);
        Log::proxy().info("bucket {} moved (job {})", Api::bucketCname(from), id);
        m_deps.bmdUpdated([] {});
    };
    m_deps.bmdUpdated([this, ex, spec, finish]() mutable { m_deps.jobs.start(ex, spec, finish); });
}

void BucketActions::onPatch(Http::Exchange ex)
{
    const QString bucket = ex.param("bucket");
    if (auto ok = m_deps.bmd.check(ex.request().queryValue(Api::Query::Provider), bucket); !ok)
        return ex.fail(ok.error());
    auto act = Api::ActMsg::parse(ex.body());
    if (!act)
        return ex.fail(act.error());
    if (act->action == Api::Action::SetBprops) {
        if (!act->value.isObject())
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     "set-bprops: the value must be an object of properties"));
        return changeProps(ex, bucket, act->action, act->value.toObject());
    }
    if (act->action == Api::Action::ResetBprops)
        return changeProps(ex, bucket, act->action, {});
    ex.fail(makeError(ErrorCode::InvalidArgument,
                      QStringLiteral("invalid action \"%1\"").arg(act->action)));
}

void BucketActions::changeProps(Http::Exchange ex, const QString &bucket, const QString &action,
                                const QJsonObject &toSet)
{
    const Api::BucketProps before = *m_deps.bmd.bucket(bucket);
    Api::BucketProps next = before;
    if (action == Api::Action::ResetBprops)
        next.reset();
    else if (auto ok = next.apply(toSet); !ok)
        return ex.fail(ok.error());
    if (auto ok = Ec::checkTargets(next, m_deps.smap.targets().size()); !ok)
        return ex.fail(ok.error());
    auto commit = [this, ex, bucket, action, toSet, copiesBefore = before.effectiveCopies(),
                   ecBefore = before.ec.enabled](const Result<void> &checked) mutable {
        if (!checked)
            return ex.fail(checked.error());
        if (!m_deps.bmd.bucket(bucket))
            return ex.fail(makeError(ErrorCode::NotFound,
                                     QStringLiteral("bucket %1 does not exist")
                                         .arg(Api::bucketCname(bucket)),
                                     "ErrBckNotFound"));
        auto changed = action == Api::Action::ResetBprops ? m_deps.bmd.resetProps(bucket)
                                                          : m_deps.bmd.setProps(bucket, toSet);
        if (!changed)
            return ex.fail(changed.error());
        propsChanged(ex, bucket, action, copiesBefore, ecBefore);
    };
    const int copies = next.effectiveCopies();
    if (copies > 1 && copies > before.effectiveCopies())
        return Mirror::checkCopies(m_deps.nam, m_deps.smap.targets(), copies, this,
                                   std::move(commit));
    commit(Result<void>{});
}

void BucketActions::propsChanged(Http::Exchange ex, const QString &bucket, const QString &action,
                                 int copiesBefore, bool ecBefore)
{
    Log::proxy().info("bucket {} props: {} (bmd v{})", Api::bucketCname(bucket), action,
                      m_deps.bmd.version());
    const int copies = m_deps.bmd.bucket(bucket)->effectiveCopies();
    // EC just enabled: the objects already stored get their slices (AIS's ec-encode).
    const bool ecEncode = !ecBefore && m_deps.bmd.bucket(bucket)->ec.enabled;
    if (copies == copiesBefore && !ecEncode) {
        // AIS answers the props change with an xaction id; there is no job behind it here.
        return m_deps.bmdUpdated([ex]() mutable { ex.ok(); });
    }
    // The objects already stored gain (or lose) copies: AIS's make-n-copies, answered with its id.
    Xact::JobSpec spec;
    spec.id = JobControl::newJobId();
    spec.kind = ecEncode ? Ec::KindEcEncode : Api::KindMakeNCopies;
    spec.srcBucket = bucket;
    spec.dstBucket = bucket;
    spec.msg.continueOnError = true;
    Log::proxy().info("bucket {}: {} -> {} copies, ec {}, job {} ({})", Api::bucketCname(bucket),
                      copiesBefore, copies, ecEncode, spec.id, spec.kind);
    m_deps.bmdUpdated([this, ex, spec]() mutable { m_deps.jobs.start(ex, spec); });
}

} // namespace Kiln::Proxy
