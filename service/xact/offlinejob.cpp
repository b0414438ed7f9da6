#include "service/xact/offlinejob.h"

#include "service/etl/communicator.h"
#include "service/http/bodysource.h"
#include "service/target/objectstore.h"
#include "service/target/objectwriter.h"
#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/cluster/hrw.h"
#include "shared/cluster/smap.h"
#include "shared/core/logging.h"

#include <QFile>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QThread>
#include <QUrl>

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

// Pulls a body source to its end into a sink; deletes itself when done.
class Drain final : public QObject
{
public:
    using Sink = std::function<bool(const QByteArray &)>;
    using Done = std::function<void(bool ok, const QString &error)>;

    Drain(std::unique_ptr<Http::BodySource> source, Sink sink, Done done, QObject *parent)
        : QObject(parent)
        , m_source(std::move(source))
        , m_sink(std::move(sink))
        , m_done(std::move(done))
    {
        m_source->setParent(nullptr);
        connect(m_source.get(), &Http::BodySource::readyRead, this, &Drain::pump);
        connect(m_source.get(), &Http::BodySource::failed, this, &Drain::pump);
        QMetaObject::invokeMethod(this, &Drain::pump, Qt::QueuedConnection);
    }

    void pump()
    {
        if (!m_done)
            return;
        for (;;) {
            const QByteArray chunk = m_source->read(1024 * 1024);
            // A source reports a failure from inside read() too (failed() runs pump() again,
            // which finishes): nothing is left to do here then.
            if (!m_done)
                return;
            if (!m_source->errorString().isEmpty())
                return finish(false, m_source->errorString());
            if (chunk.isEmpty()) {
                if (m_source->atEnd())
                    finish(true, {});
                return;
            }
            if (!m_sink(chunk))
                return finish(false, QStringLiteral("cannot write the result"));
        }
    }

private:
    void finish(bool ok, const QString &error)
    {
        // The source may fail from inside read() or the sink, which runs pump() again: the
        // inner call finishes, the outer one finds nothing left to do.
        if (!m_done)
            return;
        auto done = std::move(m_done);
        m_done = nullptr;
        done(ok, error);
        deleteLater();
    }

    std::unique_ptr<Http::BodySource> m_source;
    Sink m_sink;
    Done m_done;
};

} // namespace

QJsonObject JobSpec::toJson() const
{
    return QJsonObject{
        {"id", id}, {"kind", kind}, {"src", srcBucket}, {"dst", dstBucket}, {"msg", msg.toJson()}};
}

Result<JobSpec> JobSpec::fromJson(const QJsonObject &json)
{
    JobSpec spec;
    spec.id = json.value("id").toString();
    spec.kind = json.value("kind").toString();
    spec.srcBucket = json.value("src").toString();
    spec.dstBucket = json.value("dst").toString();
    auto msg = Api::TcbMsg::fromJson(json.value("msg"), spec.kind == Api::KindEtlListRange);
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
    Log::etl().info("job {} ({}) {} -> {} via {}{}", m_spec.id, m_spec.kind,
                    Api::bucketCname(m_spec.srcBucket), Api::bucketCname(m_spec.dstBucket),
                    m_spec.msg.etlName, m_spec.msg.dryRun ? " (dry run)" : "");
    if (m_spec.kind == Api::KindEtlListRange
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
    auto *watcher = new QFutureWatcher<Result<QList<Target::ObjectInfo>>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        watcher->deleteLater();
        const auto result = watcher->result();
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
    watcher->setFuture(m_deps.store->walk(m_spec.srcBucket, m_spec.msg.prefix));
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
    const QString dstName = m_spec.msg.destinationName(src.name);
    if (auto valid = Api::validateObjectName(dstName); !valid)
        return done(src, false, valid.error().message, 400);
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
    m_deps.comm->transform(job, this,
                           [this, self, src, dstName](std::unique_ptr<Http::BodySource> body,
                                                      int status, const Error &error) {
                               if (!self)
                                   return;
                               if (!body)
                                   return done(src, false, error.message, status);
                               if (m_aborted)
                                   return done(src, false, m_abortErr);
                               if (m_spec.msg.dryRun)
                                   return discard(src, std::move(body));
                               const Cluster::Snode *owner = Cluster::hrwTarget(
                                   *m_deps.smap, Cluster::objectUname(m_spec.dstBucket, dstName));
                               if (!owner || owner->id == m_deps.self.id)
                                   writeLocal(src, dstName, std::move(body));
                               else
                                   sendRemote(src, dstName, *owner, std::move(body));
                           });
}

void OfflineJob::discard(const Target::ObjectInfo &src, std::unique_ptr<Http::BodySource> body)
{
    // A dry run transforms every object as the real job would (AIS "inspect" finds the objects
    // the ETL fails on this way) and counts the result's bytes, writing nothing.
    auto bytes = std::make_shared<qint64>(0);
    QPointer<OfflineJob> self(this);
    new Drain(
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

void OfflineJob::writeLocal(const Target::ObjectInfo &src, const QString &dstName,
                            std::unique_ptr<Http::BodySource> body)
{
    auto writer = m_deps.store->beginWrite(m_spec.dstBucket, dstName);
    if (!writer)
        return done(src, false, writer.error().message, 500);
    auto w = std::shared_ptr<Target::ObjectWriter>(std::move(*writer));
    QPointer<OfflineJob> self(this);
    new Drain(
        std::move(body),
        [this, w](const QByteArray &chunk) {
            return !m_aborted && bool(w->write(chunk.constData(), chunk.size()));
        },
        [this, self, w, src](bool ok, const QString &error) {
            if (!self)
                return; // the writer's destructor removes its temporary file
            if (!ok || m_aborted)
                return done(src, false, ok ? m_abortErr : error, 500);
            w->commit().then(this, [this, src](const Result<Target::ObjectInfo> &info) {
                if (!info)
                    return done(src, false, info.error().message, 500);
                ++m_locObjs;
                m_locBytes += info->size;
                done(src, true);
            });
        },
        this);
}

void OfflineJob::sendRemote(const Target::ObjectInfo &src, const QString &dstName,
                            const Cluster::Snode &owner, std::unique_ptr<Http::BodySource> body)
{
    // Spool to a temporary file on this target, then PUT it with its length: the owner stores it
    // atomically like any PUT, and an abort on either side leaves no partial object.
    const QString spool = m_deps.store->mountpaths().first() + QStringLiteral("/tmp/xfer.")
        + QString::number(QRandomGenerator::global()->generate64(), 36);
    auto file = std::make_shared<QFile>(spool);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
        return done(src, false, QStringLiteral("cannot create %1").arg(spool), 500);
    QPointer<OfflineJob> self(this);
    const Cluster::Snode target = owner;
    new Drain(
        std::move(body),
        [file](const QByteArray &chunk) { return file->write(chunk) == chunk.size(); },
        [this, self, file, src, dstName, target](bool ok, const QString &error) {
            file->close();
            if (!self || !ok || m_aborted) {
                file->remove();
                if (self)
                    done(src, false, ok ? m_abortErr : error, 500);
                return;
            }
            if (!file->open(QIODevice::ReadOnly)) {
                file->remove();
                return done(src, false, QStringLiteral("cannot read back %1").arg(file->fileName()),
                            500);
            }
            const qint64 size = file->size();
            QUrl url(target.url() + "/v1/objects/"
                     + QString::fromLatin1(QUrl::toPercentEncoding(m_spec.dstBucket)) + '/'
                     + QString::fromLatin1(QUrl::toPercentEncoding(dstName, "/")));
            url.setQuery(QStringLiteral("provider=ais&uuid=") + m_spec.id);
            QNetworkRequest request(url);
            request.setHeader(QNetworkRequest::ContentLengthHeader, size);
            request.setHeader(QNetworkRequest::ContentTypeHeader, "application/octet-stream");
            request.setRawHeader("Kiln-Intra", "1");
            request.setTransferTimeout(120000);
            QNetworkReply *reply = m_deps.nam->put(request, file.get());
            connect(reply, &QNetworkReply::finished, this, [this, reply, file, src, size, target] {
                reply->deleteLater();
                file->close();
                file->remove();
                const int status
                    = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (status != 200)
                    return done(src, false,
                                QStringLiteral("sending the result to target %1 failed: %2")
                                    .arg(target.id,
                                         status ? QString::fromUtf8(reply->readAll().left(500))
                                                : reply->errorString()),
                                status ? status : 502);
                ++m_outObjs;
                m_outBytes += size;
                done(src, true);
            });
        },
        this);
}

void OfflineJob::done(const Target::ObjectInfo &src, bool ok, const QString &error, int code)
{
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
    maybeFinish();
}

void OfflineJob::maybeFinish()
{
    if (m_finished || m_inFlight > 0)
        return;
    if (!m_aborted && (!m_listed || !m_queue.empty()))
        return;
    m_finished = true;
    m_end = QDateTime::currentDateTimeUtc();
    Log::etl().info("job {} {}: {} local, {} sent, {} received, {} errors", m_spec.id,
                    m_aborted ? "aborted" : "finished", m_locObjs, m_outObjs, m_inObjs,
                    m_errors.size());
    Q_EMIT finished();
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
    QJsonArray errors;
    for (const ObjError &e : m_errors)
        errors.append(QJsonObject{{"obj_name", e.objName}, {"msg", e.message}, {"ecode", e.code}});
    return QJsonObject{{"id", m_spec.id},
                       {"kind", m_spec.kind},
                       {"bck", bucketJson(m_spec.srcBucket)},
                       {"src-bck", bucketJson(m_spec.srcBucket)},
                       {"dst-bck", bucketJson(m_spec.dstBucket)},
                       {"start-time", rfc3339(m_start)},
                       {"end-time", rfc3339(m_end)},
                       {"aborted", m_aborted},
                       // Idle kinds (etl-listrange) are waited for by their idleness.
                       {"is_idle", m_finished},
                       {"abort-err", m_aborted ? m_abortErr : QString()},
                       {"err", errorText()},
                       {"glob.id", QString::number(m_workers << 10)},
                       // Counters AIS tags ",string".
                       {"stats",
                        QJsonObject{{"loc-objs", QString::number(m_locObjs)},
                                    {"loc-bytes", QString::number(m_locBytes)},
                                    {"out-objs", QString::number(m_outObjs)},
                                    {"out-bytes", QString::number(m_outBytes)},
                                    {"in-objs", QString::number(m_inObjs)},
                                    {"in-bytes", QString::number(m_inBytes)}}},
                       {"obj_errors", errors},
                       {"end_ns", m_end.isValid() ? m_end.toMSecsSinceEpoch() * 1000000 : 0}};
}

} // namespace Kiln::Xact
