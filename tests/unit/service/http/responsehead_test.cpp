#include "service/http/responsehead.h"

#include <gtest/gtest.h>

#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>

namespace Kiln::Http {
namespace {

TEST(ResponseHead, StatusDateGivenHeadersTypeLengthAndKeepAlive)
{
    const QByteArray head = responseHead(200, {{"X-One", "1"}, {"X-Two", "two"}}, 5, false, false);
    EXPECT_TRUE(head.startsWith("HTTP/1.1 200 OK\r\nDate: ")) << head.toStdString();
    EXPECT_TRUE(head.contains("\r\nServer: kilnd\r\nX-One: 1\r\nX-Two: two\r\n"));
    EXPECT_TRUE(head.contains("\r\nContent-Type: application/octet-stream\r\n"));
    EXPECT_TRUE(head.contains("\r\nContent-Length: 5\r\n"));
    EXPECT_TRUE(head.endsWith("\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(ResponseHead, GivenTypeAndLengthAreNotRepeatedChunkedAndClose)
{
    const QByteArray given
        = responseHead(404, {{"content-type", "application/json"}, {"Content-Length", "9"}}, 0,
                       false, true);
    EXPECT_EQ(given.count("ontent-"), 2) << given.toStdString();
    EXPECT_TRUE(given.startsWith("HTTP/1.1 404 Not Found\r\n"));
    EXPECT_TRUE(given.endsWith("\r\nConnection: close\r\n\r\n"));
    const QByteArray chunked = responseHead(200, {}, -1, true, false);
    EXPECT_TRUE(chunked.contains("\r\nTransfer-Encoding: chunked\r\n"));
    EXPECT_FALSE(chunked.contains("Content-Length"));
    const QByteArray empty = responseHead(204, {}, 0, false, false);
    EXPECT_FALSE(empty.contains("Content-Type"));
}

TEST(ResponseHead, DateIsNowInHttpFormat)
{
    const QByteArray date = httpDate();
    const auto parsed = QLocale::c().toDateTime(QString::fromLatin1(date),
                                                QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    ASSERT_TRUE(parsed.isValid()) << date.toStdString();
    QDateTime utc = parsed;
    utc.setTimeSpec(Qt::UTC);
    EXPECT_LE(std::abs(utc.secsTo(QDateTime::currentDateTimeUtc())), 2) << date.toStdString();
}

} // namespace
} // namespace Kiln::Http
