#include "service/auth/claims.h"

#include "service/auth/autherror.h"
#include <QJsonArray>

#include <cmath>
#include <limits>
#include <QJsonValue>

namespace Kiln::Auth {
namespace {

Error invalid(const QString &what)
{
    return unauthenticated(QStringLiteral("invalid token: %1").arg(what));
}

// AIS writes permissions as a decimal string ("perm": "255"); a plain number is taken too.
Result<AccessAttrs> readPerm(const QJsonValue &value)
{
    if (value.isUndefined() || value.isNull())
        return AccessAttrs(0);
    if (value.isDouble() && value.toDouble() >= 0)
        return AccessAttrs(value.toDouble());
    bool ok = false;
    const AccessAttrs perm = value.toString().toULongLong(&ok);
    if (!ok)
        return invalid(QStringLiteral("permissions must be a number"));
    return perm;
}

Error forbidden(const Claims &claims, const QString &detail)
{
    return Auth::forbidden(QStringLiteral("user `%1` has insufficient permissions: %2")
                                .arg(claims.subject, detail));
}

QString providerOf(const QString &provider)
{
    return provider.isEmpty() ? QStringLiteral("ais") : provider;
}

} // namespace

bool BucketRef::operator==(const BucketRef &other) const
{
    return name == other.name && providerOf(provider) == providerOf(other.provider);
}

QJsonObject ClusterAcl::toJson() const
{
    QJsonObject json{{"id", id}};
    if (!alias.isEmpty())
        json.insert("alias", alias);
    if (!urls.isEmpty())
        json.insert("urls", QJsonArray::fromStringList(urls));
    if (access != 0)
        json.insert("perm", QString::number(access));
    return json;
}

Result<ClusterAcl> ClusterAcl::fromJson(const QJsonObject &json)
{
    ClusterAcl acl;
    acl.id = json.value("id").toString();
    acl.alias = json.value("alias").toString();
    for (const QJsonValue &url : json.value("urls").toArray())
        acl.urls << url.toString();
    auto perm = readPerm(json.value("perm"));
    if (!perm)
        return perm.error();
    acl.access = *perm;
    return acl;
}

QJsonObject BucketAcl::toJson() const
{
    const QJsonObject ns{{"uuid", clusterId}, {"name", QString()}};
    const QJsonObject bck{{"name", bucket.name}, {"provider", providerOf(bucket.provider)},
                          {"namespace", ns}};
    return QJsonObject{{"bck", bck}, {"perm", QString::number(access)}};
}

Result<BucketAcl> BucketAcl::fromJson(const QJsonObject &json)
{
    const QJsonObject bck = json.value("bck").toObject();
    BucketAcl acl;
    acl.bucket = {bck.value("provider").toString(), bck.value("name").toString()};
    acl.clusterId = bck.value("namespace").toObject().value("uuid").toString();
    auto perm = readPerm(json.value("perm"));
    if (!perm)
        return perm.error();
    acl.access = *perm;
    return acl;
}

QJsonObject Claims::toJson() const
{
    QJsonArray clusterList;
    for (const ClusterAcl &acl : clusters)
        clusterList.append(acl.toJson());
    QJsonObject json{{"sub", subject}, {"exp", expiresAt}, {"admin", admin},
                     {"clusters", clusterList}};
    if (issuedAt > 0)
        json.insert("iat", issuedAt);
    if (!buckets.isEmpty()) {
        QJsonArray bucketList;
        for (const BucketAcl &acl : buckets)
            bucketList.append(acl.toJson());
        json.insert("buckets", bucketList);
    }
    return json;
}

qint64 Claims::secondsOf(const QJsonValue &value)
{
    const double d = value.toDouble();
    if (std::isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return std::numeric_limits<qint64>::max();
    if (d <= -9223372036854775808.0)
        return std::numeric_limits<qint64>::min();
    return qint64(d);
}

Result<Claims> Claims::fromJson(const QJsonObject &json)
{
    Claims claims;
    claims.subject = json.value("sub").toString();
    if (claims.subject.isEmpty())
        return invalid(QStringLiteral("missing 'sub' claim"));
    if (!json.value("exp").isDouble())
        return invalid(QStringLiteral("missing 'exp' claim"));
    claims.expiresAt = secondsOf(json.value("exp"));
    claims.issuedAt = secondsOf(json.value("iat"));
    claims.admin = json.value("admin").toBool();
    for (const QJsonValue &item : json.value("clusters").toArray()) {
        auto acl = ClusterAcl::fromJson(item.toObject());
        if (!acl)
            return acl.error();
        claims.clusters.append(*acl);
    }
    for (const QJsonValue &item : json.value("buckets").toArray()) {
        auto acl = BucketAcl::fromJson(item.toObject());
        if (!acl)
            return acl.error();
        claims.buckets.append(*acl);
    }
    return claims;
}

const ClusterAcl *Claims::aclForCluster(const QString &clusterId) const
{
    const ClusterAcl *fallback = nullptr;
    for (const ClusterAcl &acl : clusters) {
        if (acl.id == clusterId)
            return &acl;
        if (acl.id.isEmpty())
            fallback = &acl;
    }
    return fallback;
}

const BucketAcl *Claims::aclForBucket(const QString &clusterId, const BucketRef &bucket) const
{
    for (const BucketAcl &acl : buckets) {
        if (acl.clusterId == clusterId && acl.bucket == bucket)
            return &acl;
    }
    return nullptr;
}

Result<void> Claims::check(const QString &clusterId, const BucketRef *bucket,
                           AccessAttrs wanted) const
{
    if (admin)
        return {};
    if (wanted == 0)
        return forbidden(*this, QStringLiteral("empty permissions requested"));
    const AccessAttrs clusterPerms = wanted & (Access::ClusterRW | Ace::Admin);
    const AccessAttrs bucketPerms = wanted & ~clusterPerms;
    const ClusterAcl *cluster = aclForCluster(clusterId);
    if (clusterPerms != 0 && (!cluster || !has(cluster->access, clusterPerms)))
        return forbidden(*this, QStringLiteral("%1 needed, granted %2")
                                    .arg(describeAccess(clusterPerms),
                                         describeAccess(cluster ? cluster->access : 0)));
    if (bucketPerms == 0)
        return {};
    if (bucket) {
        if (const BucketAcl *own = aclForBucket(clusterId, *bucket)) {
            if (has(own->access, bucketPerms))
                return {};
            return forbidden(*this, QStringLiteral("%1 needed on bucket %2, granted %3")
                                        .arg(describeAccess(bucketPerms), bucket->name,
                                             describeAccess(own->access)));
        }
    }
    if (!cluster || !has(cluster->access, bucketPerms))
        return forbidden(*this, QStringLiteral("%1 needed, granted %2")
                                    .arg(describeAccess(bucketPerms),
                                         describeAccess(cluster ? cluster->access : 0)));
    return {};
}

} // namespace Kiln::Auth
