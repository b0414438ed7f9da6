#include "shared/api/lso.h"

#include "shared/api/json.h"
#include "shared/api/wire.h"

#include <msgpack.hpp>

#include <QDateTime>
#include <QJsonArray>
#include <QLocale>
#include <QTimeZone>

#include <sstream>

namespace Kiln::Api {
namespace {

void packString(msgpack::packer<std::stringstream> &pk, const QString &s)
{
    const QByteArray utf8 = s.toUtf8();
    pk.pack_str(uint32_t(utf8.size()));
    pk.pack_str_body(utf8.constData(), uint32_t(utf8.size()));
}

qint64 toInt64(const QJsonValue &v, bool *ok)
{
    *ok = true;
    if (v.isString())
        return v.toString().toLongLong(ok);
    if (v.isDouble())
        return v.toInteger();
    if (v.isUndefined() || v.isNull())
        return 0;
    *ok = false;
    return 0;
}

} // namespace

int LsoMsg::effectivePageSize() const
{
    return (pageSize <= 0 || pageSize > MaxPageSize) ? MaxPageSize : pageSize;
}

Result<LsoMsg> LsoMsg::fromJson(const QJsonValue &value)
{
    LsoMsg msg;
    if (value.isNull() || value.isUndefined())
        return msg;
    if (!value.isObject())
        return makeError(ErrorCode::InvalidArgument, "invalid list-objects message: not an object");
    const QJsonObject o = value.toObject();
    msg.prefix = valueCi(o, u"prefix").toString();
    bool ok = true;
    const qint64 pageSize = toInt64(valueCi(o, u"pagesize"), &ok);
    if (!ok || pageSize < 0)
        return makeError(ErrorCode::InvalidArgument, "invalid list-objects message: bad pagesize");
    msg.pageSize = int(std::min<qint64>(pageSize, MaxPageSize));
    msg.uuid = valueCi(o, u"uuid").toString();
    msg.continuationToken = valueCi(o, u"continuation_token").toString();
    msg.startAfter = valueCi(o, u"start_after").toString();
    const qint64 flags = toInt64(valueCi(o, u"flags"), &ok);
    if (!ok)
        return makeError(ErrorCode::InvalidArgument, "invalid list-objects message: bad flags");
    msg.flags = quint64(flags);
    for (const QString &p : valueCi(o, u"props").toString().split(',', Qt::SkipEmptyParts))
        msg.props.insert(p.trimmed());
    return msg;
}

QJsonObject LsoMsg::toJson() const
{
    QStringList list(props.begin(), props.end());
    list.sort();
    return QJsonObject{{"prefix", prefix},
                       {"pagesize", pageSize},
                       {"uuid", uuid},
                       {"continuation_token", continuationToken},
                       {"start_after", startAfter},
                       {"props", list.join(',')},
                       {"flags", QString::number(flags)}};
}

bool aisNameLess(const QString &a, const QString &b)
{
    return a.toUtf8() < b.toUtf8();
}

void sortInAisOrder(QList<LsoEntry> &entries)
{
    // Convert each name once, not once per comparison.
    QList<std::pair<QByteArray, qsizetype>> keys;
    keys.reserve(entries.size());
    for (qsizetype i = 0; i < entries.size(); ++i)
        keys.append({entries[i].name.toUtf8(), i});
    std::sort(keys.begin(), keys.end());
    QList<LsoEntry> sorted;
    sorted.reserve(entries.size());
    for (const auto &key : keys)
        sorted.append(std::move(entries[key.second]));
    entries = std::move(sorted);
}

QString formatAtime(qint64 unixNs)
{
    // Go's time.RFC822 ("02 Jan 06 15:04 MST") in the local time zone, as AIS formats it.
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(unixNs / 1000000, Qt::LocalTime);
    return QLocale::c().toString(t, QStringLiteral("dd MMM yy HH:mm ")) + t.timeZoneAbbreviation();
}

QByteArray LsoPage::toMsgpack(const LsoMsg &msg) const
{
    std::stringstream buffer;
    msgpack::packer<std::stringstream> pk(buffer);
    pk.pack_map(4);
    packString(pk, QStringLiteral("UUID"));
    packString(pk, uuid);
    packString(pk, QStringLiteral("ContinuationToken"));
    packString(pk, continuationToken);
    packString(pk, QStringLiteral("Entries"));
    pk.pack_array(uint32_t(entries.size()));
    for (const LsoEntry &e : entries) {
        const bool checksum = msg.wants("checksum") && !e.checksum.isEmpty();
        const bool atime = msg.wants("atime") && e.atimeNs > 0;
        const bool version = msg.wants("version") && !e.version.isEmpty();
        const bool location = msg.wants("location") && !e.location.isEmpty();
        const bool copies = msg.wants("copies");
        const bool size = e.size != 0;
        // Name and flags always; the rest only when asked and non-empty, as AIS omits empties
        // (a size of 0 too).
        pk.pack_map(2 + int(size) + int(checksum) + int(atime) + int(version) + int(location)
                    + int(copies));
        packString(pk, QStringLiteral("n"));
        packString(pk, e.name);
        if (size) {
            packString(pk, QStringLiteral("s"));
            pk.pack_int64(e.size);
        }
        packString(pk, QStringLiteral("f"));
        pk.pack_uint32(e.flags);
        if (checksum) {
            packString(pk, QStringLiteral("cs"));
            packString(pk, e.checksum);
        }
        if (atime) {
            packString(pk, QStringLiteral("a"));
            packString(pk, formatAtime(e.atimeNs));
        }
        if (version) {
            packString(pk, QStringLiteral("v"));
            packString(pk, e.version);
        }
        if (location) {
            packString(pk, QStringLiteral("t"));
            packString(pk, e.location);
        }
        if (copies) {
            packString(pk, QStringLiteral("c"));
            pk.pack_int(e.copies);
        }
    }
    packString(pk, QStringLiteral("Flags"));
    pk.pack_uint32(flags);
    const std::string out = buffer.str();
    return QByteArray(out.data(), qsizetype(out.size()));
}

QJsonObject LsoPage::toJson(const LsoMsg &msg) const
{
    QJsonArray list;
    for (const LsoEntry &e : entries) {
        // AIS tags the entry size ",string" and omits it when 0.
        QJsonObject entry{{"name", e.name}, {"flags", int(e.flags)}};
        if (e.size != 0)
            entry.insert("size", QString::number(e.size));
        if (msg.wants("checksum") && !e.checksum.isEmpty())
            entry.insert("checksum", e.checksum);
        if (msg.wants("atime") && e.atimeNs > 0)
            entry.insert("atime", formatAtime(e.atimeNs));
        if (msg.wants("version") && !e.version.isEmpty())
            entry.insert("version", e.version);
        if (msg.wants("location") && !e.location.isEmpty())
            entry.insert("location", e.location);
        if (msg.wants("copies"))
            entry.insert("copies", e.copies);
        list.append(entry);
    }
    return QJsonObject{{"uuid", uuid},
                       {"continuation_token", continuationToken},
                       {"entries", list},
                       {"flags", int(flags)}};
}

QJsonObject LsoPage::toInternalJson() const
{
    QJsonArray list;
    for (const LsoEntry &e : entries) {
        list.append(QJsonObject{{"name", e.name},
                                {"size", e.size},
                                {"checksum", e.checksum},
                                {"atime", e.atimeNs},
                                {"version", e.version},
                                {"location", e.location},
                                {"copies", e.copies},
                                {"flags", qint64(e.flags)}});
    }
    return QJsonObject{
        {"uuid", uuid}, {"continuation_token", continuationToken}, {"entries", list}};
}

Result<LsoPage> LsoPage::fromInternalJson(const QJsonObject &json)
{
    LsoPage page;
    page.uuid = json.value("uuid").toString();
    page.continuationToken = json.value("continuation_token").toString();
    const QJsonValue entries = json.value("entries");
    if (!entries.isArray())
        return makeError(ErrorCode::Internal, "list page: entries missing");
    for (const QJsonValue &v : entries.toArray()) {
        const QJsonObject o = v.toObject();
        LsoEntry e;
        e.name = o.value("name").toString();
        e.size = o.value("size").toInteger();
        e.checksum = o.value("checksum").toString();
        e.atimeNs = o.value("atime").toInteger();
        e.version = o.value("version").toString();
        e.location = o.value("location").toString();
        e.flags = quint32(o.value("flags").toInteger());
        e.copies = o.value("copies").toInt(1);
        page.entries.append(e);
    }
    return page;
}

} // namespace Kiln::Api
