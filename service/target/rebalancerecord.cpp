#include "service/target/rebalancerecord.h"

#include "shared/api/json.h"

namespace Kiln::Target {
namespace {

qint64 msOf(const QDateTime &t)
{
    return t.isValid() ? t.toMSecsSinceEpoch() : 0;
}

QDateTime timeOf(const QJsonObject &json, const char *key)
{
    const qint64 ms = json.value(QLatin1String(key)).toInteger();
    return ms > 0 ? QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC) : QDateTime();
}

} // namespace

QByteArray RebalanceRecord::toJson() const
{
    return Api::compact(QJsonObject{{"smap_version", smapVersion},
                                    {"started_ms", msOf(started)},
                                    {"ended_ms", msOf(ended)},
                                    {"aborted", aborted},
                                    {"sent_objects", stats.sentObjects},
                                    {"sent_bytes", stats.sentBytes},
                                    {"received_objects", stats.receivedObjects},
                                    {"received_bytes", stats.receivedBytes},
                                    {"errors", stats.errors}});
}

Result<RebalanceRecord> RebalanceRecord::fromJson(const QByteArray &bytes)
{
    auto json = Api::parseObject(bytes, "rebalance record");
    if (!json)
        return json.error();
    RebalanceRecord r;
    r.smapVersion = json->value("smap_version").toInteger();
    r.started = timeOf(*json, "started_ms");
    r.ended = timeOf(*json, "ended_ms");
    r.aborted = json->value("aborted").toBool();
    r.stats.sentObjects = json->value("sent_objects").toInteger();
    r.stats.sentBytes = json->value("sent_bytes").toInteger();
    r.stats.receivedObjects = json->value("received_objects").toInteger();
    r.stats.receivedBytes = json->value("received_bytes").toInteger();
    r.stats.errors = json->value("errors").toInteger();
    return r;
}

} // namespace Kiln::Target
