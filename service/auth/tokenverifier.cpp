#include "service/auth/tokenverifier.h"

#include "service/auth/autherror.h"
#include "service/auth/jwt.h"

#include <QDateTime>

namespace Kiln::Auth {

TokenVerifier::TokenVerifier(QByteArray secret, Clock clock)
    : m_secret(std::move(secret))
    , m_clock(clock ? std::move(clock) : Clock([] { return QDateTime::currentSecsSinceEpoch(); }))
{
}

QByteArray TokenVerifier::bearerToken(const QByteArray &authorization)
{
    const QByteArray value = authorization.trimmed();
    const qsizetype space = value.indexOf(' ');
    if (space <= 0 || value.left(space) != "Bearer")
        return {};
    return value.mid(space + 1).trimmed();
}

Result<Claims> TokenVerifier::verify(const QByteArray &token) const
{
    if (token.isEmpty())
        return unauthenticated(QStringLiteral("token required"));
    if (isRevoked(token))
        return unauthenticated(QStringLiteral("invalid token: token revoked"));
    auto payload = Jwt::verifyHs256(token, m_secret);
    if (!payload)
        return payload.error();
    auto claims = Claims::fromJson(*payload);
    if (!claims)
        return claims.error();
    if (claims->expiresAt <= now())
        return unauthenticated(QStringLiteral("invalid token: token expired"));
    return claims;
}

void TokenVerifier::revoke(const QByteArray &token)
{
    std::lock_guard lock(m_mutex);
    m_revoked.insert(token);
}

bool TokenVerifier::isRevoked(const QByteArray &token) const
{
    std::lock_guard lock(m_mutex);
    return m_revoked.contains(token);
}

QList<QByteArray> TokenVerifier::revoked() const
{
    std::lock_guard lock(m_mutex);
    return m_revoked.values();
}

void TokenVerifier::prune()
{
    const qint64 t = now();
    std::lock_guard lock(m_mutex);
    for (auto it = m_revoked.begin(); it != m_revoked.end();) {
        auto payload = Jwt::verifyHs256(*it, m_secret);
        const bool expired = !payload || qint64(payload->value("exp").toDouble()) <= t;
        it = expired ? m_revoked.erase(it) : std::next(it);
    }
}

} // namespace Kiln::Auth
