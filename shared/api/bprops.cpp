#include "shared/api/bprops.h"

#include "shared/api/json.h"
#include "shared/api/names.h"
#include "shared/api/objectwire.h"
#include "shared/api/wire.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

#include <algorithm>
#include <climits>
#include <optional>

namespace Kiln::Api {
namespace {

bool isChecksumType(const QString &type)
{
    using namespace Checksum;
    for (const char *t : {None, Xxhash, Xxhash2, Md5, Crc32c, Sha256, Sha512}) {
        if (type == QLatin1String(t))
            return true;
    }
    return false;
}

QString show(const QJsonValue &v)
{
    const QByteArray array = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(array.mid(1, array.size() - 2));
}

Error badValue(const QString &key, const QJsonValue &v, const QString &expected)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("invalid bucket property \"%1\" = %2 (expecting %3)")
                         .arg(key, show(v), expected));
}

Result<bool> boolean(const QString &key, const QJsonValue &v)
{
    if (v.isBool())
        return v.toBool();
    if (v.isString() && (v.toString() == "true" || v.toString() == "false"))
        return v.toString() == "true";
    return badValue(key, v, QStringLiteral("true or false"));
}

// AIS sends access as a quoted decimal (",string"); accept a number too.
Result<quint64> accessBits(const QJsonValue &v)
{
    bool ok = v.isDouble() && v.toDouble() >= 0;
    quint64 bits = ok ? quint64(v.toInteger()) : 0;
    if (v.isString())
        bits = v.toString().toULongLong(&ok);
    if (!ok)
        return badValue(QStringLiteral("access"), v, QStringLiteral("a decimal bit mask"));
    return bits;
}

// Sets one bool field of a section ("versioning.enabled") from the section's JSON.
Result<void> applyBools(const QString &section, const QJsonObject &json,
                        const QList<QPair<QString, bool *>> &fields)
{
    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        bool *target = nullptr;
        for (const auto &[key, field] : fields) {
            if (key == it.key())
                target = field;
        }
        if (!target)
            return makeError(
                ErrorCode::InvalidArgument,
                QStringLiteral("unknown bucket property \"%1.%2\"").arg(section, it.key()));
        auto value = boolean(section + '.' + it.key(), it.value());
        if (!value)
            return value.error();
        *target = *value;
    }
    return {};
}

Result<void> applyChecksum(BucketProps &p, QJsonObject json)
{
    if (json.contains("type")) {
        const QString type = json.take("type").toString();
        if (!isChecksumType(type))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("invalid checksum type \"%1\" (expecting [crc32c md5 "
                                            "sha256 sha512 xxhash xxhash2 none])")
                                 .arg(type));
        p.checksumType = type;
    }
    return applyBools(QStringLiteral("checksum"), json,
                      {{"validate_cold_get", &p.validateColdGet},
                       {"validate_warm_get", &p.validateWarmGet},
                       {"validate_obj_move", &p.validateObjMove},
                       {"enable_read_range", &p.enableReadRange}});
}

// A whole number sent as a JSON number or a decimal string (the CLI sends strings).
std::optional<qint64> wholeNumber(const QJsonValue &v)
{
    bool ok = v.isDouble() && v.toDouble() == double(v.toInteger());
    qint64 n = ok ? v.toInteger() : 0;
    if (v.isString())
        n = v.toString().toLongLong(&ok);
    return ok ? std::optional<qint64>(n) : std::nullopt;
}

Result<int> sliceCount(const QString &key, const QJsonValue &v)
{
    const std::optional<qint64> n = wholeNumber(v);
    if (!n || *n < EcMinSlices || *n > EcMaxSlices)
        return badValue(key, v,
                        QStringLiteral("an integer in [%1, %2]").arg(EcMinSlices).arg(EcMaxSlices));
    return int(*n);
}

Result<qint64> sizeLimit(const QJsonValue &v)
{
    const std::optional<qint64> n = wholeNumber(v);
    if (!n || *n < 0)
        return badValue(QStringLiteral("ec.objsize_limit"), v,
                        QStringLiteral("a non-negative size in bytes"));
    return *n;
}

// The ec section: enabled and the sizes, validated as AIS's ECConf.Validate does.
Result<void> applyEc(BucketProps &p, const QJsonObject &json)
{
    for (auto it = json.constBegin(); it != json.constEnd(); ++it) {
        const QString key = QStringLiteral("ec.") + it.key();
        if (it.key() == "enabled") {
            auto on = boolean(key, it.value());
            if (!on)
                return on.error();
            p.ec.enabled = *on;
        } else if (it.key() == "data_slices" || it.key() == "parity_slices") {
            auto n = sliceCount(key, it.value());
            if (!n)
                return n.error();
            (it.key() == "data_slices" ? p.ec.dataSlices : p.ec.paritySlices) = *n;
        } else if (it.key() == "objsize_limit") {
            auto n = sizeLimit(it.value());
            if (!n)
                return n.error();
            p.ec.objsizeLimit = *n;
        } else {
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("unknown bucket property \"%1\"").arg(key));
        }
    }
    return {};
}

// AIS's rule: while EC stays enabled its slice counts are fixed (the stored slices would no
// longer decode); disable it first.
Result<void> checkEcChange(const EcProps &before, const EcProps &after, const QString &bucket)
{
    if (!before.enabled || !after.enabled)
        return {};
    if (before.dataSlices == after.dataSlices && before.paritySlices == after.paritySlices)
        return {};
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("%1: erasure coding is enabled: its data and parity slices "
                                    "cannot change (%2/%3 -> %4/%5); disable it first")
                         .arg(bucketCname(bucket))
                         .arg(before.dataSlices)
                         .arg(before.paritySlices)
                         .arg(after.dataSlices)
                         .arg(after.paritySlices));
}

Result<int> integer(const QString &key, const QJsonValue &v)
{
    const std::optional<qint64> n = wholeNumber(v);
    if (!n || *n < INT_MIN || *n > INT_MAX)
        return badValue(key, v, QStringLiteral("an integer"));
    return int(*n);
}

// mirror.enabled, mirror.copies, mirror.burst_buffer; checked as AIS's MirrorConf does (the
// mountpath count is the proxy's check: it asks the targets).
Result<void> applyMirror(BucketProps &p, QJsonObject json)
{
    for (const char *key : {"copies", "burst_buffer"}) {
        if (!json.contains(key))
            continue;
        auto n = integer(QStringLiteral("mirror.%1").arg(key), json.take(key));
        if (!n)
            return n.error();
        (qstrcmp(key, "copies") == 0 ? p.mirrorCopies : p.mirrorBurst) = *n;
    }
    json.remove("util_thresh"); // AIS's older field, accepted and ignored
    if (auto ok = applyBools(QStringLiteral("mirror"), json, {{"enabled", &p.mirrorEnabled}}); !ok)
        return ok;
    if (p.mirrorBurst < 0)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid mirror.burst_buffer: %1 (expected >0)")
                             .arg(p.mirrorBurst));
    if (p.mirrorCopies < 1 || p.mirrorCopies > MaxMirrorCopies
        || (p.mirrorEnabled && p.mirrorCopies < 2))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid mirror.copies: %1 (expected value in range [2, %2])")
                             .arg(p.mirrorCopies)
                             .arg(MaxMirrorCopies));
    return {};
}

} // namespace

QJsonObject BucketProps::toAisProps() const
{
    // Counters AIS tags ",string" go out quoted; the other sections carry AIS's defaults.
    QJsonObject props{
        {"provider", ProviderAis},
        {"bid", QString::number(bid)},
        {"created", QString::number(createdNs)},
        {"access", QString::number(access)},
        {"features", "0"},
        {"versioning",
         QJsonObject{{"enabled", versioning},
                     {"validate_warm_get", validateWarmGetVersion},
                     {"synchronize", synchronize}}},
        {"checksum",
         QJsonObject{{"type", checksumType},
                     {"validate_cold_get", validateColdGet},
                     {"validate_warm_get", validateWarmGet},
                     {"validate_obj_move", validateObjMove},
                     {"enable_read_range", enableReadRange}}},
        {"mirror",
         QJsonObject{
             {"copies", mirrorCopies}, {"burst_buffer", mirrorBurst}, {"enabled", mirrorEnabled}}},
        {"ec",
         QJsonObject{{"enabled", ec.enabled},
                     {"data_slices", ec.dataSlices},
                     {"parity_slices", ec.paritySlices},
                     {"objsize_limit", ec.objsizeLimit}}},
        // AIS's defaults: no LRU, objects and metadata written immediately.
        {"lru", QJsonObject{{"enabled", false}}},
        {"write_policy", QJsonObject{{"data", "immediate"}, {"md", "immediate"}}},
    };
    if (!renamingTo.isEmpty())
        props.insert("Renamed", "move-bck"); // as AIS marks a bucket being renamed
    return props;
}

QJsonObject BucketProps::toJson() const
{
    QJsonObject json = toAisProps();
    json.insert("name", name);
    json.insert("bid", qint64(bid));
    json.insert("created", createdNs);
    if (!renamingTo.isEmpty())
        json.insert("renaming_to", renamingTo);
    return json;
}

BucketProps BucketProps::fromJson(const QJsonObject &json)
{
    BucketProps p;
    p.name = json.value("name").toString();
    p.bid = quint64(json.value("bid").toInteger());
    p.createdNs = json.value("created").toInteger();
    p.renamingTo = json.value("renaming_to").toString();
    // Buckets saved before props existed have none of the keys below: the defaults stay.
    const QJsonObject versioning = json.value("versioning").toObject();
    p.versioning = versioning.value("enabled").toBool(p.versioning);
    p.validateWarmGetVersion = versioning.value("validate_warm_get").toBool(false);
    p.synchronize = versioning.value("synchronize").toBool(false);
    const QJsonObject checksum = json.value("checksum").toObject();
    if (isChecksumType(checksum.value("type").toString()))
        p.checksumType = checksum.value("type").toString();
    p.validateColdGet = checksum.value("validate_cold_get").toBool(false);
    p.validateWarmGet = checksum.value("validate_warm_get").toBool(false);
    p.validateObjMove = checksum.value("validate_obj_move").toBool(false);
    p.enableReadRange = checksum.value("enable_read_range").toBool(false);
    const QJsonObject ec = json.value("ec").toObject();
    if (auto n = sliceCount({}, ec.value("data_slices")))
        p.ec.dataSlices = *n;
    if (auto n = sliceCount({}, ec.value("parity_slices")))
        p.ec.paritySlices = *n;
    if (auto n = sizeLimit(ec.value("objsize_limit")); n && ec.contains("objsize_limit"))
        p.ec.objsizeLimit = *n;
    p.ec.enabled = ec.value("enabled").toBool(false);
    const QJsonObject mirror = json.value("mirror").toObject();
    p.mirrorEnabled = mirror.value("enabled").toBool(false);
    p.mirrorCopies = std::clamp(mirror.value("copies").toInt(2), 1, MaxMirrorCopies);
    p.mirrorBurst = std::max(0, mirror.value("burst_buffer").toInt(0));
    if (p.mirrorEnabled && p.mirrorCopies < 2)
        p.mirrorEnabled = false;
    if (json.contains("access")) {
        if (auto bits = accessBits(json.value("access")))
            p.access = *bits;
    }
    return p;
}

Result<void> BucketProps::apply(const QJsonObject &toSet)
{
    BucketProps next = *this;
    for (auto it = toSet.constBegin(); it != toSet.constEnd(); ++it) {
        const QString &key = it.key();
        if (key == "versioning") {
            if (!it.value().isObject())
                return badValue(key, it.value(), QStringLiteral("an object"));
            auto ok = applyBools(key, it.value().toObject(),
                                 {{"enabled", &next.versioning},
                                  {"validate_warm_get", &next.validateWarmGetVersion},
                                  {"synchronize", &next.synchronize}});
            if (!ok)
                return ok;
        } else if (key == "checksum") {
            if (!it.value().isObject())
                return badValue(key, it.value(), QStringLiteral("an object"));
            if (auto ok = applyChecksum(next, it.value().toObject()); !ok)
                return ok;
        } else if (key == "ec") {
            if (!it.value().isObject())
                return badValue(key, it.value(), QStringLiteral("an object"));
            if (auto ok = applyEc(next, it.value().toObject()); !ok)
                return ok;
            if (auto ok = checkEcChange(ec, next.ec, name); !ok)
                return ok;
        } else if (key == "mirror") {
            if (!it.value().isObject())
                return badValue(key, it.value(), QStringLiteral("an object"));
            if (auto ok = applyMirror(next, it.value().toObject()); !ok)
                return ok;
        } else if (key == "access") {
            auto bits = accessBits(it.value());
            if (!bits)
                return bits.error();
            next.access = *bits;
        } else if (it.value().isNull()) {
            continue; // Go omits empty sections, others may send null
        } else {
            static const QStringList known{"backend_bck", "lru",        "chunks",
                                           "ec",          "rate_limit", "features", "write_policy",
                                           "extra",       "force"};
            if (!known.contains(key))
                return makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("unknown bucket property \"%1\"").arg(key));
            return makeError(ErrorCode::Unsupported,
                             QStringLiteral("cannot set bucket property \"%1\" of %2 - not "
                                            "implemented yet")
                                 .arg(key, bucketCname(name)),
                             QStringLiteral("ErrNotImpl"));
        }
    }
    // AIS refuses both on one bucket: each keeps its own redundant copies of every object.
    if (next.mirrorEnabled && next.ec.enabled)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot enable mirroring and ec at the same time for the "
                                        "same bucket"));
    *this = next;
    return {};
}

void BucketProps::reset()
{
    BucketProps fresh;
    fresh.name = name;
    fresh.bid = bid;
    fresh.createdNs = createdNs;
    *this = fresh;
}

} // namespace Kiln::Api
