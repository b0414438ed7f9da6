#pragma once

#include "service/auth/accessguard.h"
#include "service/authn/authnstore.h"
#include "service/http/httpserver.h"
#include "service/node/snapshotwriter.h"
#include "shared/core/result.h"

#include <QNetworkAccessManager>
#include <QObject>

#include <memory>

namespace Kiln::Http {
class Exchange;
} // namespace Kiln::Http

namespace Kiln::Authn {

struct AuthnConfig
{
    QString dataDir;
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 52001; // AIS AuthN's default
    QByteArray secret; // the clusters' auth secret: tokens are signed with it (HS256)
    QString adminPassword; // the "admin" user's, set when the store has no admin yet
};

// `kilnd authn`: the AuthN REST API the `ais auth ...` commands and the SDK's AuthN client
// speak: users (add, update, delete, show), login (a token for a user's roles), roles,
// cluster registration and token revocation, which it passes on to every registered cluster.
// Users' passwords are kept as PBKDF2 hashes (passwordhash.h), computed off the event loop.
// Only admins may change anything; checks run in an Auth::AccessGuard, as on the nodes.
class AuthnServer final : public QObject
{
public:
    explicit AuthnServer(AuthnConfig config, QObject *parent = nullptr);
    ~AuthnServer() override;

    Result<void> start();
    quint16 port() const { return m_server.port(); }

private:
    Result<void> load();
    void save();
    void registerRoutes();
    static Auth::RoutePolicy policy();

    void onUserAdd(Http::Exchange ex);
    void onLogin(Http::Exchange ex);
    void onUsersGet(Http::Exchange ex);
    void onUserGet(Http::Exchange ex);
    void onUserPut(Http::Exchange ex);
    void onUserDelete(Http::Exchange ex);
    // authnroutes.cpp
    void onRoleAdd(Http::Exchange ex);
    void onRolesGet(Http::Exchange ex);
    void onRoleGet(Http::Exchange ex);
    void onRoleDelete(Http::Exchange ex);
    void onClusterAdd(Http::Exchange ex);
    void onClustersGet(Http::Exchange ex);
    void onClusterDelete(Http::Exchange ex);
    void onRevoke(Http::Exchange ex);
    void pushRevocation(const QByteArray &token);

    // Sets user's password hash (computed on the thread pool), saves, then answers ex.
    void setPasswordThenSave(Http::Exchange ex, User user, const QString &password);

    AuthnConfig m_config;
    AuthnStore m_store;
    Http::HttpServer m_server;
    std::shared_ptr<Auth::TokenVerifier> m_verifier;
    Auth::AccessGuard m_guard;
    Node::SnapshotWriter m_writer;
    QNetworkAccessManager m_nam;
};

} // namespace Kiln::Authn
