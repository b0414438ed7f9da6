#pragma once

#include "service/auth/claims.h"
#include "shared/core/result.h"

#include <QByteArray>
#include <QHash>
#include <QSet>

#include <functional>
#include <mutex>

namespace Kiln::Auth {

// Checks AIS tokens: the HS256 signature with the cluster's secret, then expiry and the
// revocation list, then the claims' shape. Every failure is an Auth::unauthenticated error (401).
// Thread-safe: the revocation list may grow while other threads verify.
class TokenVerifier final
{
public:
    using Clock = std::function<qint64()>; // seconds since the epoch

    explicit TokenVerifier(QByteArray secret, Clock clock = {});

    // The bearer token of an Authorization header value ("Bearer <jwt>"); empty if none.
    static QByteArray bearerToken(const QByteArray &authorization);

    // Tokens verified once are remembered (up to CacheSize, as AIS caches claims), so a client
    // sending the same token again costs a lookup; expiry and revocation are checked each time.
    Result<Claims> verify(const QByteArray &token) const;
    static constexpr qsizetype CacheSize = 4096;

    // Revoked tokens stay refused for good (AIS drops them once expired; so does prune()).
    void revoke(const QByteArray &token);
    bool isRevoked(const QByteArray &token) const;
    QList<QByteArray> revoked() const;
    void prune(); // forgets revoked tokens that have expired anyway

    qint64 now() const { return m_clock(); }
    const QByteArray &secret() const { return m_secret; }

private:
    QByteArray m_secret;
    Clock m_clock;
    mutable std::mutex m_mutex;
    QSet<QByteArray> m_revoked;
    mutable QHash<QByteArray, Claims> m_verified; // signature and shape checked
};

} // namespace Kiln::Auth
