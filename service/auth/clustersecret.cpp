#include "service/auth/clustersecret.h"

#include "service/auth/autherror.h"
#include "service/auth/claims.h"
#include "service/auth/jwt.h"

#include <openssl/crypto.h>

#include <QCryptographicHash>
#include <QDateTime>
#include <QMessageAuthenticationCode>

namespace Kiln::Auth {

QByteArray &ClusterSecret::storage()
{
    static QByteArray secret;
    return secret;
}

void ClusterSecret::install(const QByteArray &secret)
{
    storage() = secret;
}

bool ClusterSecret::isSet()
{
    return !storage().isEmpty();
}

const QByteArray &ClusterSecret::value()
{
    return storage();
}

QByteArray ClusterSecret::intraAuthorization()
{
    if (!isSet())
        return {};
    Claims claims;
    claims.subject = QStringLiteral("kiln-node");
    claims.admin = true;
    claims.issuedAt = QDateTime::currentSecsSinceEpoch();
    claims.expiresAt = claims.issuedAt + NodeTokenSeconds;
    return "Bearer " + Jwt::signHs256(claims.toJson(), value());
}

QByteArray ClusterSecret::signRedirect(const QByteArray &method, const QByteArray &signedTarget)
{
    if (!isSet())
        return {};
    const QByteArray message = method + '\n' + signedTarget;
    return QMessageAuthenticationCode::hash(message, value(), QCryptographicHash::Sha256)
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Result<void> ClusterSecret::verifyRedirect(const QByteArray &method, const QByteArray &target,
                                           const QByteArray &utm, qint64 nowNs)
{
    // The signature is the last parameter: anything after it would be unsigned.
    const qsizetype at = target.lastIndexOf("&u=");
    const QByteArray signature = at < 0 ? QByteArray() : target.mid(at + 3);
    const QByteArray expected = at < 0 ? QByteArray() : signRedirect(method, target.left(at));
    if (expected.isEmpty() || signature.size() != expected.size()
        || CRYPTO_memcmp(signature.constData(), expected.constData(), size_t(expected.size())) != 0)
        return unauthenticated(QStringLiteral("invalid redirect signature"));
    bool ok = false;
    const qint64 issued = utm.toLongLong(&ok, 36);
    if (!ok || nowNs - issued > MaxRedirectAgeNs || issued - nowNs > MaxRedirectAgeNs)
        return unauthenticated(QStringLiteral("redirect has expired"));
    return {};
}

} // namespace Kiln::Auth
