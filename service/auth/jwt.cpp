#include "service/auth/jwt.h"

#include "service/auth/autherror.h"
#include "service/auth/hmacsha256.h"

#include <openssl/crypto.h>

#include <QJsonDocument>

namespace Kiln::Auth::Jwt {
namespace {

constexpr auto Base64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

Error invalid(const QString &why)
{
    return unauthenticated(QStringLiteral("invalid token: %1").arg(why));
}

QByteArray mac(const QByteArray &signingInput, const QByteArray &secret)
{
    return hmacSha256(secret, signingInput);
}

Result<QJsonObject> decodePart(const QByteArray &part, const char *what)
{
    auto decoded = QByteArray::fromBase64Encoding(
        part, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return invalid(QStringLiteral("%1 is not base64url").arg(QLatin1String(what)));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return invalid(QStringLiteral("%1 is not a JSON object").arg(QLatin1String(what)));
    return doc.object();
}

} // namespace

QByteArray signHs256(const QJsonObject &payload, const QByteArray &secret)
{
    static const QJsonObject header{{"alg", "HS256"}, {"typ", "JWT"}};
    const QByteArray input = QJsonDocument(header).toJson(QJsonDocument::Compact).toBase64(Base64Url)
        + '.' + QJsonDocument(payload).toJson(QJsonDocument::Compact).toBase64(Base64Url);
    return input + '.' + mac(input, secret).toBase64(Base64Url);
}

Result<QJsonObject> verifyHs256(const QByteArray &token, const QByteArray &secret)
{
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3)
        return invalid(QStringLiteral("not a JWS compact token"));
    auto header = decodePart(parts[0], "header");
    if (!header)
        return header.error();
    const QString alg = header->value("alg").toString();
    if (alg != QLatin1String("HS256"))
        return invalid(QStringLiteral("signing method \"%1\" is not accepted (HS256 only)").arg(alg));
    auto signature = QByteArray::fromBase64Encoding(
        parts[2], QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    const QByteArray expected = mac(parts[0] + '.' + parts[1], secret);
    if (!signature || signature.decoded.size() != expected.size()
        || CRYPTO_memcmp(signature.decoded.constData(), expected.constData(), size_t(expected.size())) != 0)
        return invalid(QStringLiteral("signature is invalid"));
    return decodePart(parts[1], "payload");
}

} // namespace Kiln::Auth::Jwt
