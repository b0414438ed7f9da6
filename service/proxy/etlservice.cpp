#include "service/proxy/etlservice.h"

#include "service/node/intracall.h"
#include "service/node/snapshotwriter.h"
#include "service/proxy/etlreplies.h"
#include "service/proxy/jobcontrol.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"
#include "shared/etl/etlname.h"

#include <QDateTime>
#include <QDir>
#include <QRandomGenerator>

#include <algorithm>
#include <climits>

namespace Kiln::Proxy {
namespace {

QString randomId(int length)
{
    static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    QString id;
    for (int i = 0; i < length; ++i)
        id += QChar(alphabet[QRandomGenerator::global()->bounded(int(sizeof alphabet) - 1)]);
    return id;
}

QString withXid(const QString &tail, const QString &xid)
{
    return QStringLiteral("%1?%2=%3").arg(tail, Api::Query::Xid, xid);
}

Error noTargets()
{
    return makeError(ErrorCode::Unavailable, "no targets in the cluster to run the ETL");
}

} // namespace

EtlService::EtlService(QNetworkAccessManager &nam, const Cluster::Smap &smap, QString dataDir,
                       QObject *parent)
    : QObject(parent)
    , m_nam(nam)
    , m_smap(smap)
    , m_dataDir(std::move(dataDir))
    , m_writer(new Node::SnapshotWriter(m_dataDir + "/etlmd.json", this))
{ }

EtlService::~EtlService() = default;

Result<void> EtlService::load()
{
    auto saved = readWholeFile(m_writer->path());
    if (!saved)
        return {};
    auto json = Api::parseObject(*saved, "saved ETL metadata");
    auto md = json ? Etl::EtlMd::fromJson(*json) : Result<Etl::EtlMd>(json.error());
    if (!md)
        return makeError(ErrorCode::Internal,
                         QStringLiteral("%1/etlmd.json: %2").arg(m_dataDir, md.error().message));
    m_md = *md;
    // An init cut short by a proxy restart never completed: it is Aborted, as AIS leaves it.
    for (const QString &name : m_md.records().keys()) {
        Etl::EtlRecord *r = m_md.find(name);
        if (r->stage == Etl::Stage::Initializing) {
            r->stage = Etl::Stage::Aborted;
            r->error = QStringLiteral("the proxy restarted during the ETL's initialization");
            m_md.touch();
        }
    }
    return {};
}

void EtlService::waitForSaved()
{
    m_writer->waitForSaved();
}

Error EtlService::notFound(const QString &name) const
{
    return makeError(ErrorCode::NotFound,
                     QStringLiteral("%1: etl job %2 does not exist").arg(m_tag, name),
                     "ErrNotFound"); // cos.ErrNotFound
}

Error EtlService::stoppedDuringInit(const QString &name) const
{
    return makeError(ErrorCode::Conflict,
                     QStringLiteral("etl job %1 was stopped or deleted during its init").arg(name));
}

Result<const Etl::EtlRecord *> EtlService::find(const QString &name) const
{
    if (auto valid = Etl::EtlName::parse(name); !valid) {
        // AIS's words where its rule refuses the name too (k8s.ValidateEtlName, 400).
        const QString ais = Etl::EtlName::aisRuleError(name);
        return ais.isEmpty() ? valid.error() : makeError(ErrorCode::InvalidArgument, ais);
    }
    const Etl::EtlRecord *r = m_md.find(name);
    if (!r)
        return notFound(name);
    return r;
}

void EtlService::changed(std::function<void(const Result<void> &)> done)
{
    const QByteArray content = Api::compact(m_md.toJson());
    m_writer->save(content, [done = std::move(done)](const Result<void> &saved) {
        if (!saved)
            Log::etl().error("saving ETL metadata: {}", saved.error().message);
        if (done)
            done(saved);
    });
    const Node::IntraRequest push{
        "PUT", QStringLiteral("/%1/%2/%3").arg(Api::Path::Version, Api::Path::Daemon,
                                               Api::EtlPath::DaemonEtlMd),
        content, {}, 10000};
    Node::callNodes(m_nam, m_smap.targets(), push, this, [](const QList<Node::IntraReply> &) {});
}

void EtlService::callTargets(const QString &method, const QString &tail, const QString &name,
                             std::function<void(QList<Node::IntraReply>)> done, int timeoutMs)
{
    const Node::IntraRequest request{method.toLatin1(), Api::etlPath(name, tail), {}, {},
                                     timeoutMs};
    Node::callNodes(m_nam, m_smap.targets(), request, this, std::move(done));
}

void EtlService::init(const Etl::InitMsg &msg, Done<QString> done)
{
    if (m_md.find(msg.name))
        return done(makeError(ErrorCode::AlreadyExists,
                              QStringLiteral("%1: etl job %2 already exists").arg(m_tag, msg.name)));
    if (m_smap.targets().isEmpty())
        return done(noTargets());
    Etl::EtlRecord record;
    record.msg = msg;
    record.createdNs = QDateTime::currentMSecsSinceEpoch() * 1000000;
    m_md.put(record);
    runInit(msg.name, std::move(done));
}

void EtlService::start(const QString &name, Done<QString> done)
{
    const auto found = find(name);
    if (!found)
        return done(found.error());
    const Etl::EtlRecord *r = *found;
    if (r->stage != Etl::Stage::Aborted) // AIS answers it through writeErrAct
        return done(makeError(ErrorCode::InvalidArgument,
                              QStringLiteral("invalid action \"can't start ETL[%1] during %2 "
                                             "stage\"")
                                  .arg(r->msg.name, Etl::stageName(r->stage))));
    if (m_smap.targets().isEmpty())
        return done(noTargets());
    runInit(name, std::move(done));
}

void EtlService::runInit(const QString &name, Done<QString> done)
{
    Etl::EtlRecord *r = m_md.find(name);
    r->stage = Etl::Stage::Initializing;
    r->xid = QStringLiteral("etl-") + randomId(10);
    r->secret = randomId(10);
    r->error.clear();
    r->targetErrors.clear();
    m_md.touch();
    const QString xid = r->xid;
    Log::etl().info("etl[{}] init {} on {} targets ({}, {})", name, xid, m_smap.targets().size(),
                    r->msg.kindName(), Etl::commTypeName(r->msg.comm));
    // Phase 1: every target starts its instance and answers once it is ready (or failed).
    Node::IntraRequest begin{"POST", Api::etlPath(Api::EtlPath::Begin), Api::compact(r->toJson())};
    begin.timeoutMs = int(std::min<qint64>(r->msg.initTimeout.count() + 15000, INT_MAX));
    Node::callNodes(m_nam, m_smap.targets(), begin, this,
                    [this, name, xid, done](QList<Node::IntraReply> replies) {
                        afterPhase(name, xid, replies, done,
                                   [this, name, xid, done] { commitInit(name, xid, done); });
                    });
}

void EtlService::afterPhase(const QString &name, const QString &xid,
                            const QList<Node::IntraReply> &replies, const Done<QString> &done,
                            const std::function<void()> &next)
{
    const Etl::EtlRecord *r = m_md.find(name);
    if (!r || r->xid != xid)
        return done(stoppedDuringInit(name));
    if (!allOk(replies))
        return abortInit(name, xid, replies, done);
    next();
}

void EtlService::commitInit(const QString &name, const QString &xid, Done<QString> done)
{
    // Phase 2: commit, on the targets that began.
    callTargets(
        "POST", withXid(Api::EtlPath::Commit, xid), name,
        [this, name, xid, done](QList<Node::IntraReply> replies) {
            afterPhase(name, xid, replies, done,
                       [this, name, xid, done] { commit(name, xid, done); });
        });
}

void EtlService::commit(const QString &name, const QString &xid, const Done<QString> &done)
{
    Etl::EtlRecord *r = m_md.find(name);
    r->stage = Etl::Stage::Running;
    m_md.touch();
    Log::etl().info("etl[{}] running ({})", name, xid);
    // The caller hears of the ETL once its metadata is on disk (or why it could not be).
    changed([done, xid](const Result<void> &saved) {
        if (!saved)
            return done(makeError(ErrorCode::Internal,
                                  QStringLiteral("the ETL runs, but saving the ETL metadata "
                                                 "failed: %1")
                                      .arg(saved.error().message)));
        done(xid);
    });
}

void EtlService::abortInit(const QString &name, const QString &xid,
                           const QList<Node::IntraReply> &replies, Done<QString> done)
{
    Etl::EtlRecord *r = m_md.find(name);
    for (const Node::IntraReply &rep : replies) {
        if (!rep.ok())
            r->targetErrors.insert(rep.node.id, replyMessage(rep));
    }
    const QString first = firstError(replies);
    r->stage = Etl::Stage::Aborted;
    r->error = first;
    m_md.touch();
    Log::etl().warn("etl[{}] init {} failed: {}", name, xid, first);
    // Every target stops and cleans up what it started; then the caller hears why.
    const Node::IntraRequest abort{"POST",
                                   withXid(Api::etlPath(name, Api::EtlPath::Abort), xid),
                                   first.toUtf8(),
                                   {{"Content-Type", "text/plain"}},
                                   15000};
    Node::callNodes(m_nam, m_smap.targets(), abort, this,
                    [this, first, done](const QList<Node::IntraReply> &) {
                        changed();
                        // 400, never 5xx: clients retry 5xx answers to PUT for minutes.
                        done(makeError(ErrorCode::InvalidArgument, first));
                    });
}

void EtlService::stop(const QString &name, Done<void> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    Etl::EtlRecord *r = m_md.find(name);
    r->stage = Etl::Stage::Aborted;
    r->error.clear();
    m_md.touch();
    if (m_jobs)
        m_jobs->abortJobsOf(name, QStringLiteral("ETL %1 was stopped").arg(name));
    callTargets(
        "POST", Api::EtlPath::TargetStop, name,
        [this, name, done](const QList<Node::IntraReply> &) {
            Log::etl().info("etl[{}] stopped", name);
            changed([done](const Result<void> &saved) { done(saved); });
        },
        15000);
}

void EtlService::remove(const QString &name, Done<void> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    callTargets(
        "DELETE", Api::EtlPath::Delete, name,
        [this, name, done](const QList<Node::IntraReply> &) {
            m_md.remove(name);
            Log::etl().info("etl[{}] deleted", name);
            changed([done](const Result<void> &saved) { done(saved); });
        },
        15000);
}

void EtlService::instanceFailed(const QString &name, const Api::EtlFailureReport &report)
{
    Etl::EtlRecord *r = m_md.find(name);
    if (!r || r->xid != report.xid || r->stage != Etl::Stage::Running)
        return; // an old run, or already stopped
    r->stage = Etl::Stage::Aborted;
    r->error = QStringLiteral("target %1: %2").arg(report.target, report.error);
    r->targetErrors.insert(report.target, report.error);
    m_md.touch();
    Log::etl().warn("etl[{}] aborted: {}", r->msg.name, r->error);
    const Node::IntraRequest abort{"POST",
                                   withXid(Api::etlPath(name, Api::EtlPath::Abort), report.xid),
                                   r->error.toUtf8(),
                                   {{"Content-Type", "text/plain"}},
                                   15000};
    Node::callNodes(m_nam, m_smap.targets(), abort, this,
                    [this](const QList<Node::IntraReply> &) { changed(); });
}

} // namespace Kiln::Proxy
