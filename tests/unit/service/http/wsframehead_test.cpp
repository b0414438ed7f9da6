#include "service/http/wsclient.h"

#include <gtest/gtest.h>

using Kiln::Http::readWsFrameHead;

namespace {

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

} // namespace

TEST(WsFrameHead, SmallBinaryFinalFrame)
{
    const auto head = readWsFrameHead(bytes({0x82, 5, 'h', 'e', 'l', 'l', 'o'}));
    ASSERT_TRUE(head);
    EXPECT_TRUE(head->fin);
    EXPECT_EQ(head->opcode, 0x2);
    EXPECT_EQ(head->length, 5u);
    EXPECT_EQ(head->size, 2);
    EXPECT_FALSE(head->masked);
    EXPECT_FALSE(head->reserved);
}

TEST(WsFrameHead, SixteenBitLengthIsBigEndian)
{
    const auto head = readWsFrameHead(bytes({0x02, 126, 0x01, 0x02}));
    ASSERT_TRUE(head);
    EXPECT_FALSE(head->fin);
    EXPECT_EQ(head->length, 0x0102u);
    EXPECT_EQ(head->size, 4);
}

TEST(WsFrameHead, SixtyFourBitLengthIsBigEndian)
{
    const auto head = readWsFrameHead(bytes({0x80, 127, 0, 0, 0, 1, 0, 0, 0, 7}));
    ASSERT_TRUE(head);
    EXPECT_EQ(head->opcode, 0x0);
    EXPECT_EQ(head->length, (quint64(1) << 32) + 7);
    EXPECT_EQ(head->size, 10);
}

TEST(WsFrameHead, MaskKeyCountsInTheHeadAndReservedBitsAreSeen)
{
    const auto head = readWsFrameHead(bytes({0xc1, 0x80 | 3, 1, 2, 3, 4}));
    ASSERT_TRUE(head);
    EXPECT_TRUE(head->masked);
    EXPECT_TRUE(head->reserved);
    EXPECT_EQ(head->size, 6);
    EXPECT_EQ(head->length, 3u);
}

TEST(WsFrameHead, IncompleteHeadsWait)
{
    EXPECT_FALSE(readWsFrameHead(QByteArray()));
    EXPECT_FALSE(readWsFrameHead(bytes({0x82})));
    EXPECT_FALSE(readWsFrameHead(bytes({0x82, 126, 0x01})));
    EXPECT_FALSE(readWsFrameHead(bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0})));
    EXPECT_FALSE(readWsFrameHead(bytes({0x82, 0x80 | 1, 1, 2, 3})));
}
