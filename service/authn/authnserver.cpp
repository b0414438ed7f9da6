#include "service/authn/authnserver.h"

#include "service/auth/clustersecret.h"
#include "service/auth/jwt.h"
#include "service/authn/passwordhash.h"
#include "service/http/exchange.h"
#include "shared/api/json.h"
#include "shared/core/fileutil.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QDateTime>
#include <QDir>
#include <QFuture>
#include <QHostAddress>
#include <QJsonArray>
#include <QtConcurrent>

namespace Kiln::Authn {
namespace {

constexpr qint64 DefaultTokenSeconds = 24 * 3600; // AuthN's default expiration
constexpr char AdminUser[] = "admin";

QStringList roleNames(const QJsonValue &roles)
{
    QStringList names;
    for (const QJsonValue &r : roles.toArray())
        names << (r.isObject() ? r.toObject().value("name").toString() : r.toString());
    return names;
}

} // namespace

AuthnServer::AuthnServer(AuthnConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_verifier(std::make_shared<Auth::TokenVerifier>(m_config.secret))
    , m_guard(m_verifier, policy(), {})
    , m_writer(m_config.dataDir + QStringLiteral("/authn.json"))
{
}

AuthnServer::~AuthnServer() = default;

Auth::RoutePolicy AuthnServer::policy()
{
    using Auth::Requirement;
    Auth::RoutePolicy p;
    p.setRule(QStringLiteral("health"), [](const Auth::RouteCall &) { return Requirement::none(); });
    // Login is POST /v1/users/{id}; anything else on users, roles, clusters is admin's.
    p.setRule(QStringLiteral("users"), [](const Auth::RouteCall &call) {
        if (call.request.method == "POST" && call.params.contains(QStringLiteral("id")))
            return Requirement::none();
        return Requirement::cluster(Auth::Ace::Admin);
    });
    // Revoking needs only the token itself, validly signed (logout): the handler checks it.
    p.setRule(QStringLiteral("tokens"), [](const Auth::RouteCall &) { return Requirement::none(); });
    return p;
}

Result<void> AuthnServer::start()
{
    if (m_config.secret.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("authn needs the clusters' secret (KILN_AUTH_SECRET)"));
    if (!QDir().mkpath(m_config.dataDir))
        return makeError(ErrorCode::Internal,
                         QStringLiteral("cannot create data folder %1").arg(m_config.dataDir));
    if (auto loaded = load(); !loaded)
        return loaded;
    Auth::ClusterSecret::install(m_config.secret);
    m_guard.install(m_server.router());
    registerRoutes();
    auto port = m_server.listen(QHostAddress(m_config.host), m_config.port);
    if (!port)
        return port.error();
    m_server.setNodeName(QStringLiteral("authn"));
    Log::core().info("authn: serving on {}:{}", m_config.host, *port);
    return {};
}

Result<void> AuthnServer::load()
{
    if (auto saved = readWholeFile(m_writer.path())) {
        auto json = Api::parseObject(*saved, QStringLiteral("authn.json"));
        auto store = json ? AuthnStore::fromJson(*json) : Result<AuthnStore>(json.error());
        if (!store)
            return makeError(ErrorCode::Internal, QStringLiteral("%1: %2")
                                                      .arg(m_writer.path(), store.error().message));
        m_store = std::move(*store);
    }
    for (const QString &token : std::as_const(m_store.revoked))
        m_verifier->revoke(token.toUtf8());
    if (!m_store.users.contains(QLatin1String(AdminUser))) {
        // Start-up, before serving: the one hash computed on the main thread.
        m_store.users.insert(AdminUser, User{AdminUser, hashPassword(m_config.adminPassword),
                                             {QString::fromLatin1(AuthnStore::AdminRole)}});
        save();
        m_writer.waitForSaved();
    }
    return {};
}

void AuthnServer::save()
{
    m_writer.save(Api::compact(m_store.toJson()), [](const Result<void> &saved) {
        if (!saved)
            Log::core().error("authn: saving: {}", saved.error().message);
    });
}

void AuthnServer::registerRoutes()
{
    Http::Router &r = m_server.router();
    const auto bind = [this](void (AuthnServer::*m)(Http::Exchange)) {
        return Http::bindHandler(this, m);
    };
    r.add({"GET"}, QStringLiteral("/v1/health"), [](Http::Exchange ex) { ex.ok(); });
    r.add({"POST"}, QStringLiteral("/v1/users"), bind(&AuthnServer::onUserAdd));
    r.add({"GET"}, QStringLiteral("/v1/users"), bind(&AuthnServer::onUsersGet));
    r.add({"POST"}, QStringLiteral("/v1/users/{id}"), bind(&AuthnServer::onLogin));
    r.add({"GET"}, QStringLiteral("/v1/users/{id}"), bind(&AuthnServer::onUserGet));
    r.add({"PUT"}, QStringLiteral("/v1/users/{id}"), bind(&AuthnServer::onUserPut));
    r.add({"DELETE"}, QStringLiteral("/v1/users/{id}"), bind(&AuthnServer::onUserDelete));
    r.add({"POST"}, QStringLiteral("/v1/roles"), bind(&AuthnServer::onRoleAdd));
    r.add({"GET"}, QStringLiteral("/v1/roles"), bind(&AuthnServer::onRolesGet));
    r.add({"GET"}, QStringLiteral("/v1/roles/{name}"), bind(&AuthnServer::onRoleGet));
    r.add({"PUT"}, QStringLiteral("/v1/roles/{name}"), bind(&AuthnServer::onRoleAdd));
    r.add({"DELETE"}, QStringLiteral("/v1/roles/{name}"), bind(&AuthnServer::onRoleDelete));
    r.add({"POST"}, QStringLiteral("/v1/clusters"), bind(&AuthnServer::onClusterAdd));
    r.add({"PUT"}, QStringLiteral("/v1/clusters/{id}"), bind(&AuthnServer::onClusterAdd));
    r.add({"GET"}, QStringLiteral("/v1/clusters"), bind(&AuthnServer::onClustersGet));
    r.add({"GET"}, QStringLiteral("/v1/clusters/{id}"), bind(&AuthnServer::onClustersGet));
    r.add({"DELETE"}, QStringLiteral("/v1/clusters/{id}"), bind(&AuthnServer::onClusterDelete));
    r.add({"DELETE"}, QStringLiteral("/v1/tokens"), bind(&AuthnServer::onRevoke));
}

void AuthnServer::setPasswordThenSave(Http::Exchange ex, User user, const QString &password)
{
    whenReady(QtConcurrent::run([password] { return hashPassword(password); }), this,
              [this, ex, user = std::move(user)](const QByteArray &hash) mutable {
                  if (hash.isEmpty())
                      return ex.fail(
                          makeError(ErrorCode::Internal, QStringLiteral("hashing failed")));
                  user.passwordHash = hash;
                  m_store.users.insert(user.id, user);
                  save();
                  ex.ok();
              });
}

void AuthnServer::onUserAdd(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("user"));
    if (!body)
        return ex.fail(body.error());
    User user{body->value("id").toString(), {}, roleNames(body->value("roles"))};
    const QString password = body->value("pass").toString();
    if (user.id.isEmpty() || password.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("a user needs an id and a password")));
    if (m_store.users.contains(user.id))
        return ex.fail(makeError(ErrorCode::AlreadyExists,
                                 QStringLiteral("user %1 already exists").arg(user.id)));
    for (const QString &role : std::as_const(user.roles)) {
        if (!m_store.roles.contains(role))
            return ex.fail(makeError(ErrorCode::NotFound,
                                     QStringLiteral("role %1 does not exist").arg(role)));
    }
    setPasswordThenSave(ex, std::move(user), password);
}

void AuthnServer::onLogin(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("login"));
    if (!body)
        return ex.fail(body.error());
    const QString password = body->value("password").toString();
    const auto user = m_store.users.constFind(ex.param("id"));
    const QByteArray hash = user == m_store.users.constEnd() ? QByteArray() : user->passwordHash;
    // expires_in is a Go time.Duration: nanoseconds.
    const double requested = body->value("expires_in").toDouble();
    const qint64 seconds = requested > 0 ? qint64(requested / 1e9) : DefaultTokenSeconds;
    whenReady(
        QtConcurrent::run(
            [password, hash] { return !hash.isEmpty() && verifyPassword(password, hash); }),
        this, [this, ex, id = ex.param("id"), seconds](bool ok) mutable {
            const auto user = m_store.users.constFind(id);
            if (!ok || user == m_store.users.constEnd())
                return ex.fail(401, makeError(ErrorCode::InvalidArgument,
                                              QStringLiteral("invalid credentials")));
            Auth::Claims claims = m_store.claimsFor(*user);
            claims.issuedAt = QDateTime::currentSecsSinceEpoch();
            claims.expiresAt = claims.issuedAt + qMax<qint64>(seconds, 1);
            const QByteArray token = Auth::Jwt::signHs256(claims.toJson(), m_config.secret);
            ex.json(Api::compact(QJsonObject{{"token", QString::fromLatin1(token)}}));
        });
}

void AuthnServer::onUsersGet(Http::Exchange ex)
{
    QJsonObject users;
    for (const User &u : std::as_const(m_store.users))
        users.insert(u.id, m_store.userJson(u));
    ex.json(Api::compact(users));
}

void AuthnServer::onUserGet(Http::Exchange ex)
{
    const auto user = m_store.users.constFind(ex.param("id"));
    if (user == m_store.users.constEnd())
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("user %1 does not exist").arg(ex.param("id"))));
    ex.json(Api::compact(m_store.userJson(*user)));
}

void AuthnServer::onUserPut(Http::Exchange ex)
{
    auto body = Api::parseObject(ex.body(), QStringLiteral("user"));
    if (!body)
        return ex.fail(body.error());
    const auto found = m_store.users.constFind(ex.param("id"));
    if (found == m_store.users.constEnd())
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("user %1 does not exist").arg(ex.param("id"))));
    User user = *found;
    // As AuthN: an empty role list leaves the roles as they are (a password change).
    if (const QStringList roles = roleNames(body->value("roles")); !roles.isEmpty())
        user.roles = roles;
    const QString password = body->value("pass").toString();
    if (!password.isEmpty())
        return setPasswordThenSave(ex, std::move(user), password);
    m_store.users.insert(user.id, user);
    save();
    ex.ok();
}

void AuthnServer::onUserDelete(Http::Exchange ex)
{
    const QString id = ex.param("id");
    if (id == QLatin1String(AdminUser))
        return ex.fail(makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("the admin user cannot be deleted")));
    if (m_store.users.remove(id) == 0)
        return ex.fail(makeError(ErrorCode::NotFound,
                                 QStringLiteral("user %1 does not exist").arg(id)));
    save();
    ex.ok();
}

} // namespace Kiln::Authn
