// EtlService's read side: the aggregates of the targets' answers (list, details, logs, health,
// metrics) and the errors of an offline job.
#include "service/node/intracall.h"
#include "service/proxy/etlreplies.h"
#include "service/proxy/etlservice.h"
#include "service/proxy/jobcontrol.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace Kiln::Proxy {

void EtlService::list(Done<QList<Api::EtlSummary>> done)
{
    callTargets("GET", Api::EtlPath::TargetList, {}, [this, done](QList<Node::IntraReply> replies) {
        QHash<QString, Api::EtlSummary> counts;
        for (const Node::IntraReply &rep : replies) {
            if (!rep.ok())
                continue;
            const QJsonArray rows = QJsonDocument::fromJson(rep.body).array();
            for (const Api::TargetEtlStat &stat : Api::decodeTargetEtlStats(rows)) {
                const Api::EtlSummary &s = stat.etl;
                const Etl::EtlRecord *r = m_md.find(s.name);
                if (!r || r->xid != s.xactionId)
                    continue;
                Api::EtlSummary &c = counts[s.name];
                c.objCount += s.objCount;
                c.inBytes += s.inBytes;
                c.outBytes += s.outBytes;
            }
        }
        QList<Api::EtlSummary> out;
        for (const Etl::EtlRecord &r : m_md.records()) {
            Api::EtlSummary s = counts.value(r.msg.name);
            s.name = r.msg.name;
            s.stage = r.stage;
            s.xactionId = r.xid;
            out.append(s);
        }
        done(out);
    });
}

void EtlService::details(const QString &name, Done<Api::EtlDetails> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    callTargets("GET", Api::EtlPath::Details, name, [this, name, done](QList<Node::IntraReply> replies) {
        const Etl::EtlRecord *r = m_md.find(name);
        if (!r)
            return done(notFound(name));
        Api::EtlDetails out{r->msg.toJson(), r->stage, r->xid, r->error, {}, {}};
        for (auto it = r->targetErrors.begin(); it != r->targetErrors.end(); ++it)
            out.targetErrors.insert(it.key(), it.value());
        for (const Node::IntraReply &rep : replies) {
            if (!rep.ok())
                continue;
            const auto json = Api::parseObject(rep.body, "details");
            if (!json)
                continue;
            const Api::TargetEtlDetails part = Api::decodeTargetEtlDetails(*json);
            for (const Api::ObjError &e : part.objErrors) {
                if (out.objErrors.size() < Etl::MaxObjErrors)
                    out.objErrors.append(e);
            }
            if (!part.error.isEmpty() && !out.targetErrors.contains(rep.node.id))
                out.targetErrors.insert(rep.node.id, part.error);
        }
        done(out);
    });
}

void EtlService::jobDetails(const QString &name, const QString &jobId,
                            Done<Api::EtlDetails> done)
{
    if (!m_jobs)
        return details(name, std::move(done));
    if (const auto found = find(name); !found)
        return done(found.error());
    m_jobs->jobErrors(jobId, this, [this, name, done](Result<QJsonArray> errors) {
        const Etl::EtlRecord *r = m_md.find(name);
        if (!r)
            return done(notFound(name));
        // AIS answers an unknown job with no errors (its targets hold none for it).
        if (!errors && errors.error().code != ErrorCode::NotFound)
            return done(errors.error());
        Api::EtlDetails out;
        out.initMsg = r->msg.toJson();
        out.stage = r->stage;
        if (errors)
            out.objErrors = Api::decodeObjErrors(*errors);
        done(out);
    });
}

void EtlService::logs(const QString &name, const QString &targetId,
                      Done<QList<Api::TargetLog>> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    QList<Cluster::Snode> targets = m_smap.targets();
    if (!targetId.isEmpty()) {
        const Cluster::Snode *t = m_smap.target(targetId);
        if (!t)
            return done(makeError(ErrorCode::InvalidArgument,
                                  QStringLiteral("unknown target \"%1\"").arg(targetId)));
        targets = {*t};
    }
    const Node::IntraRequest logs{"GET", Api::etlPath(name, Api::EtlPath::Logs), {}, {}, 15000};
    Node::callNodes(m_nam, targets, logs, this, [done](const QList<Node::IntraReply> &replies) {
        QList<Api::TargetLog> out;
        // Each entry says which target its lines come from; a target without the ETL has none.
        // A runtime that could not read them (e.g. the Kubernetes log API) says why.
        for (const Node::IntraReply &rep : replies)
            out.append({rep.node.id, rep.ok() ? rep.body : QByteArray(), targetError(rep)});
        done(out);
    });
}

void EtlService::health(const QString &name, Done<QList<Api::TargetHealth>> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    callTargets("GET", Api::EtlPath::Health, name, [done](const QList<Node::IntraReply> &replies) {
        QList<Api::TargetHealth> out;
        for (const Node::IntraReply &rep : replies) {
            const QString status = rep.ok() ? QString::fromUtf8(rep.body).trimmed()
                : rep.status == 404         ? QStringLiteral("Unknown")
                                            : QStringLiteral("Unreachable");
            out.append({rep.node.id, status});
        }
        done(out);
    });
}

void EtlService::metrics(const QString &name, Done<QList<Api::TargetMetrics>> done)
{
    if (const auto found = find(name); !found)
        return done(found.error());
    callTargets("GET", Api::EtlPath::Metrics, name, [done](QList<Node::IntraReply> replies) {
        std::sort(replies.begin(), replies.end(),
                  [](const Node::IntraReply &a, const Node::IntraReply &b) {
                      return a.node.id < b.node.id;
                  });
        QList<Api::TargetMetrics> out;
        for (const Node::IntraReply &rep : replies) {
            Api::TargetMetrics m;
            m.targetId = rep.node.id;
            if (const auto json = rep.ok() ? Api::parseObject(rep.body, "metrics")
                                           : Result<QJsonObject>(Error{});
                json) {
                const Api::EtlUsage u = Api::decodeEtlUsage(*json);
                m.cpuCores = u.cpuCores;
                m.memBytes = u.memBytes;
                m.cpuLimitCores = u.cpuLimitCores;
                m.memLimitBytes = u.memLimitBytes;
                m.hasLimits = true;
            }
            m.error = targetError(rep);
            out.append(m);
        }
        done(out);
    });
}

} // namespace Kiln::Proxy
