#include "service/proxy/rebalancecontrol.h"

#include "service/http/exchange.h"
#include "service/node/intracall.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Kiln::Proxy {
namespace {

constexpr int DrainCheckMs = 1000;

qint64 idVersion(const QString &id)
{
    bool ok = false;
    const qint64 v = id.startsWith('g') ? id.mid(1).toLongLong(&ok) : -1;
    return ok ? v : -1;
}

} // namespace

RebalanceControl::RebalanceControl(Deps deps, QObject *parent)
    : QObject(parent)
    , m_deps(std::move(deps))
{
    m_drainTimer.setInterval(DrainCheckMs);
    connect(&m_drainTimer, &QTimer::timeout, this, &RebalanceControl::checkDecommissions);
}

QString RebalanceControl::currentId() const
{
    return QStringLiteral("g%1").arg(m_deps.smap.version());
}

bool RebalanceControl::answerQuery(Http::Exchange &ex, const QString &what)
{
    static const QStringList queries{"status", "qryxstats", "status_all", "running_all"};
    if (!queries.contains(what))
        return false;
    const QJsonObject body = QJsonDocument::fromJson(ex.body()).object();
    QString id = Api::valueCi(body, u"id").toString();
    const QString kind = Api::valueCi(body, u"kind").toString();
    if (kind != QLatin1String(Api::KindRebalance) && idVersion(id) < 0)
        return false;
    if (id.isEmpty())
        id = currentId();
    gather([this, ex, what, id](Snaps snaps) mutable { answer(ex, what, id, snaps); });
    return true;
}

void RebalanceControl::gather(std::function<void(Snaps)> done)
{
    const Node::IntraRequest get{"GET", Api::Route::TargetRebalance, {}, {}, 5000};
    Node::callNodes(m_deps.nam, m_deps.smap.targets(), get, this,
                    [done = std::move(done)](const QList<Node::IntraReply> &replies) {
                        Snaps snaps;
                        for (const Node::IntraReply &r : replies) {
                            if (!r.ok())
                                continue; // a target that is away has no part to show
                            snaps.append({r.node.id, QJsonDocument::fromJson(r.body).object()});
                        }
                        done(snaps);
                    });
}

QJsonObject RebalanceControl::statusOf(const QString &id, const Snaps &snaps) const
{
    const qint64 version = idVersion(id);
    // A target of the map that does not answer (killed, restarting) has not finished its part.
    bool finished = snaps.size() >= m_deps.smap.targets().size(), aborted = false;
    qint64 end = 0;
    for (const auto &[tid, snap] : snaps) {
        // A target on an older map has not started this one yet.
        const bool done = snap.value("smap_version").toInteger() >= version
            && !snap.value("running").toBool();
        finished = finished && done;
        aborted = aborted || snap.value("aborted").toBool();
        end = std::max(end, snap.value("end_ns").toInteger());
    }
    return QJsonObject{{"kind", QString::fromLatin1(Api::KindRebalance)},
                       {"uuid", id},
                       {"err", QString()},
                       {"end_time", finished ? std::max<qint64>(end, 1) : 0},
                       {"aborted", aborted}};
}

void RebalanceControl::answer(Http::Exchange &ex, const QString &what, const QString &id,
                              const Snaps &snaps)
{
    const QJsonObject status = statusOf(id, snaps);
    if (what == "status")
        return ex.json(Api::compact(status));
    if (what == "status_all")
        return ex.json(QJsonDocument(QJsonArray{status}).toJson(QJsonDocument::Compact));
    if (what == "running_all") {
        QJsonArray running;
        if (status.value("end_time").toInteger() == 0)
            running.append(QStringLiteral("%1[%2]").arg(Api::KindRebalance, id));
        return ex.json(QJsonDocument(running).toJson(QJsonDocument::Compact));
    }
    QJsonObject byTarget; // qryxstats
    for (const auto &[tid, snap] : snaps)
        byTarget.insert(tid, QJsonArray{snap});
    ex.json(Api::compact(byTarget));
}

bool RebalanceControl::onClusterPut(Http::Exchange &ex, const QJsonObject &act)
{
    const QString action = Api::valueCi(act, u"action").toString();
    const QJsonObject value = Api::valueCi(act, u"value").toObject();
    if (action == QLatin1String(Api::Action::Stop)) {
        const QString kind = Api::valueCi(value, u"kind").toString();
        const QString id = Api::valueCi(value, u"id").toString();
        if (kind != QLatin1String(Api::KindRebalance) && idVersion(id) < 0)
            return false;
        stop(ex);
        return true;
    }
    if (action == QLatin1String(Api::Action::Rebalance)) {
        m_deps.bump();
        ex.respond(200, currentId().toUtf8(), Api::MimeText);
        return true;
    }
    if (action == QLatin1String(Api::Action::StartMaintenance)
        || action == QLatin1String(Api::Action::StopMaintenance)
        || action == QLatin1String(Api::Action::DecommissionNode)
        || action == QLatin1String(Api::Action::ShutdownNode)) {
        changeNode(ex, action, value);
        return true;
    }
    return false;
}

void RebalanceControl::changeNode(Http::Exchange &ex, const QString &action,
                                  const QJsonObject &value)
{
    // ActValRmNode: "sid", or (the CLI's SetIDs) a "sids" list.
    QStringList sids;
    if (const QString sid = Api::valueCi(value, u"sid").toString(); !sid.isEmpty())
        sids.append(sid);
    for (const QJsonValue &v : Api::valueCi(value, u"sids").toArray())
        sids.append(v.toString());
    if (sids.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: no node id (\"sid\")").arg(action)));
    for (const QString &sid : std::as_const(sids)) {
        if (!m_deps.smap.target(sid))
            return ex.fail(makeError(ErrorCode::NotFound,
                                     QStringLiteral("node \"%1\" does not exist").arg(sid),
                                     QStringLiteral("ErrNodeNotFound")));
        if (action == QLatin1String(Api::Action::StopMaintenance)
            && m_draining.value(sid) == QLatin1String(Api::Action::DecommissionNode))
            return ex.fail(makeError(ErrorCode::InvalidArgument,
                                     QStringLiteral("%1 is being decommissioned").arg(sid)));
    }
    for (const QString &sid : std::as_const(sids)) {
        quint64 flags = m_deps.smap.target(sid)->flags
            & ~(Cluster::Snode::FlagMaintenance | Cluster::Snode::FlagDecommission);
        if (action == QLatin1String(Api::Action::StartMaintenance)
            || action == QLatin1String(Api::Action::ShutdownNode))
            flags |= Cluster::Snode::FlagMaintenance;
        else if (action == QLatin1String(Api::Action::DecommissionNode))
            flags |= Cluster::Snode::FlagDecommission;
        if (auto set = m_deps.setFlags(sid, flags); !set)
            return ex.fail(set.error());
        Log::proxy().info("target {}: {} (smap v{})", sid, action, m_deps.smap.version());
        if (action == QLatin1String(Api::Action::StopMaintenance))
            m_draining.remove(sid); // a shutdown-node not yet done is off
        if (action == QLatin1String(Api::Action::DecommissionNode))
            m_decommissioned.insert(sid);
        if (action == QLatin1String(Api::Action::DecommissionNode)
            || action == QLatin1String(Api::Action::ShutdownNode)) {
            m_draining.insert(sid, action);
            m_drainTimer.start();
        }
    }
    ex.respond(200, currentId().toUtf8(), Api::MimeText);
}

void RebalanceControl::onLeave(Http::Exchange &ex)
{
    const QJsonObject body = QJsonDocument::fromJson(ex.body()).object();
    const QString sid = body.value("id").toString();
    const Cluster::Snode *node = m_deps.smap.target(sid);
    if (!node)
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("node \"%1\" does not exist").arg(sid),
                                 QStringLiteral("ErrNodeNotFound")));
    const auto &targets = m_deps.smap.targets();
    const bool elsewhere = std::any_of(targets.begin(), targets.end(), [&](const auto &t) {
        return t.id != sid && !t.inMaintenance();
    });
    if (!elsewhere && !node->inMaintenance()) {
        Log::proxy().info("target {} is leaving; no other target in placement", sid);
        m_deps.remove(sid);
        return ex.json(Api::compact(QJsonObject{{"drain", false}}));
    }
    if (!node->inMaintenance()) {
        const quint64 flags = node->flags | Cluster::Snode::FlagMaintenance
            | Cluster::Snode::FlagLeaving;
        if (auto set = m_deps.setFlags(sid, flags); !set)
            return ex.fail(set.error());
        Log::proxy().info("target {} is leaving: its objects move off (smap v{})", sid,
                          m_deps.smap.version());
    }
    // Already out of placement (an operator's maintenance, a decommission): it drains as it is.
    ex.json(Api::compact(QJsonObject{{"drain", true}, {"smap", m_deps.smap.toJson()}}));
}

void RebalanceControl::onSelfRemove(Http::Exchange &ex, const QString &sid)
{
    const Cluster::Snode *node = m_deps.smap.target(sid);
    if (!node)
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("node \"%1\" does not exist").arg(sid),
                                 QStringLiteral("ErrNodeNotFound")));
    if (node->flags & Cluster::Snode::FlagLeaving) {
        Log::proxy().info("target {} sent every object off and left", sid);
        m_deps.remove(sid);
    } else if (node->flags & Cluster::Snode::FlagMaintenance) {
        m_shutDown.insert(sid); // an operator's maintenance outlasts the stop
    }
    ex.ok();
}

void RebalanceControl::stop(Http::Exchange &ex)
{
    const Node::IntraRequest del{"DELETE", Api::Route::TargetRebalance, {}, {}, 5000};
    Node::callNodes(m_deps.nam, m_deps.smap.targets(), del, this,
                    [ex](const QList<Node::IntraReply> &) mutable { ex.ok(); });
}

void RebalanceControl::checkDecommissions()
{
    if (m_draining.isEmpty())
        return m_drainTimer.stop();
    const qint64 version = m_deps.smap.version();
    gather([this, version](const Snaps &snaps) {
        for (const auto &[tid, snap] : snaps) {
            if (!m_draining.contains(tid) || snap.value("running").toBool()
                || snap.value("smap_version").toInteger() < version)
                continue;
            drained(tid);
        }
    });
}

void RebalanceControl::drained(const QString &sid)
{
    const QString action = m_draining.take(sid);
    if (action == QLatin1String(Api::Action::DecommissionNode)) {
        Log::proxy().info("target {}: every object sent off; decommissioned", sid);
        return m_deps.remove(sid);
    }
    // shutdown-node: it stays in the map in maintenance; when it comes back it is still in it.
    Log::proxy().info("target {}: every object sent off; shutting it down", sid);
    m_shutDown.insert(sid);
    const QJsonObject act{{"action", QString::fromLatin1(Api::Action::ShutdownNode)}};
    if (const Cluster::Snode *node = m_deps.smap.target(sid))
        Node::callNode(m_deps.nam, *node,
                       Node::IntraRequest{"PUT", Api::Route::Daemon, Api::compact(act), {}, 5000},
                       this, [](const Node::IntraReply &) {});
}

} // namespace Kiln::Proxy
