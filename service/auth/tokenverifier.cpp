#include "service/auth/tokenverifier.h"

#include "service/auth/autherror.h"
#include "service/auth/jwt.h"

#include <QDateTime>

#include <optional>

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
    std::optional<Claims> known;
    {
        std::lock_guard lock(m_mutex);
        if (m_revoked.contains(token))
            return unauthenticated(QStringLiteral("invalid token: token revoked"));
        if (const auto it = m_verified.constFind(token); it != m_verified.constEnd())
            known = *it;
    }
    if (!known) {
        auto payload = Jwt::verifyHs256(token, m_secret);
        if (!payload)
            return payload.error();
        auto claims = Claims::fromJson(*payload);
        if (!claims)
            return claims.error();
        known = std::move(*claims);
        std::lock_guard lock(m_mutex);
        if (m_verified.size() >= CacheSize)
            m_verified.clear(); // simple and bounded: the next requests refill it
        m_verified.insert(token, *known);
    }
    if (known->expiresAt <= now())
        return unauthenticated(QStringLiteral("invalid token: token expired"));
    return *known;
}

void TokenVerifier::revoke(const QByteArray &token)
{
    std::lock_guard lock(m_mutex);
    m_revoked.insert(token);
    m_verified.remove(token);
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
        const bool expired = !payload || Claims::secondsOf(payload->value("exp")) <= t;
        it = expired ? m_revoked.erase(it) : std::next(it);
    }
}

} // namespace Kiln::Auth
