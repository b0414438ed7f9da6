#include "service/authn/authnstore.h"

#include <QJsonArray>

namespace Kiln::Authn {
namespace {

QJsonArray stringArray(const QStringList &list)
{
    return QJsonArray::fromStringList(list);
}

QStringList stringList(const QJsonValue &value)
{
    QStringList out;
    for (const QJsonValue &v : value.toArray())
        out << v.toString();
    return out;
}

// Same id: the permissions add up (AuthN's MergeClusterACLs with union).
void mergeCluster(QList<Auth::ClusterAcl> &into, const Auth::ClusterAcl &acl)
{
    for (Auth::ClusterAcl &have : into) {
        if (have.id == acl.id) {
            have.access |= acl.access;
            return;
        }
    }
    into.append(acl);
}

void mergeBucket(QList<Auth::BucketAcl> &into, const Auth::BucketAcl &acl)
{
    for (Auth::BucketAcl &have : into) {
        if (have.clusterId == acl.clusterId && have.bucket == acl.bucket) {
            have.access |= acl.access;
            return;
        }
    }
    into.append(acl);
}

} // namespace

QJsonObject Role::toJson() const
{
    QJsonArray clusterList;
    for (const Auth::ClusterAcl &acl : clusters)
        clusterList.append(acl.toJson());
    QJsonArray bucketList;
    for (const Auth::BucketAcl &acl : buckets)
        bucketList.append(acl.toJson());
    return QJsonObject{{"name", name}, {"desc", description}, {"clusters", clusterList},
                       {"buckets", bucketList}, {"admin", admin}};
}

Result<Role> Role::fromJson(const QJsonObject &json)
{
    Role role;
    role.name = json.value("name").toString();
    if (role.name.isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("a role needs a name"));
    role.description = json.value("desc").toString();
    role.admin = json.value("admin").toBool();
    for (const QJsonValue &item : json.value("clusters").toArray()) {
        auto acl = Auth::ClusterAcl::fromJson(item.toObject());
        if (!acl)
            return makeError(ErrorCode::InvalidArgument, acl.error().message);
        role.clusters.append(*acl);
    }
    for (const QJsonValue &item : json.value("buckets").toArray()) {
        auto acl = Auth::BucketAcl::fromJson(item.toObject());
        if (!acl)
            return makeError(ErrorCode::InvalidArgument, acl.error().message);
        role.buckets.append(*acl);
    }
    return role;
}

AuthnStore::AuthnStore()
{
    Role admin;
    admin.name = QString::fromLatin1(AdminRole);
    admin.description = QStringLiteral("AuthN administrator");
    admin.admin = true;
    roles.insert(admin.name, admin);
}

QJsonObject AuthnStore::toJson() const
{
    QJsonObject userMap;
    for (const User &u : users)
        userMap.insert(u.id, QJsonObject{{"id", u.id},
                                         {"hash", QString::fromLatin1(u.passwordHash)},
                                         {"roles", stringArray(u.roles)}});
    QJsonArray roleList;
    for (const Role &r : roles)
        roleList.append(r.toJson());
    QJsonArray clusterList;
    for (const Auth::ClusterAcl &c : clusters)
        clusterList.append(c.toJson());
    return QJsonObject{{"users", userMap}, {"roles", roleList}, {"clusters", clusterList},
                       {"revoked", stringArray(revoked)}};
}

Result<AuthnStore> AuthnStore::fromJson(const QJsonObject &json)
{
    AuthnStore store;
    const QJsonObject userMap = json.value("users").toObject();
    for (auto it = userMap.begin(); it != userMap.end(); ++it) {
        const QJsonObject u = it.value().toObject();
        store.users.insert(it.key(), User{it.key(), u.value("hash").toString().toLatin1(),
                                          stringList(u.value("roles"))});
    }
    for (const QJsonValue &item : json.value("roles").toArray()) {
        auto role = Role::fromJson(item.toObject());
        if (!role)
            return role.error();
        store.roles.insert(role->name, *role);
    }
    for (const QJsonValue &item : json.value("clusters").toArray()) {
        auto acl = Auth::ClusterAcl::fromJson(item.toObject());
        if (!acl)
            return acl.error();
        store.clusters.insert(acl->id, *acl);
    }
    store.revoked = stringList(json.value("revoked"));
    return store;
}

QJsonObject AuthnStore::userJson(const User &user) const
{
    QJsonArray roleList;
    for (const QString &name : user.roles)
        roleList.append(roles.contains(name) ? roles.value(name).toJson()
                                             : QJsonObject{{"name", name}});
    return QJsonObject{{"id", user.id}, {"roles", roleList}};
}

Auth::Claims AuthnStore::claimsFor(const User &user) const
{
    Auth::Claims claims;
    claims.subject = user.id;
    for (const QString &name : user.roles) {
        const auto role = roles.constFind(name);
        if (role == roles.constEnd())
            continue;
        claims.admin = claims.admin || role->admin || name == QLatin1String(AdminRole);
        for (const Auth::ClusterAcl &acl : role->clusters)
            mergeCluster(claims.clusters, acl);
        for (const Auth::BucketAcl &acl : role->buckets)
            mergeBucket(claims.buckets, acl);
    }
    return claims;
}

} // namespace Kiln::Authn
