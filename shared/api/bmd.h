#pragma once

#include "shared/api/bprops.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QString>

namespace Kiln::Api {

// Only the ais provider is stored here; empty means ais.
Result<void> checkProvider(const QString &provider);

// Bucket metadata: the versioned set of buckets. The primary proxy owns it; targets hold copies.
class Bmd
{
public:
    qint64 version() const { return m_version; }
    const QMap<QString, BucketProps> &buckets() const { return m_buckets; }
    const BucketProps *bucket(const QString &name) const;
    bool contains(const QString &name) const { return m_buckets.contains(name); }
    // The checks every bucket request starts with: provider (only ais), the name's rules, and
    // that the bucket exists (404 with the message the SDK classifies as ErrBckNotFound).
    Result<void> check(const QString &provider, const QString &name) const;
    // Writes to a bucket being renamed would be lost with it: 409 until the move is over.
    Result<void> checkWritable(const QString &name) const;
    void setRenaming(const QString &name, const QString &to); // to empty: the move is over

    // All bump the version; add refuses a name already present (props: AIS's BpropsToSet of a
    // create-bck, or the source's props for a copy's new destination).
    Result<BucketProps> add(const QString &name, qint64 createdNs,
                            const QJsonObject &propsToSet = {});
    Result<BucketProps> addLike(const QString &name, qint64 createdNs, const BucketProps &like);
    bool remove(const QString &name);
    // set-bprops / reset-bprops of an existing bucket.
    Result<BucketProps> setProps(const QString &name, const QJsonObject &propsToSet);
    Result<BucketProps> resetProps(const QString &name);

    QJsonObject toJson() const;
    static Result<Bmd> fromJson(const QJsonObject &json);

private:
    qint64 m_version = 0;
    quint64 m_nextBid = 1;
    QMap<QString, BucketProps> m_buckets;
};

} // namespace Kiln::Api
