#include "service/auth/autherror.h"
#include "service/auth/jwt.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <QJsonDocument>

namespace Kiln::Auth {
namespace {

const QByteArray Secret = "cluster-secret";

QByteArray part(const QJsonObject &json)
{
    return QJsonDocument(json).toJson(QJsonDocument::Compact).toBase64(
        QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

TEST(Jwt, VerifiesWhatItSigned)
{
    const QJsonObject payload{{"sub", "alice"}, {"exp", 2000000000}, {"admin", true}};
    const QByteArray token = Jwt::signHs256(payload, Secret);
    EXPECT_EQ(token.count('.'), 2);
    auto back = Jwt::verifyHs256(token, Secret);
    ASSERT_TRUE(back) << back.error().message.toStdString();
    EXPECT_EQ(*back, payload);
}

// Checked against OpenSSL's own HMAC, an implementation independent of Qt's.
TEST(Jwt, SignatureIsHmacSha256OfTheSigningInput)
{
    const QByteArray token = Jwt::signHs256(QJsonObject{{"sub", "bob"}}, Secret);
    const QList<QByteArray> parts = token.split('.');
    ASSERT_EQ(parts.size(), 3);
    const QByteArray input = parts[0] + '.' + parts[1];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    HMAC(EVP_sha256(), Secret.constData(), int(Secret.size()),
         reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size()), mac,
         &macLength);
    const QByteArray expected = QByteArray(reinterpret_cast<const char *>(mac), int(macLength))
                                    .toBase64(QByteArray::Base64UrlEncoding
                                              | QByteArray::OmitTrailingEquals);
    EXPECT_EQ(parts[2], expected);
    const QJsonObject header = QJsonDocument::fromJson(
        QByteArray::fromBase64(parts[0], QByteArray::Base64UrlEncoding)).object();
    EXPECT_EQ(header.value("alg").toString(), "HS256");
}

TEST(Jwt, RefusesAnotherSecret)
{
    const QByteArray token = Jwt::signHs256(QJsonObject{{"sub", "alice"}}, "not-the-secret");
    auto back = Jwt::verifyHs256(token, Secret);
    ASSERT_FALSE(back);
    EXPECT_TRUE(isUnauthenticated(back.error()));
    EXPECT_TRUE(back.error().message.contains("signature"));
}

TEST(Jwt, RefusesATamperedPayload)
{
    const QByteArray token = Jwt::signHs256(QJsonObject{{"sub", "alice"}, {"admin", false}}, Secret);
    QList<QByteArray> parts = token.split('.');
    parts[1] = part(QJsonObject{{"sub", "alice"}, {"admin", true}});
    EXPECT_FALSE(Jwt::verifyHs256(parts.join('.'), Secret));
}

TEST(Jwt, RefusesAlgNone)
{
    const QByteArray token = part(QJsonObject{{"alg", "none"}, {"typ", "JWT"}}) + '.'
        + part(QJsonObject{{"sub", "mallory"}, {"admin", true}}) + '.';
    auto back = Jwt::verifyHs256(token, Secret);
    ASSERT_FALSE(back);
    EXPECT_TRUE(back.error().message.contains("none"));
}

TEST(Jwt, RefusesMalformedTokens)
{
    for (const QByteArray &bad : {QByteArray(), QByteArray("abc"), QByteArray("a.b"),
                                  QByteArray("a.b.c.d"), QByteArray("!!.??.**")}) {
        EXPECT_FALSE(Jwt::verifyHs256(bad, Secret)) << bad.toStdString();
    }
}

} // namespace
} // namespace Kiln::Auth
