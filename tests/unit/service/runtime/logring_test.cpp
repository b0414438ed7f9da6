#include "service/runtime/logring.h"

#include <gtest/gtest.h>

namespace Kiln::Runtime {
namespace {

TEST(LogRingTest, KeepsEverythingBelowCapacity)
{
    LogRing ring(100);
    ring.append("one\n");
    ring.append("two\n");
    EXPECT_EQ(ring.contents(), QByteArray("one\ntwo\n"));
    EXPECT_EQ(ring.totalBytes(), 8);
}

TEST(LogRingTest, StaysBoundedAndKeepsTheNewestBytes)
{
    LogRing ring(64);
    QByteArray all;
    for (int i = 0; i < 100; ++i) {
        const QByteArray line = "line " + QByteArray::number(i) + '\n';
        ring.append(line);
        all += line;
        EXPECT_LE(ring.contents().size(), 64);
    }
    EXPECT_TRUE(all.endsWith(ring.contents()));
    EXPECT_TRUE(ring.contents().endsWith("line 99\n"));
    // Cut at a line boundary: the first kept line is whole.
    EXPECT_TRUE(ring.contents().startsWith("line "));
    EXPECT_EQ(ring.totalBytes(), all.size());
}

TEST(LogRingTest, KeepsTheTailOfAHugeWrite)
{
    LogRing ring(10);
    ring.append("0123456789abcdef");
    EXPECT_EQ(ring.contents(), QByteArray("6789abcdef"));
}

TEST(LogRingTest, TailReturnsLastLines)
{
    LogRing ring;
    ring.append("a\nb\nc\nd\n");
    EXPECT_EQ(ring.tail(2), QByteArray("c\nd"));
    EXPECT_EQ(ring.tail(10), QByteArray("a\nb\nc\nd"));
    LogRing empty;
    EXPECT_TRUE(empty.tail(3).isEmpty());
}

} // namespace
} // namespace Kiln::Runtime
