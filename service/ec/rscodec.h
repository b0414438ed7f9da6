#pragma once

#include "shared/core/result.h"

#include <cstdint>
#include <vector>

namespace Kiln::Ec {

// Reed-Solomon over GF(2^8) with Intel ISA-L: `data` data slices and `parity` parity slices
// from a Cauchy matrix whose first `data` rows are the identity (a data slice is the object's
// bytes as they are). All arithmetic is ISA-L's; this class only picks the matrices. Encoding
// and decoding work on equal-length buffers (one stripe at a time), so callers stream.
// Immutable once built: one codec may serve several threads.
class RsCodec final
{
public:
    RsCodec(int data, int parity);

    int data() const { return m_data; }
    int parity() const { return m_parity; }
    int total() const { return m_data + m_parity; }

    // parity[j] (len bytes each) from data[0..data).
    void encode(int len, const std::uint8_t *const *data, std::uint8_t *const *parity) const;
    // slices[0..total) of len bytes each; the ones not `present` are rebuilt in place from the
    // first `data` present ones. Fails when fewer than `data` are present.
    Result<void> reconstruct(int len, std::uint8_t *const *slices,
                             const std::vector<bool> &present) const;

private:
    // rows x data coefficients applied to `sources` into `outputs` (ISA-L's tables and kernel).
    void apply(int len, const std::vector<std::uint8_t> &rows, int rowCount,
               const std::uint8_t *const *sources, std::uint8_t *const *outputs) const;

    int m_data;
    int m_parity;
    std::vector<std::uint8_t> m_matrix; // total x data, row-major
    std::vector<std::uint8_t> m_tables; // ISA-L's expanded tables of the parity rows
};

} // namespace Kiln::Ec
