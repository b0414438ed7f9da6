// HMAC-SHA256 through OpenSSL with a per-thread context: the RFC 4231 answers, the same bytes as
// Qt's independent implementation for any key and message, and keys switched on one thread and
// used on several threads at once.
#include "service/auth/hmacsha256.h"
#include "tests/unit/support/randombytes.h"

#include <gtest/gtest.h>

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <atomic>
#include <thread>
#include <vector>

namespace Kiln::Auth {
namespace {

QByteArray qtHmac(const QByteArray &key, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, key, QCryptographicHash::Sha256);
}

TEST(HmacSha256, AnswersRfc4231TestCaseTwo)
{
    EXPECT_EQ(hmacSha256("Jefe", "what do ya want for nothing?").toHex(),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, MatchesQtForKeysAndMessagesOfEverySize)
{
    for (const int keySize : {0, 1, 31, 32, 64, 65, 200}) {
        for (const int messageSize : {0, 1, 55, 64, 300, 5000}) {
            const QByteArray key = Kiln::Test::randomBytes(keySize, quint32(keySize));
            const QByteArray message = Kiln::Test::randomBytes(messageSize, quint32(1000 + messageSize));
            EXPECT_EQ(hmacSha256(key, message), qtHmac(key, message))
                << "key " << keySize << " message " << messageSize;
        }
    }
}

TEST(HmacSha256, SwitchingKeysOnOneThreadNeverReusesTheOldOne)
{
    const QByteArray message = "GET\n/v1/objects/b/o?utm=1";
    const QByteArray a = Kiln::Test::randomBytes(32, 1), b = Kiln::Test::randomBytes(32, 2);
    const QByteArray macA = hmacSha256(a, message);
    EXPECT_EQ(hmacSha256(a, message), macA); // the same key again: the kept context
    EXPECT_EQ(hmacSha256(b, message), qtHmac(b, message));
    EXPECT_EQ(hmacSha256(a, message), macA);
    EXPECT_EQ(hmacSha256({}, message), qtHmac({}, message));
}

TEST(HmacSha256, ThreadsSigningAtOnceEachGetTheRightBytes)
{
    const QByteArray key = Kiln::Test::randomBytes(32, 3);
    std::atomic<int> wrong = 0;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const QByteArray message = QByteArray::number(t) + ':' + QByteArray::number(i);
                if (hmacSha256(key, message) != qtHmac(key, message))
                    ++wrong;
            }
        });
    }
    for (std::thread &t : threads)
        t.join();
    EXPECT_EQ(wrong.load(), 0);
}

} // namespace
} // namespace Kiln::Auth
