#include "shared/api/etlwire.h"

#include "shared/api/json.h"
#include "shared/api/wire.h"

#include <QJsonDocument>

namespace Kiln::Api {
namespace {

QByteArray compactArray(const QJsonArray &a)
{
    return QJsonDocument(a).toJson(QJsonDocument::Compact);
}

QByteArray compactObject(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// Encodes each element of a list with one row encoder, into a compact JSON array.
template<typename T, typename Encode> QByteArray encodeRows(const QList<T> &list, Encode encode)
{
    QJsonArray out;
    for (const T &row : list)
        out.append(encode(row));
    return compactArray(out);
}

template<typename T, typename Decode> QList<T> decodeRows(const QJsonArray &a, Decode decode)
{
    QList<T> out;
    for (const QJsonValue &v : a)
        out.append(decode(v.toObject()));
    return out;
}

} // namespace

QString etlPath(const QString &name, const QString &tail)
{
    QString path = QStringLiteral("/%1/%2").arg(Path::Version, Path::Etl);
    if (!name.isEmpty())
        path += '/' + name;
    if (!tail.isEmpty())
        path += '/' + tail;
    return path;
}

QJsonObject encodeObjError(const ObjError &e)
{
    return {{EtlKey::ObjName, e.objName}, {EtlKey::Msg, e.message}, {EtlKey::Ecode, e.code}};
}

ObjError decodeObjError(const QJsonObject &o)
{
    return {o.value(EtlKey::ObjName).toString(), o.value(EtlKey::Msg).toString(),
            o.value(EtlKey::Ecode).toInt()};
}

QJsonArray encodeObjErrors(const QList<ObjError> &errors)
{
    QJsonArray out;
    for (const ObjError &e : errors)
        out.append(encodeObjError(e));
    return out;
}

QList<ObjError> decodeObjErrors(const QJsonArray &a)
{
    return decodeRows<ObjError>(a, decodeObjError);
}

namespace {

// The fields a summary and a target's report share; the name and xaction keys differ.
QJsonObject encodeCounters(const EtlSummary &s)
{
    return QJsonObject{{EtlKey::Stage, Etl::stageName(s.stage)},
                       {EtlKey::ObjCount, s.objCount},
                       {EtlKey::InBytes, s.inBytes},
                       {EtlKey::OutBytes, s.outBytes}};
}

EtlSummary decodeSummary(const QJsonObject &o, const char *nameKey, const char *xactionKey)
{
    return EtlSummary{o.value(nameKey).toString(),
                      Etl::parseStage(o.value(EtlKey::Stage).toString()),
                      o.value(xactionKey).toString(),
                      int64Of(o.value(EtlKey::ObjCount)),
                      int64Of(o.value(EtlKey::InBytes)),
                      int64Of(o.value(EtlKey::OutBytes))};
}

} // namespace

QByteArray encodeEtlSummaries(const QList<EtlSummary> &list)
{
    return encodeRows(list, [](const EtlSummary &s) {
        QJsonObject o = encodeCounters(s);
        o.insert(EtlKey::Id, s.name);
        o.insert(EtlKey::XactionId, s.xactionId);
        return o;
    });
}

QList<EtlSummary> decodeEtlSummaries(const QJsonArray &a)
{
    return decodeRows<EtlSummary>(a, [](const QJsonObject &o) {
        return decodeSummary(o, EtlKey::Id, EtlKey::XactionId);
    });
}

QByteArray encodeEtlDetails(const EtlDetails &d)
{
    QJsonObject out{{EtlKey::InitMsg, d.initMsg}, {EtlKey::Stage, Etl::stageName(d.stage)}};
    if (d.xactionId)
        out.insert(EtlKey::XactionId, *d.xactionId);
    if (!d.objErrors.isEmpty())
        out.insert(EtlKey::ObjErrors, encodeObjErrors(d.objErrors));
    if (!d.error.isEmpty())
        out.insert(EtlKey::Error, d.error);
    if (!d.targetErrors.isEmpty()) {
        QJsonObject perTarget;
        for (auto it = d.targetErrors.begin(); it != d.targetErrors.end(); ++it)
            perTarget.insert(it.key(), it.value());
        out.insert(EtlKey::TargetErrors, perTarget);
    }
    return compactObject(out);
}

EtlDetails decodeEtlDetails(const QJsonObject &o)
{
    EtlDetails d;
    d.initMsg = o.value(EtlKey::InitMsg).toObject();
    d.stage = Etl::parseStage(o.value(EtlKey::Stage).toString());
    if (o.contains(EtlKey::XactionId))
        d.xactionId = o.value(EtlKey::XactionId).toString();
    d.error = o.value(EtlKey::Error).toString();
    d.objErrors = decodeObjErrors(o.value(EtlKey::ObjErrors).toArray());
    const QJsonObject perTarget = o.value(EtlKey::TargetErrors).toObject();
    for (auto it = perTarget.begin(); it != perTarget.end(); ++it)
        d.targetErrors.insert(it.key(), it.value().toString());
    return d;
}

QByteArray encodeTargetHealth(const QList<TargetHealth> &list)
{
    return encodeRows(list, [](const TargetHealth &h) {
        return QJsonObject{{EtlKey::TargetId, h.targetId}, {EtlKey::HealthStatus, h.status}};
    });
}

QList<TargetHealth> decodeTargetHealth(const QJsonArray &a)
{
    return decodeRows<TargetHealth>(a, [](const QJsonObject &o) {
        return TargetHealth{o.value(EtlKey::TargetId).toString(),
                            o.value(EtlKey::HealthStatus).toString()};
    });
}

QByteArray encodeEtlUsage(const EtlUsage &u)
{
    return compactObject(QJsonObject{{EtlKey::Cpu, u.cpuCores},
                                     {EtlKey::Mem, u.memBytes},
                                     {EtlKey::CpuLimit, u.cpuLimitCores},
                                     {EtlKey::MemLimit, u.memLimitBytes}});
}

EtlUsage decodeEtlUsage(const QJsonObject &o)
{
    return EtlUsage{o.value(EtlKey::Cpu).toDouble(), int64Of(o.value(EtlKey::Mem)),
                    o.value(EtlKey::CpuLimit).toDouble(), int64Of(o.value(EtlKey::MemLimit))};
}

QByteArray encodeTargetMetrics(const QList<TargetMetrics> &list)
{
    return encodeRows(list, [](const TargetMetrics &m) {
        QJsonObject o{{EtlKey::TargetId, m.targetId},
                      {EtlKey::Cpu, m.cpuCores},
                      {EtlKey::Mem, m.memBytes}};
        if (m.hasLimits) {
            o.insert(EtlKey::CpuLimit, m.cpuLimitCores);
            o.insert(EtlKey::MemLimit, m.memLimitBytes);
        }
        if (!m.error.isEmpty())
            o.insert(EtlKey::Error, m.error);
        return o;
    });
}

QList<TargetMetrics> decodeTargetMetrics(const QJsonArray &a)
{
    return decodeRows<TargetMetrics>(a, [](const QJsonObject &o) {
        const EtlUsage u = decodeEtlUsage(o);
        return TargetMetrics{o.value(EtlKey::TargetId).toString(),
                             u.cpuCores,
                             u.memBytes,
                             u.cpuLimitCores,
                             u.memLimitBytes,
                             o.contains(EtlKey::CpuLimit) || o.contains(EtlKey::MemLimit),
                             o.value(EtlKey::Error).toString()};
    });
}

QByteArray encodeTargetLogs(const QList<TargetLog> &list)
{
    return encodeRows(list, [](const TargetLog &l) {
        QJsonObject o{{EtlKey::TargetId, l.targetId},
                      {EtlKey::Logs, QString::fromLatin1(l.text.toBase64())}};
        if (!l.error.isEmpty())
            o.insert(EtlKey::Error, l.error);
        return o;
    });
}

QList<TargetLog> decodeTargetLogs(const QJsonArray &a)
{
    return decodeRows<TargetLog>(a, [](const QJsonObject &o) {
        return TargetLog{o.value(EtlKey::TargetId).toString(),
                         QByteArray::fromBase64(o.value(EtlKey::Logs).toString().toLatin1()),
                         o.value(EtlKey::Error).toString()};
    });
}

QByteArray encodeTargetEtlStats(const QList<TargetEtlStat> &list)
{
    return encodeRows(list, [](const TargetEtlStat &s) {
        QJsonArray pids;
        for (qint64 pid : s.pids)
            pids.append(pid);
        QJsonObject o = encodeCounters(s.etl);
        o.insert(EtlKey::Name, s.etl.name);
        o.insert(EtlKey::Xid, s.etl.xactionId);
        o.insert(EtlKey::Error, s.error);
        o.insert(EtlKey::Pids, pids);
        return o;
    });
}

QList<TargetEtlStat> decodeTargetEtlStats(const QJsonArray &a)
{
    return decodeRows<TargetEtlStat>(a, [](const QJsonObject &o) {
        TargetEtlStat s{decodeSummary(o, EtlKey::Name, EtlKey::Xid),
                        o.value(EtlKey::Error).toString(),
                        {}};
        for (const QJsonValue &pid : o.value(EtlKey::Pids).toArray())
            s.pids.append(int64Of(pid));
        return s;
    });
}

QByteArray encodeTargetEtlDetails(const TargetEtlDetails &d)
{
    return compactObject(QJsonObject{{EtlKey::Stage, Etl::stageName(d.stage)},
                                     {EtlKey::Error, d.error},
                                     {EtlKey::ObjErrors, encodeObjErrors(d.objErrors)}});
}

TargetEtlDetails decodeTargetEtlDetails(const QJsonObject &o)
{
    return TargetEtlDetails{Etl::parseStage(o.value(EtlKey::Stage).toString()),
                            o.value(EtlKey::Error).toString(),
                            decodeObjErrors(o.value(EtlKey::ObjErrors).toArray())};
}

QByteArray encodeEtlFailureReport(const EtlFailureReport &r)
{
    return compactObject(
        QJsonObject{{EtlKey::Target, r.target}, {EtlKey::Xid, r.xid}, {EtlKey::Error, r.error}});
}

EtlFailureReport decodeEtlFailureReport(const QJsonObject &o)
{
    return EtlFailureReport{o.value(EtlKey::Target).toString(), o.value(EtlKey::Xid).toString(),
                            o.value(EtlKey::Error).toString()};
}

} // namespace Kiln::Api
