#include "service/auth/accessguard.h"

#include "service/auth/autherror.h"
#include "service/auth/clustersecret.h"
#include "service/http/exchange.h"
#include "service/http/router.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/core/logging.h"

#include <QDateTime>
#include <QJsonArray>

#include <optional>

namespace Kiln::Auth {

AccessGuard::AccessGuard(std::shared_ptr<TokenVerifier> verifier, RoutePolicy policy,
                         ClusterId clusterId)
    : m_verifier(std::move(verifier))
    , m_policy(std::move(policy))
    , m_clusterId(std::move(clusterId))
{
}

void AccessGuard::install(Http::Router &router)
{
    router.setGuard([this](Http::Exchange &ex, const Http::Route &route) { return admit(ex, route); });
}

void AccessGuard::registerRoutes(Http::Router &router, std::function<void(QByteArray)> onRevoked)
{
    router.add({"DELETE"}, QStringLiteral("/v1/tokens"),
               [this, onRevoked = std::move(onRevoked)](Http::Exchange ex) {
                   onRevoke(std::move(ex), onRevoked);
               });
}

bool AccessGuard::admit(Http::Exchange &ex, const Http::Route &route) const
{
    auto checked = check(ex, route);
    if (checked)
        return true;
    const Http::Request &req = ex.request();
    Log::http().info("auth: {} {} from {}: {}", req.method, req.path(), req.peer.toString(),
                     checked.error().message);
    Error answer = checked.error();
    answer.tcode.clear(); // Kiln's own marker (autherror.h); AIS sends no tcode here
    ex.fail(statusOf(checked.error()), answer);
    return false;
}

Result<void> AccessGuard::check(Http::Exchange &ex, const Http::Route &route) const
{
    const Http::Request &req = ex.request();
    // A redirect the proxy signed: the proxy checked the client's token before redirecting.
    // Checked first, so a redirected object read costs one HMAC and nothing else.
    std::optional<Error> badSignature;
    if (const qsizetype at = ClusterSecret::redirectSignatureAt(req.target); at >= 0) {
        auto ok = ClusterSecret::verifyRedirect(req.method, req.target, at,
                                                QDateTime::currentMSecsSinceEpoch() * 1000000);
        if (ok)
            return {};
        badSignature = ok.error();
    }
    const RouteCall call{route.segments, req, ex.params(), ex.body()};
    const Requirement need = m_policy.required(call);
    if (need.open)
        return {};
    if (badSignature)
        return *badSignature;
    auto claims = m_verifier->verify(TokenVerifier::bearerToken(req.header("authorization")));
    if (!claims)
        return claims.error();
    const QString clusterId = m_clusterId ? m_clusterId() : QString();
    for (const Need &n : need.needs) {
        if (auto ok = claims->check(clusterId, n.bucket ? &*n.bucket : nullptr, n.access); !ok)
            return ok;
    }
    return {};
}

void AccessGuard::onRevoke(Http::Exchange ex, const std::function<void(QByteArray)> &onRevoked)
{
    auto body = Api::parseObject(ex.body(), "token list");
    if (!body)
        return ex.fail(body.error());
    QList<QByteArray> tokens;
    if (const QString one = body->value("token").toString(); !one.isEmpty())
        tokens << one.toUtf8();
    for (const QJsonValue &t : body->value("tokens").toArray())
        tokens << t.toString().toUtf8();
    if (tokens.isEmpty())
        return ex.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("no token to revoke")));
    for (const QByteArray &t : tokens)
        m_verifier->revoke(t);
    m_verifier->prune();
    Log::http().info("auth: revoked {} token(s)", tokens.size());
    if (onRevoked)
        onRevoked(ex.body());
    ex.ok();
}

} // namespace Kiln::Auth
