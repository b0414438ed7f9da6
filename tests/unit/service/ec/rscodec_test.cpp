#include "service/ec/rscodec.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace Kiln::Ec {
namespace {

using Bytes = std::vector<std::uint8_t>;

struct Shape
{
    int data;
    int parity;
    int len;
};

class RsCodecTest : public testing::TestWithParam<Shape>
{
protected:
    // data random slices, then their parity.
    std::vector<Bytes> encoded(const RsCodec &codec, int len, unsigned seed)
    {
        std::mt19937 rng(seed);
        std::vector<Bytes> slices(std::size_t(codec.total()), Bytes(std::size_t(len)));
        for (int i = 0; i < codec.data(); ++i)
            for (auto &b : slices[std::size_t(i)])
                b = std::uint8_t(rng());
        std::vector<const std::uint8_t *> data;
        std::vector<std::uint8_t *> parity;
        for (int i = 0; i < codec.total(); ++i) {
            if (i < codec.data())
                data.push_back(slices[std::size_t(i)].data());
            else
                parity.push_back(slices[std::size_t(i)].data());
        }
        codec.encode(len, data.data(), parity.data());
        return slices;
    }
};

TEST_P(RsCodecTest, AnyParityManyErasedSlicesDecodeToTheOriginal)
{
    const Shape s = GetParam();
    const RsCodec codec(s.data, s.parity);
    const std::vector<Bytes> original = encoded(codec, s.len, 7);
    // Parity mixes the data slices (a codec that copied or zeroed would pass the rest); with
    // one data slice RS is plain replication.
    if (s.data > 1) {
        EXPECT_NE(original[std::size_t(s.data)], original[0]);
        EXPECT_NE(original[std::size_t(s.data)], original[1]);
    }
    const int n = codec.total();
    // Every set of exactly `parity` erased slices (bitmask over n <= 16 slices).
    int sets = 0;
    for (unsigned mask = 0; mask < (1u << n); ++mask) {
        if (__builtin_popcount(mask) != s.parity)
            continue;
        ++sets;
        std::vector<Bytes> damaged = original;
        std::vector<bool> present(std::size_t(n), true);
        std::vector<std::uint8_t *> ptrs;
        for (int i = 0; i < n; ++i) {
            if (mask & (1u << i)) {
                present[std::size_t(i)] = false;
                std::fill(damaged[std::size_t(i)].begin(), damaged[std::size_t(i)].end(), 0xa5);
            }
            ptrs.push_back(damaged[std::size_t(i)].data());
        }
        ASSERT_TRUE(codec.reconstruct(s.len, ptrs.data(), present)) << "mask " << mask;
        EXPECT_EQ(damaged, original) << "mask " << mask;
    }
    EXPECT_GT(sets, 0);
}

TEST_P(RsCodecTest, OneSliceTooFewIsRefused)
{
    const Shape s = GetParam();
    const RsCodec codec(s.data, s.parity);
    std::vector<Bytes> slices = encoded(codec, s.len, 9);
    std::vector<bool> present(std::size_t(codec.total()), true);
    for (int i = 0; i <= s.parity; ++i)
        present[std::size_t(i)] = false;
    std::vector<std::uint8_t *> ptrs;
    for (auto &b : slices)
        ptrs.push_back(b.data());
    auto r = codec.reconstruct(s.len, ptrs.data(), present);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

INSTANTIATE_TEST_SUITE_P(Shapes, RsCodecTest,
                         testing::Values(Shape{2, 1, 4096}, Shape{2, 2, 1000}, Shape{4, 2, 333},
                                         Shape{1, 1, 17}, Shape{8, 4, 64}),
                         [](const auto &info) {
                             return "D" + std::to_string(info.param.data) + "P"
                                 + std::to_string(info.param.parity);
                         });

} // namespace
} // namespace Kiln::Ec
