// AuthnServer's roles, registered clusters and token revocation (users and login: authnserver.cpp).
#include "service/authn/authnserver.h"

#include "service/auth/clustersecret.h"
#include "service/auth/jwt.h"
#include "service/http/exchange.h"
#include "shared/api/json.h"
#include "shared/core/logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>

namespace Kiln::Authn {

void AuthnServer::onRoleAdd(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("role"));
    auto role = body ? Role::fromJson(*body) : Result<Role>(body.error());
    if (!role)
        return ex.fail(role.error());
    const bool update = ex.request().method == "PUT";
    if (update && ex.param("name") != role->name)
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("role name %1 does not match the path").arg(role->name)));
    if (update != m_store.roles.contains(role->name))
        return ex.fail(update ? makeError(ErrorCode::NotFound,
                                          QStringLiteral("role %1 does not exist").arg(role->name))
                              : makeError(ErrorCode::AlreadyExists,
                                          QStringLiteral("role %1 already exists").arg(role->name)));
    m_store.roles.insert(role->name, *role);
    save();
    ex.ok();
}

void AuthnServer::onRolesGet(Http::Exchange ex)
{
    QJsonArray roles;
    for (const Role &r : std::as_const(m_store.roles))
        roles.append(r.toJson());
    ex.json(QJsonDocument(roles).toJson(QJsonDocument::Compact));
}

void AuthnServer::onRoleGet(Http::Exchange ex)
{
    const auto role = m_store.roles.constFind(ex.param("name"));
    if (role == m_store.roles.constEnd())
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("role %1 does not exist").arg(ex.param("name"))));
    ex.json(Api::compact(role->toJson()));
}

void AuthnServer::onRoleDelete(Http::Exchange ex)
{
    const QString name = ex.param("name");
    if (name == QLatin1String(AuthnStore::AdminRole))
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("the Admin role cannot be deleted")));
    if (m_store.roles.remove(name) == 0)
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("role %1 does not exist").arg(name)));
    for (User &u : m_store.users)
        u.roles.removeAll(name);
    save();
    ex.ok();
}

void AuthnServer::onClusterAdd(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("cluster"));
    auto acl = body ? Auth::ClusterAcl::fromJson(*body) : Result<Auth::ClusterAcl>(body.error());
    if (!acl)
        return ex.fail(acl.error());
    if (acl->id.isEmpty() || acl->urls.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("a cluster needs an id and at least one URL")));
    const bool update = ex.request().method == "PUT";
    if (!update && m_store.clusters.contains(acl->id))
        return ex.fail(makeError(ErrorCode::AlreadyExists,
                                 QStringLiteral("cluster %1 is already registered").arg(acl->id)));
    m_store.clusters.insert(acl->id, *acl);
    save();
    ex.ok();
}

// AuthN's answer is {"clusters": {id: acl}}, one or all.
void AuthnServer::onClustersGet(Http::Exchange ex)
{
    QJsonObject clusters;
    const QString id = ex.param("id");
    for (const Auth::ClusterAcl &c : std::as_const(m_store.clusters)) {
        if (id.isEmpty() || c.id == id || c.alias == id)
            clusters.insert(c.id, c.toJson());
    }
    if (!id.isEmpty() && clusters.isEmpty())
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("cluster %1 is not registered").arg(id)));
    ex.json(Api::compact(QJsonObject{{"clusters", clusters}}));
}

void AuthnServer::onClusterDelete(Http::Exchange ex)
{
    if (m_store.clusters.remove(ex.param("id")) == 0)
        return ex.fail(makeError(ErrorCode::NotFound, QStringLiteral("cluster %1 is not registered")
                                                          .arg(ex.param("id"))));
    save();
    ex.ok();
}

// As AuthN: any token signed with the secret may be revoked (logout); revoking twice is fine.
void AuthnServer::onRevoke(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("token"));
    if (!body)
        return ex.fail(body.error());
    const QByteArray token = body->value("token").toString().toUtf8();
    if (token.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("empty token")));
    if (auto signedHere = Auth::Jwt::verifyHs256(token, m_config.secret); !signedHere)
        return ex.fail(401, makeError(ErrorCode::InvalidArgument, signedHere.error().message));
    if (!m_verifier->isRevoked(token)) {
        m_verifier->revoke(token);
        m_store.revoked.append(QString::fromUtf8(token));
        save();
    }
    pushRevocation(token);
    ex.ok();
}

// Every registered cluster's proxy learns the revocation (DELETE /v1/tokens, as admin).
void AuthnServer::pushRevocation(const QByteArray &token)
{
    const QByteArray body = Api::compact(QJsonObject{{"token", QString::fromUtf8(token)}});
    for (const Auth::ClusterAcl &cluster : std::as_const(m_store.clusters)) {
        QNetworkRequest request(QUrl(cluster.urls.first() + QStringLiteral("/v1/tokens")));
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        request.setRawHeader("Authorization", Auth::ClusterSecret::intraAuthorization());
        request.setTransferTimeout(10000);
        QNetworkReply *reply = m_nam.sendCustomRequest(request, "DELETE", body);
        connect(reply, &QNetworkReply::finished, this, [reply, id = cluster.id] {
            reply->deleteLater();
            if (reply->error() != QNetworkReply::NoError)
                Log::core().warn("authn: revoking on cluster {}: {}", id, reply->errorString());
        });
    }
}

} // namespace Kiln::Authn
