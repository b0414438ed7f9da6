#include "service/http/request.h"
#include "service/target/arrivalcheck.h"

#include <gtest/gtest.h>

namespace Kiln::Target {
namespace {

QString md5Of(const QByteArray &bytes)
{
    auto sum = Checksummer::make(QStringLiteral("md5"));
    sum->update(bytes.constData(), bytes.size());
    return sum->digest();
}

// An intra-cluster delivery of `body` declaring `size` bytes and md5 `digest` (the bucket
// checksums with xxhash2, so the md5 is computed on the side).
Http::Request delivery(qint64 contentLength, qint64 size, const QString &digest)
{
    Http::Request r;
    r.method = "PUT";
    r.contentLength = contentLength;
    r.headers = {{"kiln-intra", "1"},
                 {"ais-size", QByteArray::number(size)},
                 {"ais-checksum-type", "md5"},
                 {"ais-checksum-value", digest.toLatin1()}};
    return r;
}

Result<void> arrive(const Http::Request &req, const QByteArray &received)
{
    auto check = ArrivalCheck::make(req, true, QStringLiteral("xxhash2"));
    if (!check)
        return check.error();
    check->feed(received.constData(), received.size());
    return check->verify(QStringLiteral("ais://b/o"), received.size(), QStringLiteral("unused"));
}

const QByteArray Body = QByteArray("the object's whole body, as stored on its sender");

TEST(ArrivalCheckTest, TheWholeObjectIsAccepted)
{
    EXPECT_TRUE(arrive(delivery(Body.size(), Body.size(), md5Of(Body)), Body));
}

TEST(ArrivalCheckTest, AnEmptyBodyForANonEmptyObjectIsRefused)
{
    // What a sender that gave up before its body would leave: a PUT with no bytes at all.
    auto got = arrive(delivery(0, Body.size(), md5Of(Body)), {});
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(got.error().message.contains("received 0 bytes"))
        << got.error().message.toStdString();
    // Without any Content-Length (a request that ends at its head) the same.
    EXPECT_FALSE(arrive(delivery(-1, Body.size(), md5Of(Body)), {}));
}

TEST(ArrivalCheckTest, AShortBodyIsRefusedEvenWhenItsLengthHeaderAgrees)
{
    const QByteArray half = Body.left(Body.size() / 2);
    EXPECT_FALSE(arrive(delivery(half.size(), Body.size(), md5Of(Body)), half));
}

TEST(ArrivalCheckTest, BytesOtherThanTheSendersAreRefused)
{
    QByteArray changed = Body;
    changed[3] = 'X';
    auto got = arrive(delivery(Body.size(), Body.size(), md5Of(Body)), changed);
    ASSERT_FALSE(got);
    EXPECT_TRUE(got.error().message.contains("checksum mismatch"))
        << got.error().message.toStdString();
}

TEST(ArrivalCheckTest, AnIntraClusterPutMustDeclareItsSize)
{
    Http::Request r = delivery(Body.size(), Body.size(), md5Of(Body));
    r.headers.removeAt(1);
    EXPECT_FALSE(ArrivalCheck::make(r, true, QStringLiteral("xxhash2")));
    // A client's PUT is not asked for it, but still gets every byte it announced or nothing.
    auto client = ArrivalCheck::make(r, false, QStringLiteral("xxhash2"));
    ASSERT_TRUE(client);
    EXPECT_TRUE(client->verify(QStringLiteral("ais://b/o"), Body.size(), {}));
    EXPECT_FALSE(client->verify(QStringLiteral("ais://b/o"), Body.size() - 1, {}));
}

TEST(ArrivalCheckTest, TheBucketsOwnDigestIsUsedWhenTheTypesAgree)
{
    Http::Request r = delivery(Body.size(), Body.size(), md5Of(Body));
    auto check = ArrivalCheck::make(r, true, QStringLiteral("md5"));
    ASSERT_TRUE(check);
    EXPECT_TRUE(check->verify(QStringLiteral("ais://b/o"), Body.size(), md5Of(Body)));
    EXPECT_FALSE(check->verify(QStringLiteral("ais://b/o"), Body.size(), md5Of("other")));
}

} // namespace
} // namespace Kiln::Target
