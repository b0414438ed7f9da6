#include "service/auth/autherror.h"
#include "service/auth/jwt.h"
#include "service/auth/tokenverifier.h"

#include <gtest/gtest.h>

#include <limits>

namespace Kiln::Auth {
namespace {

const QByteArray Secret = "s3cret";
constexpr qint64 Now = 1'800'000'000;

QByteArray tokenFor(const QString &sub, qint64 exp, bool admin = false)
{
    QJsonObject payload{{"sub", sub}, {"exp", exp}, {"admin", admin}};
    return Jwt::signHs256(payload, Secret);
}

class TokenVerifierTest : public testing::Test
{
protected:
    qint64 m_now = Now;
    TokenVerifier m_verifier{Secret, [this] { return m_now; }};
};

TEST_F(TokenVerifierTest, AcceptsAValidToken)
{
    auto claims = m_verifier.verify(tokenFor("alice", Now + 60, true));
    ASSERT_TRUE(claims) << claims.error().message.toStdString();
    EXPECT_EQ(claims->subject, "alice");
    EXPECT_TRUE(claims->admin);
    EXPECT_EQ(claims->expiresAt, Now + 60);
}

TEST_F(TokenVerifierTest, RefusesAnExpiredToken)
{
    const QByteArray token = tokenFor("alice", Now + 60);
    EXPECT_TRUE(m_verifier.verify(token));
    m_now = Now + 60; // the second it expires
    auto claims = m_verifier.verify(token);
    ASSERT_FALSE(claims);
    EXPECT_TRUE(isUnauthenticated(claims.error()));
    EXPECT_TRUE(claims.error().message.contains("expired"));
}

TEST_F(TokenVerifierTest, RefusesARevokedToken)
{
    const QByteArray token = tokenFor("alice", Now + 60);
    const QByteArray other = tokenFor("bob", Now + 60);
    EXPECT_TRUE(m_verifier.verify(token)); // verified (and remembered) before it is revoked
    m_verifier.revoke(token);
    auto claims = m_verifier.verify(token);
    ASSERT_FALSE(claims);
    EXPECT_TRUE(claims.error().message.contains("revoked"));
    EXPECT_TRUE(m_verifier.verify(other)); // only that one
}

TEST_F(TokenVerifierTest, RefusesABadSignature)
{
    const QByteArray token = Jwt::signHs256(QJsonObject{{"sub", "a"}, {"exp", Now + 60}}, "x");
    auto claims = m_verifier.verify(token);
    ASSERT_FALSE(claims);
    EXPECT_TRUE(claims.error().message.contains("signature"));
}

TEST_F(TokenVerifierTest, RefusesMissingSubjectOrExpiry)
{
    EXPECT_FALSE(m_verifier.verify(Jwt::signHs256(QJsonObject{{"exp", Now + 60}}, Secret)));
    EXPECT_FALSE(m_verifier.verify(Jwt::signHs256(QJsonObject{{"sub", "a"}}, Secret)));
}

TEST_F(TokenVerifierTest, ExpiryBeyondQint64SaturatesInsteadOfOverflowing)
{
    // 1e300 cast to qint64 would be undefined (UBSan: float-cast-overflow); it saturates, so
    // the token (signed by the secret's holder) lives "forever" rather than wrapping to expired.
    const QByteArray far = Jwt::signHs256(QJsonObject{{"sub", "a"}, {"exp", 1e300}}, Secret);
    auto claims = m_verifier.verify(far);
    ASSERT_TRUE(claims);
    EXPECT_EQ(claims->expiresAt, std::numeric_limits<qint64>::max());
    const QByteArray past = Jwt::signHs256(QJsonObject{{"sub", "a"}, {"exp", -1e300}}, Secret);
    EXPECT_FALSE(m_verifier.verify(past));
    EXPECT_EQ(Claims::secondsOf(QJsonValue(QStringLiteral("x"))), 0);
}

TEST_F(TokenVerifierTest, NoTokenIsTokenRequired)
{
    auto claims = m_verifier.verify({});
    ASSERT_FALSE(claims);
    EXPECT_EQ(claims.error().message, "token required");
}

TEST_F(TokenVerifierTest, PruneForgetsOnlyExpiredRevocations)
{
    const QByteArray shortLived = tokenFor("a", Now + 10);
    const QByteArray longLived = tokenFor("b", Now + 1000);
    m_verifier.revoke(shortLived);
    m_verifier.revoke(longLived);
    m_now = Now + 100;
    m_verifier.prune();
    EXPECT_FALSE(m_verifier.isRevoked(shortLived));
    EXPECT_TRUE(m_verifier.isRevoked(longLived));
}

TEST(BearerToken, TakesTheTokenOfABearerHeader)
{
    EXPECT_EQ(TokenVerifier::bearerToken("Bearer abc.def.ghi"), "abc.def.ghi");
    EXPECT_EQ(TokenVerifier::bearerToken("  Bearer   x  "), "x");
    EXPECT_EQ(TokenVerifier::bearerToken("Basic dXNlcjpwYXNz"), "");
    EXPECT_EQ(TokenVerifier::bearerToken("Bearer"), "");
    EXPECT_EQ(TokenVerifier::bearerToken(""), "");
}

} // namespace
} // namespace Kiln::Auth
