#pragma once

#include "service/auth/claims.h"
#include "shared/core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

namespace Kiln::Authn {

// AuthN's role (authn.Role): a name, a description, cluster and bucket ACLs, and the admin flag.
struct Role
{
    QString name;
    QString description;
    QList<Auth::ClusterAcl> clusters;
    QList<Auth::BucketAcl> buckets;
    bool admin = false;

    QJsonObject toJson() const;
    static Result<Role> fromJson(const QJsonObject &json);
};

struct User
{
    QString id;
    QByteArray passwordHash; // passwordhash.h; never leaves this process
    QStringList roles; // role names
};

// What `kilnd authn` keeps: users, roles, registered clusters and revoked tokens, saved as one
// JSON file (authn.json in its data folder). The "Admin" role always exists.
class AuthnStore final
{
public:
    static constexpr char AdminRole[] = "Admin";

    AuthnStore();

    QJsonObject toJson() const; // the saved form, password hashes included
    static Result<AuthnStore> fromJson(const QJsonObject &json);

    // The API's view of a user: {"id", "roles": [role, ...]}, no password.
    QJsonObject userJson(const User &user) const;
    // The claims a login of this user gets: the union of its roles' ACLs, admin if any is.
    Auth::Claims claimsFor(const User &user) const;

    QMap<QString, User> users;
    QMap<QString, Role> roles;
    QMap<QString, Auth::ClusterAcl> clusters;
    QStringList revoked;
};

} // namespace Kiln::Authn
