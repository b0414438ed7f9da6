#include "shared/api/names.h"

#include <gtest/gtest.h>

#include <QString>

#include <string>

namespace Kiln::Api {
namespace {

// A name of exactly `bytes` UTF-8 bytes in components of at most 200 bytes, written with `fill`
// (one or two UTF-8 bytes; an odd remainder is padded with 'x').
QString nameOfBytes(int bytes, QChar fill = 'x')
{
    const int width = QString(fill).toUtf8().size();
    QString name;
    int left = bytes;
    while (left > 0) {
        if (!name.isEmpty()) {
            name += '/';
            --left;
        }
        const int part = std::min(200, left);
        name += QString(part / width, fill) + QString(part % width, 'x');
        left -= part;
    }
    return name;
}

struct NameCase
{
    std::string label;
    QString name;
    QString why; // for rejected names: a phrase of the expected reason
};

std::string caseName(const testing::TestParamInfo<NameCase> &info)
{
    return info.param.label;
}

class ValidBucketNameTest : public testing::TestWithParam<NameCase>
{ };

TEST_P(ValidBucketNameTest, IsAccepted)
{
    const Result<void> r = validateBucketName(GetParam().name);
    EXPECT_TRUE(r) << r.error().message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Names, ValidBucketNameTest,
    testing::Values(NameCase{"OneLetter", "a"}, NameCase{"Dashes", "my-bucket"},
                    NameCase{"UnderscoresAndDots", "b_1.2"}, NameCase{"UpperCase", "Images2024"},
                    NameCase{"Digits", "0123"}, NameCase{"SixtyFourCharacters", QString(64, 'b')},
                    NameCase{"SingleDots", "a.b.c."}),
    caseName);

class InvalidBucketNameTest : public testing::TestWithParam<NameCase>
{ };

TEST_P(InvalidBucketNameTest, IsRejectedAsInvalidArgument)
{
    const Result<void> r = validateBucketName(GetParam().name);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(r.error().message.contains(GetParam().why)) << r.error().message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Names, InvalidBucketNameTest,
    testing::Values(NameCase{"Empty", "", "bucket name is missing"},
                    NameCase{"Dot", ".", "reserved bucket name \".\" (unknown system bucket)"},
                    NameCase{"DotDot", "..", "reserved"},
                    NameCase{"LeadingDot", ".hidden", "reserved"},
                    NameCase{"TwoDotsInside", "a..b", "may only contain"},
                    NameCase{"SixtyFiveCharacters", QString(65, 'b'),
                             "bucket name is too long: 65 > 64(max length)"},
                    NameCase{"Slash", "a/b", "may only contain"},
                    NameCase{"Space", "a b", "may only contain"},
                    NameCase{"Colon", "ais:b", "may only contain"},
                    NameCase{"Percent", "a%2Fb", "may only contain"},
                    NameCase{"NonAscii", QStringLiteral("bück"), "may only contain"},
                    NameCase{"Nul", QString("a") + QChar(0) + "b", "may only contain"}),
    caseName);

class ValidObjectNameTest : public testing::TestWithParam<NameCase>
{ };

TEST_P(ValidObjectNameTest, IsAccepted)
{
    const Result<void> r = validateObjectName(GetParam().name);
    EXPECT_TRUE(r) << r.error().message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Names, ValidObjectNameTest,
    testing::Values(NameCase{"Plain", "object"}, NameCase{"Nested", "a/b/c.txt"},
                    NameCase{"HiddenFile", ".hidden"}, NameCase{"DotsInsideAName", "a..b"},
                    NameCase{"LeadingDotDotInsideAComponent", "..a/b.."},
                    NameCase{"TripleDot", "..."}, NameCase{"Spaces", "my file (1).txt"},
                    NameCase{"PercentSign", "100%/done"},
                    NameCase{"NonAscii", QStringLiteral("fotos/über/名前.jpg")},
                    NameCase{"Exactly1024Bytes", nameOfBytes(1024)},
                    NameCase{"Exactly1024BytesOfTwoByteCharacters", nameOfBytes(1024, QChar(0xe9))},
                    NameCase{"Component255Bytes", "dir/" + QString(255, 'c')}),
    caseName);

class InvalidObjectNameTest : public testing::TestWithParam<NameCase>
{ };

TEST_P(InvalidObjectNameTest, IsRejectedAsInvalidArgument)
{
    const Result<void> r = validateObjectName(GetParam().name);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(r.error().message.contains(GetParam().why)) << r.error().message.toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Names, InvalidObjectNameTest,
    testing::Values(NameCase{"Empty", "", "invalid object name \"\""},
                    NameCase{"DotDot", "..", "invalid object name \"..\""},
                    NameCase{"Dot", ".", "invalid object name \".\""},
                    NameCase{"DotDotInTheMiddle", "a/../b", "invalid object name \"a/../b\""},
                    NameCase{"DotDotAtTheStart", "../etc/passwd", "invalid object name"},
                    NameCase{"DotDotAtTheEnd", "a/b/..", "invalid object name"},
                    NameCase{"DotInTheMiddle", "a/./b", "invalid object name"},
                    NameCase{"TrailingSlash", "dir/", "invalid object name \"dir/\""},
                    NameCase{"HomePrefix", "~/x", "invalid object name \"~/x\""},
                    NameCase{"Absolute", "/abs", "absolute path: invalid object name"},
                    NameCase{"DoubleSlash", "a//b", "empty path component"},
                    NameCase{"Nul", QString("a") + QChar(0) + "b", "NUL"},
                    NameCase{"Over1024Bytes", nameOfBytes(1025), "1025 bytes"},
                    NameCase{"Over1024BytesOfTwoByteCharacters", nameOfBytes(1025, QChar(0xe9)),
                             "1025 bytes"},
                    NameCase{"Component256Bytes", "dir/" + QString(256, 'c'), "longer than 255"},
                    NameCase{"Component256BytesOfTwoByteCharacters", QString(128, QChar(0xe9)),
                             "longer than 255"}),
    caseName);

TEST(NamesTest, RefusesObjectNamesWithAisTypeName)
{
    for (const QString &name : {QString(".."), QString("a//b")})
        EXPECT_EQ(validateObjectName(name).error().tcode, "errInvalidPath") << name.toStdString();
}

TEST(NamesTest, LengthCasesAreAsLongAsTheirLabelsSay)
{
    // Guards the tables above: the boundary cases must sit exactly on the boundary.
    EXPECT_EQ(nameOfBytes(1024).toUtf8().size(), 1024);
    EXPECT_EQ(nameOfBytes(1024, QChar(0xe9)).toUtf8().size(), 1024);
    EXPECT_EQ(nameOfBytes(1025, QChar(0xe9)).toUtf8().size(), 1025);
    EXPECT_GT(nameOfBytes(1024, QChar(0xe9)).count(QChar(0xe9)), 500);
}

TEST(NamesTest, SpellsCnamesWithTheAisScheme)
{
    EXPECT_EQ(bucketCname("b"), "ais://b");
    EXPECT_EQ(objectCname("b", "a/o.txt"), "ais://b/a/o.txt");
}

} // namespace
} // namespace Kiln::Api
