#include "shared/api/jobwire.h"

#include "shared/api/json.h"

#include <QJsonArray>

namespace Kiln::Api {
namespace {

namespace Counter {
constexpr char LocObjs[] = "loc-objs";
constexpr char LocBytes[] = "loc-bytes";
constexpr char OutObjs[] = "out-objs";
constexpr char OutBytes[] = "out-bytes";
constexpr char InObjs[] = "in-objs";
constexpr char InBytes[] = "in-bytes";
} // namespace Counter

} // namespace

QJsonObject encodeJobCounters(const JobCounters &c)
{
    return QJsonObject{{Counter::LocObjs, QString::number(c.locObjs)},
                       {Counter::LocBytes, QString::number(c.locBytes)},
                       {Counter::OutObjs, QString::number(c.outObjs)},
                       {Counter::OutBytes, QString::number(c.outBytes)},
                       {Counter::InObjs, QString::number(c.inObjs)},
                       {Counter::InBytes, QString::number(c.inBytes)}};
}

JobCounters decodeJobCounters(const QJsonObject &o)
{
    return JobCounters{int64Of(o.value(Counter::LocObjs)), int64Of(o.value(Counter::LocBytes)),
                       int64Of(o.value(Counter::OutObjs)), int64Of(o.value(Counter::OutBytes)),
                       int64Of(o.value(Counter::InObjs)),  int64Of(o.value(Counter::InBytes))};
}

QJsonObject encodeJobSnap(const JobSnap &s)
{
    return QJsonObject{{JobKey::Id, s.id},
                       {JobKey::Kind, s.kind},
                       {JobKey::Aborted, s.aborted},
                       {JobKey::IsIdle, s.idle},
                       {JobKey::AbortErr, s.abortErr},
                       {JobKey::Err, s.err},
                       {JobKey::Stats, encodeJobCounters(s.counters)},
                       {JobKey::EndNs, s.endNs}};
}

JobSnap decodeJobSnap(const QJsonObject &o)
{
    return JobSnap{o.value(JobKey::Id).toString(),
                   o.value(JobKey::Kind).toString(),
                   o.value(JobKey::Aborted).toBool(),
                   o.value(JobKey::AbortErr).toString(),
                   o.value(JobKey::Err).toString(),
                   o.value(JobKey::IsIdle).toBool(),
                   int64Of(o.value(JobKey::EndNs)),
                   decodeJobCounters(o.value(JobKey::Stats).toObject())};
}

QJsonObject encodeJobStatus(const JobStatus &s)
{
    QJsonObject o{{JobKey::Kind, s.kind},
                  {JobKey::Uuid, s.id},
                  {JobKey::Err, s.error},
                  {JobKey::EndTime, s.endTimeNs},
                  {JobKey::Aborted, s.aborted}};
    if (s.idle)
        o.insert(JobKey::IsIdle, *s.idle);
    return o;
}

JobStatus decodeJobStatus(const QJsonObject &o)
{
    JobStatus s{o.value(JobKey::Kind).toString(), o.value(JobKey::Uuid).toString(),
                o.value(JobKey::Err).toString(), int64Of(o.value(JobKey::EndTime)),
                o.value(JobKey::Aborted).toBool(), std::nullopt};
    if (o.contains(JobKey::IsIdle))
        s.idle = o.value(JobKey::IsIdle).toBool();
    return s;
}

JobStats decodeJobStats(const QJsonObject &perTarget)
{
    JobStats s;
    for (auto it = perTarget.begin(); it != perTarget.end(); ++it) {
        for (const QJsonValue &row : it.value().toArray()) {
            const JobSnap snap = decodeJobSnap(row.toObject());
            s.objects += snap.counters.locObjs + snap.counters.outObjs;
            s.bytes += snap.counters.locBytes + snap.counters.outBytes;
            if (!snap.err.isEmpty()) {
                ++s.errors;
                s.errorMessages.append(QStringLiteral("%1: %2").arg(it.key(), snap.err));
            }
        }
    }
    return s;
}

QJsonObject encodeJobEnd(const JobEnd &e)
{
    return QJsonObject{{JobKey::Target, e.target}, {JobKey::Aborted, e.aborted}};
}

JobEnd decodeJobEnd(const QJsonObject &o)
{
    return JobEnd{o.value(JobKey::Target).toString(), o.value(JobKey::Aborted).toBool()};
}

} // namespace Kiln::Api
