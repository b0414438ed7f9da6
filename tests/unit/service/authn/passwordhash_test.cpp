#include "service/authn/passwordhash.h"

#include <gtest/gtest.h>

#include <QList>

namespace Kiln::Authn {
namespace {

constexpr int Fast = 1000; // iterations: the scheme, not the cost, is under test here

TEST(PasswordHash, VerifiesTheRightPasswordOnly)
{
    const QByteArray stored = hashPassword("s3cret pass", Fast);
    ASSERT_TRUE(stored.startsWith("pbkdf2-sha256$1000$")) << stored.toStdString();
    EXPECT_FALSE(stored.contains("s3cret"));
    EXPECT_TRUE(verifyPassword("s3cret pass", stored));
    EXPECT_FALSE(verifyPassword("s3cret pas", stored));
    EXPECT_FALSE(verifyPassword("", stored));
}

TEST(PasswordHash, EachHashHasItsOwnSalt)
{
    const QByteArray a = hashPassword("same", Fast);
    const QByteArray b = hashPassword("same", Fast);
    EXPECT_NE(a, b);
    EXPECT_NE(a.split('$')[2], b.split('$')[2]);
    EXPECT_TRUE(verifyPassword("same", a));
    EXPECT_TRUE(verifyPassword("same", b));
}

TEST(PasswordHash, RefusesWhatItDidNotMake)
{
    QByteArray stored = hashPassword("pw", Fast);
    QList<QByteArray> parts = stored.split('$');
    parts[1] = "999"; // other iterations: another hash
    EXPECT_FALSE(verifyPassword("pw", parts.join('$')));
    EXPECT_FALSE(verifyPassword("pw", "pw"));
    EXPECT_FALSE(verifyPassword("pw", "md5$1$abc$def"));
    EXPECT_FALSE(verifyPassword("pw", ""));
}

} // namespace
} // namespace Kiln::Authn
