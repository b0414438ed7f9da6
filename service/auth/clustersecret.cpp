#include "service/auth/clustersecret.h"

#include "service/auth/autherror.h"
#include "service/auth/claims.h"
#include "service/auth/hmacsha256.h"
#include "service/auth/jwt.h"
#include "shared/api/wire.h"

#include <openssl/crypto.h>

#include <QDateTime>

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

QByteArray ClusterSecret::signRedirect(QByteArrayView method, QByteArrayView signedTarget)
{
    if (!isSet())
        return {};
    return hmacSha256(value(), {method, "\n", signedTarget})
        .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

namespace {

// The raw value of the query parameter name in target's query (up to the next '&').
QByteArrayView rawQueryValue(QByteArrayView target, QByteArrayView name)
{
    const qsizetype query = target.indexOf('?');
    if (query < 0)
        return {};
    for (qsizetype at = query + 1; at < target.size();) {
        qsizetype end = target.indexOf('&', at);
        if (end < 0)
            end = target.size();
        const QByteArrayView item = target.sliced(at, end - at);
        if (item.size() > name.size() && item.startsWith(name) && item[name.size()] == '=')
            return item.sliced(name.size() + 1);
        at = end + 1;
    }
    return {};
}

} // namespace

qsizetype ClusterSecret::redirectSignatureAt(QByteArrayView target)
{
    const qsizetype query = target.indexOf('?');
    const qsizetype at = target.lastIndexOf(QByteArrayView("&u="));
    return query >= 0 && at > query ? at : -1;
}

Result<void> ClusterSecret::verifyRedirect(QByteArrayView method, QByteArrayView target,
                                           qsizetype at, qint64 nowNs)
{
    // The signature is the last parameter: anything after it would be unsigned.
    const bool placed = at > 0 && at + 3 <= target.size();
    const QByteArrayView signature = placed ? target.sliced(at + 3) : QByteArrayView();
    const QByteArray expected = placed ? signRedirect(method, target.first(at)) : QByteArray();
    if (expected.isEmpty() || signature.size() != expected.size()
        || CRYPTO_memcmp(signature.data(), expected.constData(), size_t(expected.size())) != 0)
        return unauthenticated(QStringLiteral("invalid redirect signature"));
    bool ok = false;
    const qint64 issued
        = rawQueryValue(target.first(at), Api::Query::UnixTime).toLongLong(&ok, 36);
    if (!ok || nowNs - issued > MaxRedirectAgeNs || issued - nowNs > MaxRedirectAgeNs)
        return unauthenticated(QStringLiteral("redirect has expired"));
    return {};
}

} // namespace Kiln::Auth
