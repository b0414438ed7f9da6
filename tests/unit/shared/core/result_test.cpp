#include "shared/core/result.h"

#include <gtest/gtest.h>

#include <QString>

#include <memory>

namespace Kiln {
namespace {

Result<int> half(int n)
{
    if (n % 2 != 0)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("%1 is odd").arg(n));
    return n / 2;
}

TEST(ResultTest, HoldsAValue)
{
    const Result<int> r = half(8);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r.hasValue());
    EXPECT_EQ(*r, 4);
    EXPECT_EQ(r.value(), 4);
}

TEST(ResultTest, HoldsAnErrorWithCodeMessageAndTcode)
{
    const Result<int> r = Error{ErrorCode::NotFound, "gone", "ErrObjNotFound"};
    ASSERT_FALSE(r);
    EXPECT_FALSE(r.hasValue());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
    EXPECT_EQ(r.error().message, "gone");
    EXPECT_EQ(r.error().tcode, "ErrObjNotFound");
}

TEST(ResultTest, CarriesTheMessageOfAFailedCall)
{
    const Result<int> r = half(7);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_EQ(r.error().message, "7 is odd");
}

TEST(ResultTest, GivesMemberAccessThroughTheArrow)
{
    Result<QString> r = QStringLiteral("kiln");
    EXPECT_EQ(r->size(), 4);
    r->append('d');
    EXPECT_EQ(*r, "kilnd");
}

TEST(ResultTest, MovesAMoveOnlyValueOut)
{
    Result<std::unique_ptr<int>> r = std::make_unique<int>(42);
    ASSERT_TRUE(r);
    std::unique_ptr<int> owned = std::move(r).value();
    ASSERT_NE(owned, nullptr);
    EXPECT_EQ(*owned, 42);
}

TEST(ResultTest, VoidResultIsASuccessByDefault)
{
    const Result<void> r;
    EXPECT_TRUE(r);
    EXPECT_TRUE(r.hasValue());
}

TEST(ResultTest, VoidResultHoldsAnError)
{
    const Result<void> r = makeError(ErrorCode::Unavailable, "disk full");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(r.error().message, "disk full");
    EXPECT_TRUE(r.error().tcode.isEmpty());
}

TEST(ResultTest, DefaultErrorIsInternal)
{
    EXPECT_EQ(Error{}.code, ErrorCode::Internal);
}

} // namespace
} // namespace Kiln
