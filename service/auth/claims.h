#pragma once

#include "service/auth/access.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Kiln::Auth {

// A bucket as permissions name it: provider ("ais" when empty) and name.
struct BucketRef
{
    QString provider;
    QString name;
    bool operator==(const BucketRef &other) const;
};

// AuthN's CluACL: a cluster (by UUID; "" is the default for any cluster) and its permissions.
struct ClusterAcl
{
    QString id;
    QString alias;
    QStringList urls;
    AccessAttrs access = 0;

    QJsonObject toJson() const;
    static Result<ClusterAcl> fromJson(const QJsonObject &json);
};

// AuthN's BckACL: one bucket of one cluster (namespace.uuid) and its permissions.
struct BucketAcl
{
    BucketRef bucket;
    QString clusterId; // the bucket's namespace UUID: the cluster it belongs to
    AccessAttrs access = 0;

    QJsonObject toJson() const;
    static Result<BucketAcl> fromJson(const QJsonObject &json);
};

// The claims of an AIS token (tok.AISClaims): the registered sub and exp, the admin flag and
// the cluster and bucket ACLs. Only what decides access is kept.
struct Claims
{
    QString subject;
    qint64 expiresAt = 0; // seconds since the epoch; 0: none (refused)
    qint64 issuedAt = 0;
    bool admin = false;
    QList<ClusterAcl> clusters;
    QList<BucketAcl> buckets;

    QJsonObject toJson() const;
    static Result<Claims> fromJson(const QJsonObject &json);
    // A NumericDate claim (seconds) as qint64, saturated at qint64's range (a double beyond it
    // would make the cast undefined); 0 for a non-number.
    static qint64 secondsOf(const QJsonValue &value);

    // AIS's order: admin; then the bucket's own ACL; then the cluster's (or the default
    // cluster's) ACL. Fails with an Auth::forbidden error (403) naming the permission missing.
    Result<void> check(const QString &clusterId, const BucketRef *bucket,
                       AccessAttrs wanted) const;

private:
    const ClusterAcl *aclForCluster(const QString &clusterId) const;
    const BucketAcl *aclForBucket(const QString &clusterId, const BucketRef &bucket) const;
};

} // namespace Kiln::Auth
