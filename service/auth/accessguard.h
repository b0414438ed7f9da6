#pragma once

#include "service/auth/routepolicy.h"
#include "service/auth/tokenverifier.h"

#include <QString>

#include <functional>
#include <memory>

namespace Kiln::Http {
class Exchange;
class Router;
struct Route;
} // namespace Kiln::Http

namespace Kiln::Auth {

// Auth at the route layer, once for every route family: installed as the router's guard, it
// runs before any handler, reads the bearer token (or a redirect signed by the proxy), and
// checks the token's claims against what the RoutePolicy says the route needs. A refusal is
// answered at once with the AIS error body: 401 for a missing, invalid, expired or revoked
// token, 403 for a valid one without the permission; the handler never runs, nothing changes.
class AccessGuard final
{
public:
    using ClusterId = std::function<QString()>; // the cluster's UUID, as tokens' ACLs name it

    AccessGuard(std::shared_ptr<TokenVerifier> verifier, RoutePolicy policy, ClusterId clusterId);

    // Makes this guard the router's (the guard must outlive the router's server).
    void install(Http::Router &router);
    // DELETE /v1/tokens {"token": ...} or {"tokens": [...]}: AuthN's revocation (admin only).
    // onRevoked, when set, passes the body on (the proxy hands it to its targets).
    void registerRoutes(Http::Router &router, std::function<void(QByteArray)> onRevoked = {});

    // True when the request may reach its handler; otherwise it has been answered.
    bool admit(Http::Exchange &ex, const Http::Route &route) const;

    TokenVerifier &verifier() { return *m_verifier; }

private:
    Result<void> check(Http::Exchange &ex, const Http::Route &route) const;
    void onRevoke(Http::Exchange ex, const std::function<void(QByteArray)> &onRevoked);

    std::shared_ptr<TokenVerifier> m_verifier;
    RoutePolicy m_policy;
    ClusterId m_clusterId;
};

} // namespace Kiln::Auth
