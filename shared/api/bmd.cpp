#include "shared/api/bmd.h"

#include "shared/api/names.h"
#include "shared/api/wire.h"

#include <QJsonArray>

namespace Kiln::Api {

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

Result<void> Bmd::checkWritable(const QString &name) const
{
    const BucketProps *props = bucket(name);
    if (!props || props->renamingTo.isEmpty())
        return {};
    return makeError(ErrorCode::Conflict,
                     QStringLiteral("bucket \"%1\" is being renamed to \"%2\": it takes no writes "
                                    "until the move is over")
                         .arg(bucketCname(name), bucketCname(props->renamingTo)));
}

void Bmd::setRenaming(const QString &name, const QString &to)
{
    if (auto it = m_buckets.find(name); it != m_buckets.end()) {
        it->renamingTo = to;
        ++m_version;
    }
}

Result<BucketProps> Bmd::add(const QString &name, qint64 createdNs, const QJsonObject &propsToSet)
{
    BucketProps props;
    if (auto applied = props.apply(propsToSet); !applied)
        return applied.error();
    return addLike(name, createdNs, props);
}

Result<BucketProps> Bmd::addLike(const QString &name, qint64 createdNs, const BucketProps &like)
{
    if (m_buckets.contains(name))
        return makeError(ErrorCode::AlreadyExists,
                         QStringLiteral("bucket \"%1\" already exists").arg(bucketCname(name)),
                         "ErrBucketAlreadyExists");
    BucketProps props = like;
    props.name = name;
    props.renamingTo.clear();
    props.bid = m_nextBid++;
    props.createdNs = createdNs;
    m_buckets.insert(name, props);
    ++m_version;
    return props;
}

Result<BucketProps> Bmd::setProps(const QString &name, const QJsonObject &propsToSet)
{
    if (auto ok = check({}, name); !ok)
        return ok.error();
    BucketProps &props = m_buckets[name];
    if (auto applied = props.apply(propsToSet); !applied)
        return applied.error();
    ++m_version;
    return props;
}

Result<BucketProps> Bmd::resetProps(const QString &name)
{
    if (auto ok = check({}, name); !ok)
        return ok.error();
    BucketProps &props = m_buckets[name];
    props.reset();
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
