#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

// The job (xaction) messages, one encoder and one decoder each: a target's snapshot of its part
// of a job (GET /v1/xactions/<id>, the rows of what=qryxstats), the proxy's status of a whole job
// (what=status, status_all) and a target's report that its part ended. kilnd encodes with these
// and the console decodes with them, so every key is spelled once, here.

namespace Kiln::Api {

namespace JobKey {
inline constexpr char Id[] = "id";
inline constexpr char Uuid[] = "uuid";
inline constexpr char Kind[] = "kind";
inline constexpr char Err[] = "err";
inline constexpr char AbortErr[] = "abort-err";
inline constexpr char Aborted[] = "aborted";
inline constexpr char IsIdle[] = "is_idle";
inline constexpr char EndTime[] = "end_time";
inline constexpr char EndNs[] = "end_ns";
inline constexpr char Stats[] = "stats";
inline constexpr char Target[] = "target";
} // namespace JobKey

// A target's counters for its part of a job (AIS tags them ",string": sent as strings).
struct JobCounters
{
    qint64 locObjs = 0;
    qint64 locBytes = 0;
    qint64 outObjs = 0;
    qint64 outBytes = 0;
    qint64 inObjs = 0;
    qint64 inBytes = 0;
    bool operator==(const JobCounters &) const = default;
};
QJsonObject encodeJobCounters(const JobCounters &c);
JobCounters decodeJobCounters(const QJsonObject &o);

// The part of a target's job snapshot that the proxy and the console read. The target adds
// what only AIS clients read (buckets, times) to the encoded object.
struct JobSnap
{
    QString id;
    QString kind;
    bool aborted = false;
    QString abortErr;
    QString err; // the objects that failed, when the job went on
    bool idle = false;
    qint64 endNs = 0; // 0 while running
    JobCounters counters;
    bool operator==(const JobSnap &) const = default;
};
QJsonObject encodeJobSnap(const JobSnap &s);
JobSnap decodeJobSnap(const QJsonObject &o);

// GET /v1/cluster?what=status for one job.
struct JobStatus
{
    QString kind;
    QString id;
    QString error;
    qint64 endTimeNs = 0; // 0 while running
    bool aborted = false;
    std::optional<bool> idle; // sent for the kinds waited for by their idleness
    bool finished() const { return endTimeNs > 0; }
    bool operator==(const JobStatus &) const = default;
};
QJsonObject encodeJobStatus(const JobStatus &s);
JobStatus decodeJobStatus(const QJsonObject &o);

// Sums of a job's per-target snapshots (what=qryxstats: {target id: [snapshot, ...]}).
struct JobStats
{
    qint64 objects = 0; // loc-objs + out-objs
    qint64 bytes = 0; // loc-bytes + out-bytes
    int errors = 0; // targets that report an error
    QStringList errorMessages; // "<target id>: <err>"
};
JobStats decodeJobStats(const QJsonObject &perTarget);

// A target's report to the proxy that its part of a job ended.
struct JobEnd
{
    QString target;
    bool aborted = false;
    bool operator==(const JobEnd &) const = default;
};
QJsonObject encodeJobEnd(const JobEnd &e);
JobEnd decodeJobEnd(const QJsonObject &o);

} // namespace Kiln::Api
