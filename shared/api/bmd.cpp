#include "shared/api/bmd.h"

#include "shared/api/names.h"
#include "shared/api/wire.h"

#include <QJsonArray>

#include <limits>

namespace Kiln::Api {

QJsonObject BucketProps::toAisProps() const
{
    // Counters AIS tags ",string" go out quoted.
    return QJsonObject{
        {"provider", ProviderAis},
        {"bid", QString::number(bid)},
        {"created", QString::number(createdNs)},
        // AIS's defaults for a new ais:// bucket: every access bit, two-way mirroring when
        // enabled (it is not), objects and metadata written immediately.
        {"access", QString::number(std::numeric_limits<quint64>::max())},
        {"features", "0"},
        {"versioning", QJsonObject{{"enabled", true}, {"validate_warm_get", false}}},
        {"checksum", QJsonObject{{"type", ChecksumXxhash2}, {"validate_cold_get", false}}},
        {"mirror", QJsonObject{{"copies", 2}, {"enabled", false}}},
        {"write_policy", QJsonObject{{"data", "immediate"}, {"md", "immediate"}}},
    };
}

QJsonObject BucketProps::toJson() const
{
    return QJsonObject{{"name", name}, {"bid", qint64(bid)}, {"created", createdNs}};
}

BucketProps BucketProps::fromJson(const QJsonObject &json)
{
    BucketProps props;
    props.name = json.value("name").toString();
    props.bid = quint64(json.value("bid").toInteger());
    props.createdNs = json.value("created").toInteger();
    return props;
}

const BucketProps *Bmd::bucket(const QString &name) const
{
    const auto it = m_buckets.constFind(name);
    return it == m_buckets.constEnd() ? nullptr : &*it;
}

Result<void> checkProvider(const QString &provider)
{
    if (!provider.isEmpty() && provider != ProviderAis)
        return makeError(
            ErrorCode::Unsupported,
            QStringLiteral("provider \"%1\" is not supported: Kiln stores ais:// buckets only")
                .arg(provider));
    return {};
}

Result<void> Bmd::check(const QString &provider, const QString &name) const
{
    if (auto ok = checkProvider(provider); !ok)
        return ok;
    if (auto valid = validateBucketName(name); !valid)
        return valid;
    if (!contains(name))
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("bucket \"%1\" does not exist").arg(bucketCname(name)),
                         "ErrBckNotFound");
    return {};
}

Result<BucketProps> Bmd::add(const QString &name, qint64 createdNs)
{
    if (m_buckets.contains(name))
        return makeError(ErrorCode::AlreadyExists,
                         QStringLiteral("bucket \"%1\" already exists").arg(bucketCname(name)),
                         "ErrBucketAlreadyExists");
    BucketProps props{name, m_nextBid++, createdNs};
    m_buckets.insert(name, props);
    ++m_version;
    return props;
}

bool Bmd::remove(const QString &name)
{
    if (m_buckets.remove(name) == 0)
        return false;
    ++m_version;
    return true;
}

QJsonObject Bmd::toJson() const
{
    QJsonArray list;
    for (const BucketProps &props : m_buckets)
        list.append(props.toJson());
    return QJsonObject{{"version", m_version}, {"next_bid", qint64(m_nextBid)}, {"buckets", list}};
}

Result<Bmd> Bmd::fromJson(const QJsonObject &json)
{
    Bmd bmd;
    bmd.m_version = json.value("version").toInteger();
    bmd.m_nextBid = quint64(std::max<qint64>(1, json.value("next_bid").toInteger()));
    const QJsonValue buckets = json.value("buckets");
    if (!buckets.isArray() && !buckets.isUndefined())
        return makeError(ErrorCode::InvalidArgument, "bmd: buckets is not a list");
    for (const QJsonValue &v : buckets.toArray()) {
        const BucketProps props = BucketProps::fromJson(v.toObject());
        if (!validateBucketName(props.name))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("bmd: bad bucket name \"%1\"").arg(props.name));
        bmd.m_buckets.insert(props.name, props);
        bmd.m_nextBid = std::max(bmd.m_nextBid, props.bid + 1);
    }
    return bmd;
}

} // namespace Kiln::Api
