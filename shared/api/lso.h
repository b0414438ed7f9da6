#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QSet>
#include <QString>

namespace Kiln::Api {

// List-objects request (AIS "LsoMsg") as clients send it in the action message's value.
struct LsoMsg
{
    QString prefix;
    int pageSize = 0; // 0 = server maximum
    QString uuid;
    QString continuationToken;
    QString startAfter;
    QSet<QString> props; // empty = name and size
    quint64 flags = 0;

    bool wants(const QString &prop) const { return props.contains(prop); }
    int effectivePageSize() const;

    static Result<LsoMsg> fromJson(const QJsonValue &value);
    QJsonObject toJson() const;
};

// One listed object.
struct LsoEntry
{
    QString name;
    qint64 size = 0;
    QString checksum; // hex value
    qint64 atimeNs = 0;
    QString version;
    QString location; // "t[<tid>]:mp[<path>]"
    quint32 flags = 0;
    int copies = 1; // the object's files on its target's mountpaths (mirror copies present)

    static constexpr quint32 FlagCached = 64;
};

// One page of a listing; the continuation token is "" on the last page.
struct LsoPage
{
    QString uuid;
    QString continuationToken;
    QList<LsoEntry> entries;
    quint32 flags = 0;

    // Public wire forms; msg decides which optional properties go out.
    QByteArray toMsgpack(const LsoMsg &msg) const;
    QJsonObject toJson(const LsoMsg &msg) const;
    // Node-to-node form: every property, sizes as numbers.
    QJsonObject toInternalJson() const;
    static Result<LsoPage> fromInternalJson(const QJsonObject &json);
};

// AIS lists names in the order of their UTF-8 bytes (Go string order), which differs from
// QString's UTF-16 order for characters beyond the BMP.
bool aisNameLess(const QString &a, const QString &b);
void sortInAisOrder(QList<LsoEntry> &entries);

// Go's RFC 822 time, local zone, as AIS formats atime in listings when no time format is asked
// for: "02 Jan 21 03:04 UTC".
QString formatAtime(qint64 unixNs);

} // namespace Kiln::Api
