#include "service/xact/offlinejob.h"

#include "service/ec/ecprops.h"
#include "service/etl/communicator.h"
#include "service/http/bodydrain.h"
#include "service/http/bodysource.h"
#include "service/http/errors.h"
#include "service/metrics/jobmetrics.h"
#include "service/metrics/registry.h"
#include "service/mirror/replicas.h"
#include "service/target/objectdelivery.h"
#include "service/target/objectstore.h"
#include "service/xact/syncpruner.h"
#include "shared/api/jobwire.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QFile>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QThread>
#include <QUrl>
#include <QtConcurrent>

namespace Kiln::Xact {
namespace {

constexpr int MaxErrors = 128;

QJsonObject bucketJson(const QString &name)
{
    return QJsonObject{{"name", name},
                       {"provider", "ais"},
                       {"namespace", QJsonObject{{"uuid", ""}, {"name", ""}}}};
}

QString rfc3339(const QDateTime &t)
{
    // Go's zero time while running.
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs)
                       : QStringLiteral("0001-01-01T00:00:00Z");
}

} // namespace

QJsonObject JobSpec::toJson() const
{
    return QJsonObject{
        {"id", id}, {"kind", kind}, {"src", srcBucket}, {"dst", dstBucket}, {"msg", msg.toJson()}};
}

bool JobSpec::isTransform() const
{
    return kind == QLatin1String(Api::KindEtlBucket)
        || kind == QLatin1String(Api::KindEtlListRange);
}

bool JobSpec::isListRange() const
{
    return kind == QLatin1String(Api::KindEtlListRange)
        || kind == QLatin1String(Api::KindCopyListRange);
}

Result<JobSpec> JobSpec::fromJson(const QJsonObject &json)
{
    JobSpec spec;
    spec.id = json.value("id").toString();
    spec.kind = json.value("kind").toString();
    spec.srcBucket = json.value("src").toString();
    spec.dstBucket = json.value("dst").toString();
    auto msg = Api::TcbMsg::fromJson(json.value("msg"), spec.isListRange());
    if (!msg)
        return msg.error();
    spec.msg = *msg;
    if (spec.id.isEmpty() || spec.srcBucket.isEmpty() || spec.dstBucket.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "job spec: id, src and dst are required");
    return spec;
}

OfflineJob::OfflineJob(JobSpec spec, Deps deps, QObject *parent)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_deps(std::move(deps))
{
    m_workers = m_spec.msg.effectiveWorkers(std::clamp(QThread::idealThreadCount() * 4, 4, 16));
}

OfflineJob::~OfflineJob() = default;

void OfflineJob::start()
{
    m_start = QDateTime::currentDateTimeUtc();
    if (Metrics::enabled())
        Metrics::JobMetrics::global().started(m_spec.kind);
    Log::etl().info("job {} ({}) {} -> {} via {}{}", m_spec.id, m_spec.kind,
                    Api::bucketCname(m_spec.srcBucket), Api::bucketCname(m_spec.dstBucket),
                    m_spec.msg.etlName, m_spec.msg.dryRun ? " (dry run)" : "");
    if (m_spec.isListRange()
        && (!m_spec.msg.objNames.isEmpty() || !m_spec.msg.objTemplate.isEmpty())) {
        // The names this target owns (HRW over the current map) and holds.
        QStringList names = m_spec.msg.objNames;
        if (!m_spec.msg.objTemplate.isEmpty())
            names = *Api::expandTemplate(m_spec.msg.objTemplate);
        QList<Target::ObjectInfo> mine;
        for (const QString &name : names) {
            const Cluster::Snode *owner
                = Cluster::hrwTarget(*m_deps.smap, Cluster::objectUname(m_spec.srcBucket, name));
            if (!owner || owner->id != m_deps.self.id || !m_spec.msg.selects(name))
                continue;
            auto info = m_deps.store->stat(m_spec.srcBucket, name);
            if (info)
                mine.append(*info);
            else if (!m_spec.msg.objTemplate.isEmpty())
                continue; // a range may name objects that do not exist
            else
                done(Target::ObjectInfo{m_spec.srcBucket, name}, false, info.error().message, 404);
        }
        QMetaObject::invokeMethod(
            this, [this, mine] { onSources(mine); }, Qt::QueuedConnection);
        return;
    }
    whenReady(m_deps.store->walk(m_spec.srcBucket, m_spec.msg.prefix), this,
              [this](const Result<QList<Target::ObjectInfo>> &result) {
                  if (!result) {
                      abort(result.error().message);
                      return;
                  }
                  QList<Target::ObjectInfo> selected;
                  for (const Target::ObjectInfo &o : *result) {
                      if (m_spec.msg.selects(o.name))
                          selected.append(o);
                  }
                  onSources(selected);
              });
}

void OfflineJob::onSources(QList<Target::ObjectInfo> sources)
{
    if (m_aborted)
        return;
    for (Target::ObjectInfo &s : sources)
        m_queue.push_back(std::move(s));
    m_listed = true;
    pump();
}

void OfflineJob::pump()
{
    while (!m_aborted && m_inFlight < m_workers && !m_queue.empty()) {
        Target::ObjectInfo src = std::move(m_queue.front());
        m_queue.pop_front();
        ++m_inFlight;
        process(src);
    }
    maybeFinish();
}

void OfflineJob::process(const Target::ObjectInfo &src)
{
    if (m_spec.kind == QLatin1String(Api::KindMakeNCopies))
        return mirrorOne(src);
    if (m_spec.kind == QLatin1String(Ec::KindEcEncode))
        return ecEncodeOne(src);
    const QString dstName = m_spec.msg.destinationName(src.name);
    if (auto valid = Api::validateObjectName(dstName); !valid)
        return done(src, false, valid.error().message, 400);
    if (!m_spec.isTransform()) {
        if (m_spec.msg.dryRun) { // a copy's dry run visits and counts
            ++m_locObjs;
            m_locBytes += src.size;
            return done(src, true);
        }
        return copyOne(src, dstName);
    }
    Etl::TransformJob job;
    job.etlName = m_spec.msg.etlName;
    job.bucket = src.bucket;
    job.object = src.name;
    job.fqn = src.path;
    job.size = src.size;
    job.timeout = m_spec.msg.requestTimeout;
    job.inlineRequest = false;
    job.pipeline = m_spec.msg.pipeline; // the ETLs after the first, if any (Etl::Pipeline)
    QPointer<OfflineJob> self(this);
    m_deps.comm->transform(job, this, [this, self, src, dstName](Etl::Communicator::Output output) {
        if (!self)
            return;
        if (!output)
            return done(src, false, output.error().message, Http::statusFor(output.error()));
        std::unique_ptr<Http::BodySource> body = std::move(output).value();
        if (m_aborted)
            return done(src, false, m_abortErr);
        if (m_spec.msg.dryRun)
            return discard(src, std::move(body));
        m_deps.delivery->deliverBody(
            std::move(body), Api::ObjectRef{m_spec.dstBucket, dstName}, m_spec.id, this,
            [this, src](const Result<Target::Delivery> &d) { delivered(src, d); },
            [this] { return !m_aborted; });
    });
}

void OfflineJob::discard(const Target::ObjectInfo &src, std::unique_ptr<Http::BodySource> body)
{
    // A dry run transforms every object as the real job would (AIS "inspect" finds the objects
    // the ETL fails on this way) and counts the result's bytes, writing nothing.
    auto bytes = std::make_shared<qint64>(0);
    QPointer<OfflineJob> self(this);
    new Http::BodyDrain(
        std::move(body),
        [bytes](const QByteArray &chunk) {
            *bytes += chunk.size();
            return true;
        },
        [this, self, bytes, src](bool ok, const QString &error) {
            if (!self)
                return;
            if (!ok || m_aborted)
                return done(src, false, ok ? m_abortErr : error, 500);
            ++m_locObjs;
            m_locBytes += *bytes;
            done(src, true);
        },
        this);
}

void OfflineJob::copyOne(const Target::ObjectInfo &listed, const QString &dstName)
{
    // Custom metadata travels with a copy: read it now (the walk only lists names and sizes).
    auto src = m_deps.store->stat(listed.bucket, listed.name);
    if (!src)
        return done(listed, false, src.error().message, 404);
    m_deps.delivery->deliverFile(
        src->path, Api::ObjectRef{m_spec.dstBucket, dstName}, src->custom, m_spec.id, this,
        [this, listed](const Result<Target::Delivery> &d) {
            // A move takes the source away once its copy is whole.
            if (d && m_spec.kind == QLatin1String(Api::KindMoveBucket)) {
                if (auto removed = m_deps.store->remove(listed.bucket, listed.name); !removed)
                    return done(listed, false, removed.error().message, 500);
            }
            delivered(listed, d);
        });
}

void OfflineJob::mirrorOne(const Target::ObjectInfo &src)
{
    Target::ObjectStore *store = m_deps.store;
    const int copies = store->writeSettings(src.bucket).copies;
    // whenReady calls nothing once this job is gone.
    whenReady(QtConcurrent::run(store->ioPool(),
                                [store, src, copies] {
                                    return store->replicas().sync(src.bucket, src.name, copies);
                                }),
              this, [this, src](const Result<Mirror::SyncOutcome> &synced) {
                  if (!synced)
                      return done(src, false, synced.error().message, 500);
                  ++m_locObjs;
                  m_locBytes += src.size * synced->written;
                  done(src, true);
              });
}

void OfflineJob::ecEncodeOne(const Target::ObjectInfo &src)
{
    // The walk gives names and sizes; the slices carry the checksum and version too.
    auto info = m_deps.store->stat(src.bucket, src.name);
    if (!info || !m_deps.ecEncode)
        return done(src, false, info ? QStringLiteral("no erasure coding here")
                                     : info.error().message, info ? 500 : 404);
    QPointer<OfflineJob> self(this);
    m_deps.ecEncode(*info, this, [this, self, src](bool ok) {
        if (!self)
            return;
        if (!ok)
            return done(src, false, QStringLiteral("ec: %1 not encoded").arg(src.name), 500);
        ++m_locObjs;
        m_locBytes += src.size;
        done(src, true);
    });
}

void OfflineJob::delivered(const Target::ObjectInfo &src, const Result<Target::Delivery> &d)
{
    if (!d) {
        const int status = d.error().code == ErrorCode::NotFound ? 404
            : d.error().code == ErrorCode::InvalidArgument       ? 400
                                                                 : 500;
        return done(src, false, m_aborted ? m_abortErr : d.error().message, status);
    }
    if (d->local) {
        ++m_locObjs;
        m_locBytes += d->size;
    } else {
        ++m_outObjs;
        m_outBytes += d->size;
    }
    done(src, true);
}

void OfflineJob::done(const Target::ObjectInfo &src, bool ok, const QString &error, int code)
{
    if (Metrics::enabled() && !m_aborted)
        Metrics::JobMetrics::global().object(m_spec.kind, ok);
    if (!ok && !m_aborted) {
        ++m_failed;
        if (m_errors.size() < MaxErrors)
            m_errors.append(ObjError{Api::objectCname(src.bucket, src.name), error, code});
        if (!m_spec.msg.continueOnError) {
            Log::etl().warn("job {}: {} failed: {}; aborting (no continue-on-error)", m_spec.id,
                            Api::objectCname(src.bucket, src.name), error);
            const QString why
                = QStringLiteral("%1: %2").arg(Api::objectCname(src.bucket, src.name), error);
            abort(why);
            Q_EMIT failed(why);
        }
    }
    if (m_inFlight > 0 && !src.path.isEmpty())
        --m_inFlight;
    pump();
}

void OfflineJob::abort(const QString &why)
{
    if (m_aborted || m_finished)
        return;
    m_aborted = true;
    m_abortErr = why.isEmpty() ? QStringLiteral("aborted") : why;
    m_queue.clear();
    Log::etl().info("job {} aborted: {}", m_spec.id, m_abortErr);
    // Results on their way to other targets stop too: one cut off would hold the end of the
    // job for as long as its PUT may take.
    if (m_deps.delivery)
        m_deps.delivery->cancel(this);
    maybeFinish();
}

void OfflineJob::maybeFinish()
{
    if (m_finished || m_inFlight > 0)
        return;
    if (!m_aborted && (!m_listed || !m_queue.empty()))
        return;
    if (needsPrune())
        return prune();
    m_finished = true;
    m_end = QDateTime::currentDateTimeUtc();
    if (Metrics::enabled())
        Metrics::JobMetrics::global().finished(m_spec.kind, m_aborted);
    Log::etl().info("job {} {}: {} local, {} sent, {} received, {} errors", m_spec.id,
                    m_aborted ? "aborted" : "finished", m_locObjs, m_outObjs, m_inObjs,
                    m_errors.size());
    Q_EMIT finished();
}

bool OfflineJob::needsPrune() const
{
    return !m_aborted && !m_pruned && m_spec.msg.synchronize && !m_spec.msg.dryRun
        && m_spec.kind == QLatin1String(Api::KindCopyBucket);
}

void OfflineJob::prune()
{
    m_pruned = true; // from here on the job waits for the pruner only
    ++m_inFlight;
    auto *pruner = new SyncPruner({m_deps.store, m_deps.nam, m_deps.smap, m_deps.self},
                                  m_spec.srcBucket, m_spec.dstBucket, m_spec.msg.prefix, this);
    pruner->start([this, pruner](const Result<int> &removed) {
        pruner->deleteLater();
        --m_inFlight;
        if (!removed) {
            ++m_failed;
            m_errors.append(
                ObjError{Api::bucketCname(m_spec.dstBucket), removed.error().message, 500});
            abort(removed.error().message);
            Q_EMIT failed(removed.error().message);
        } else if (*removed > 0) {
            Log::etl().info("job {}: synchronize removed {} objects from {}", m_spec.id, *removed,
                            Api::bucketCname(m_spec.dstBucket));
        }
        maybeFinish();
    });
}

void OfflineJob::countIncoming(qint64 bytes)
{
    ++m_inObjs;
    m_inBytes += bytes;
}

QString OfflineJob::errorText() const
{
    // AIS keeps a job's errors apart from its abort: the first one, then how many more. With
    // continue-on-error the job finishes with them, and a job that has any did not succeed.
    if (m_errors.isEmpty())
        return m_aborted ? m_abortErr : QString();
    const ObjError &first = m_errors.first();
    QString text = QStringLiteral("%1: %2").arg(first.objName, first.message);
    if (m_failed > 1)
        text += QStringLiteral(" (and %1 more error%2)")
                    .arg(m_failed - 1)
                    .arg(m_failed > 2 ? "s" : "");
    return text;
}

QJsonObject OfflineJob::snap() const
{
    // Idle kinds (etl-listrange) are waited for by their idleness.
    const Api::JobCounters counters{m_locObjs, m_locBytes, m_outObjs,
                                    m_outBytes, m_inObjs,  m_inBytes};
    QJsonObject snap = Api::encodeJobSnap(
        {m_spec.id, m_spec.kind, m_aborted, m_aborted ? m_abortErr : QString(), errorText(),
         m_finished, m_end.isValid() ? m_end.toMSecsSinceEpoch() * 1000000 : 0, counters});
    // What only AIS clients read.
    snap.insert("bck", bucketJson(m_spec.srcBucket));
    snap.insert("src-bck", bucketJson(m_spec.srcBucket));
    snap.insert("dst-bck", bucketJson(m_spec.dstBucket));
    snap.insert("start-time", rfc3339(m_start));
    snap.insert("end-time", rfc3339(m_end));
    snap.insert("glob.id", QString::number(m_workers << 10));
    snap.insert(Api::EtlKey::ObjErrors, Api::encodeObjErrors(m_errors));
    return snap;
}

} // namespace Kiln::Xact
