#pragma once

#include "shared/etl/stage.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

// The ETL control plane's wire messages, one encoder and one decoder each: what the proxy
// answers (GET /v1/etl, details, health, metrics, logs), what a target answers the proxy
// (_list, _details, metrics, the failure report), and the object errors both keep. kilnd
// encodes with these and the console decodes with them, so every key is spelled once, here.

namespace Kiln::Api {

namespace EtlKey {
inline constexpr char Id[] = "id";
inline constexpr char Name[] = "name";
inline constexpr char Stage[] = "stage";
inline constexpr char XactionId[] = "xaction_id";
inline constexpr char Xid[] = "xid";
inline constexpr char ObjCount[] = "obj_count";
inline constexpr char InBytes[] = "in_bytes";
inline constexpr char OutBytes[] = "out_bytes";
inline constexpr char InitMsg[] = "init_msg";
inline constexpr char Error[] = "error";
inline constexpr char ObjErrors[] = "obj_errors";
inline constexpr char TargetErrors[] = "target_errors";
inline constexpr char TargetId[] = "target_id";
inline constexpr char Target[] = "target";
inline constexpr char HealthStatus[] = "health_status";
inline constexpr char Cpu[] = "cpu";
inline constexpr char Mem[] = "mem";
inline constexpr char CpuLimit[] = "cpu_limit";
inline constexpr char MemLimit[] = "mem_limit";
inline constexpr char Logs[] = "logs";
inline constexpr char Pids[] = "pids";
inline constexpr char ObjName[] = "obj_name";
inline constexpr char Msg[] = "msg";
inline constexpr char Ecode[] = "ecode";
} // namespace EtlKey

// "/v1/etl", "/v1/etl/<name>", "/v1/etl/<name>/<tail>" (route patterns pass "{etl}" as name).
QString etlPath(const QString &name = {}, const QString &tail = {});

// One transformation error kept for an ETL's or an offline job's details (AIS keeps 128).
struct ObjError
{
    QString objName; // "ais://b/o"
    QString message;
    int code = 0;

    QString describe() const { return QStringLiteral("%1: %2").arg(objName, message); }
    bool operator==(const ObjError &) const = default;
};
QJsonObject encodeObjError(const ObjError &e);
ObjError decodeObjError(const QJsonObject &o);
QJsonArray encodeObjErrors(const QList<ObjError> &errors);
QList<ObjError> decodeObjErrors(const QJsonArray &a);

// One row of GET /v1/etl.
struct EtlSummary
{
    QString name;
    Etl::Stage stage = Etl::Stage::Unknown;
    QString xactionId;
    qint64 objCount = 0;
    qint64 inBytes = 0;
    qint64 outBytes = 0;
    bool operator==(const EtlSummary &) const = default;
};
QByteArray encodeEtlSummaries(const QList<EtlSummary> &list);
QList<EtlSummary> decodeEtlSummaries(const QJsonArray &a);

// GET /v1/etl/<name>: the stored init message and what went wrong. The errors of one offline
// job (?uuid=) carry no xaction id.
struct EtlDetails
{
    QJsonObject initMsg;
    Etl::Stage stage = Etl::Stage::Unknown;
    std::optional<QString> xactionId;
    QString error; // why the ETL is Aborted, when kilnd knows
    QList<ObjError> objErrors;
    QMap<QString, QString> targetErrors; // target id -> its error
    bool operator==(const EtlDetails &) const = default;
};
QByteArray encodeEtlDetails(const EtlDetails &d);
EtlDetails decodeEtlDetails(const QJsonObject &o);

// Per-target answers of the ETL health, metrics and logs fan-outs.
struct TargetHealth
{
    QString targetId;
    QString status; // Running, Pending, Failed, Unknown, Unreachable...
    bool operator==(const TargetHealth &) const = default;
};
QByteArray encodeTargetHealth(const QList<TargetHealth> &list);
QList<TargetHealth> decodeTargetHealth(const QJsonArray &a);

// An instance's CPU and memory as a target reports it (GET /v1/etl/<name>/metrics there).
struct EtlUsage
{
    double cpuCores = 0; // cores in use (1.0 = one core busy)
    qint64 memBytes = 0;
    double cpuLimitCores = 0; // 0: no limit
    qint64 memLimitBytes = 0; // 0: no limit
    bool operator==(const EtlUsage &) const = default;
};
QByteArray encodeEtlUsage(const EtlUsage &u);
EtlUsage decodeEtlUsage(const QJsonObject &o);

// One row of the proxy's metrics: a target that did not answer has no limits, and says why.
struct TargetMetrics
{
    QString targetId;
    double cpuCores = 0;
    qint64 memBytes = 0;
    double cpuLimitCores = 0;
    qint64 memLimitBytes = 0;
    bool hasLimits = false; // the target answered with its usage
    QString error;
    bool operator==(const TargetMetrics &) const = default;
};
QByteArray encodeTargetMetrics(const QList<TargetMetrics> &list);
QList<TargetMetrics> decodeTargetMetrics(const QJsonArray &a);

struct TargetLog
{
    QString targetId;
    QByteArray text;
    QString error; // why the target could not read them
    bool operator==(const TargetLog &) const = default;
};
QByteArray encodeTargetLogs(const QList<TargetLog> &list);
QList<TargetLog> decodeTargetLogs(const QJsonArray &a);

// One ETL as a target reports it to the proxy (GET /v1/etl/_list there): the summary's fields
// as this target sees them (xactionId goes out as "xid"), with its error and process ids.
struct TargetEtlStat
{
    EtlSummary etl;
    QString error;
    QList<qint64> pids;
    bool operator==(const TargetEtlStat &) const = default;
};
QByteArray encodeTargetEtlStats(const QList<TargetEtlStat> &list);
QList<TargetEtlStat> decodeTargetEtlStats(const QJsonArray &a);

// A target's details of one ETL (GET /v1/etl/<name>/_details there).
struct TargetEtlDetails
{
    Etl::Stage stage = Etl::Stage::Unknown;
    QString error;
    QList<ObjError> objErrors;
    bool operator==(const TargetEtlDetails &) const = default;
};
QByteArray encodeTargetEtlDetails(const TargetEtlDetails &d);
TargetEtlDetails decodeTargetEtlDetails(const QJsonObject &o);

// A target tells the proxy that a running instance failed (POST /v1/etl/<name>/_failed).
struct EtlFailureReport
{
    QString target;
    QString xid;
    QString error;
    bool operator==(const EtlFailureReport &) const = default;
};
QByteArray encodeEtlFailureReport(const EtlFailureReport &r);
EtlFailureReport decodeEtlFailureReport(const QJsonObject &o);

} // namespace Kiln::Api
