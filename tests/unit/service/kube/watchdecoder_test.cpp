#include "service/kube/watchdecoder.h"

#include <gtest/gtest.h>

namespace Kiln::Kube {
namespace {

const QByteArray Stream =
    R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"11"}}})"
    "\n\n"
    R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}})"
    "\r\n"
    R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old resource version"}})"
    "\n"
    "not json\n"
    R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"13"}}})";

TEST(WatchDecoderTest, SplitsLinesAndDecodesEventsAndStatus)
{
    WatchDecoder d;
    const QList<WatchEvent> events = d.feed(Stream);
    ASSERT_EQ(events.size(), 4);
    EXPECT_EQ(events[0].type, "ADDED");
    EXPECT_EQ(events[0].resourceVersion, "11");
    EXPECT_EQ(events[0].object["metadata"].toObject()["name"].toString(), "a");
    EXPECT_EQ(events[1].type, "BOOKMARK");
    EXPECT_EQ(events[1].resourceVersion, "12");
    EXPECT_EQ(events[2].type, "ERROR");
    EXPECT_EQ(events[2].statusCode, 410);
    EXPECT_EQ(events[2].message, "too old resource version");
    EXPECT_TRUE(events[3].type.isEmpty()); // not an event: skipped by the watch
    // The last line has no newline yet: it waits for one.
    EXPECT_GT(d.pendingBytes(), 0);
    const QList<WatchEvent> rest = d.feed("\n");
    ASSERT_EQ(rest.size(), 1);
    EXPECT_EQ(rest[0].type, "MODIFIED");
    EXPECT_EQ(rest[0].resourceVersion, "13");
    EXPECT_EQ(d.pendingBytes(), 0);
}

TEST(WatchDecoderTest, ChunkBoundariesDoNotChangeTheEvents)
{
    WatchDecoder whole;
    QList<WatchEvent> once = whole.feed(Stream + '\n');
    for (qsizetype chunk = 1; chunk <= 17; ++chunk) {
        WatchDecoder d;
        QList<WatchEvent> got;
        for (qsizetype at = 0; at <= Stream.size(); at += chunk)
            got += d.feed((Stream + '\n').mid(at, chunk));
        ASSERT_EQ(got.size(), once.size()) << chunk;
        for (qsizetype i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].type, once[i].type) << chunk;
            EXPECT_EQ(got[i].object, once[i].object) << chunk;
        }
    }
}

TEST(WatchDecoderTest, AnEndlessLineIsDroppedNotBuffered)
{
    WatchDecoder d;
    const QByteArray mib(1024 * 1024, 'x');
    for (int i = 0; i <= int(WatchDecoder::MaxLineBytes / mib.size()); ++i)
        EXPECT_TRUE(d.feed(mib).isEmpty());
    EXPECT_TRUE(d.overflowed());
    EXPECT_LE(d.pendingBytes(), WatchDecoder::MaxLineBytes);
    d.clear();
    EXPECT_FALSE(d.overflowed());
    EXPECT_EQ(d.feed(R"({"type":"DELETED","object":{}})" "\n").size(), 1);
}

} // namespace
} // namespace Kiln::Kube
