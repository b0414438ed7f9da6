#include "service/ec/rscodec.h"

#include <QString>

#include <isa-l/erasure_code.h>

namespace Kiln::Ec {

RsCodec::RsCodec(int data, int parity)
    : m_data(data)
    , m_parity(parity)
    , m_matrix(std::size_t(data + parity) * std::size_t(data))
    , m_tables(std::size_t(data) * std::size_t(parity) * 32)
{
    gf_gen_cauchy1_matrix(m_matrix.data(), data + parity, data);
    ec_init_tables(data, parity, m_matrix.data() + std::size_t(data) * std::size_t(data),
                   m_tables.data());
}

void RsCodec::encode(int len, const std::uint8_t *const *data, std::uint8_t *const *parity) const
{
    // ISA-L takes non-const pointers but only reads the sources and the tables.
    ec_encode_data(len, m_data, m_parity, const_cast<unsigned char *>(m_tables.data()),
                   const_cast<unsigned char **>(data), const_cast<unsigned char **>(parity));
}

void RsCodec::apply(int len, const std::vector<std::uint8_t> &rows, int rowCount,
                    const std::uint8_t *const *sources, std::uint8_t *const *outputs) const
{
    std::vector<std::uint8_t> tables(std::size_t(m_data) * std::size_t(rowCount) * 32);
    ec_init_tables(m_data, rowCount, const_cast<unsigned char *>(rows.data()), tables.data());
    ec_encode_data(len, m_data, rowCount, tables.data(), const_cast<unsigned char **>(sources),
                   const_cast<unsigned char **>(outputs));
}

Result<void> RsCodec::reconstruct(int len, std::uint8_t *const *slices,
                                  const std::vector<bool> &present) const
{
    const auto k = std::size_t(m_data);
    std::vector<int> survivors, lostData, lostParity;
    for (int i = 0; i < total(); ++i) {
        if (present[std::size_t(i)]) {
            if (survivors.size() < k)
                survivors.push_back(i);
        } else {
            (i < m_data ? lostData : lostParity).push_back(i);
        }
    }
    if (survivors.size() < k)
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("only %1 of the %2 slices needed to rebuild")
                             .arg(survivors.size())
                             .arg(m_data));
    if (!lostData.empty()) {
        // The survivors' rows of the encoding matrix, inverted, map survivors back to data.
        std::vector<std::uint8_t> rows(k * k), inverse(k * k);
        for (std::size_t r = 0; r < k; ++r)
            std::copy_n(m_matrix.begin() + std::ptrdiff_t(std::size_t(survivors[r]) * k), k,
                        rows.begin() + std::ptrdiff_t(r * k));
        if (gf_invert_matrix(rows.data(), inverse.data(), m_data) != 0)
            return makeError(ErrorCode::Internal, QStringLiteral("singular decode matrix"));
        std::vector<std::uint8_t> wanted;
        std::vector<const std::uint8_t *> sources;
        std::vector<std::uint8_t *> outputs;
        for (int s : survivors)
            sources.push_back(slices[s]);
        for (int lost : lostData) {
            wanted.insert(wanted.end(), inverse.begin() + std::ptrdiff_t(std::size_t(lost) * k),
                          inverse.begin() + std::ptrdiff_t(std::size_t(lost + 1) * k));
            outputs.push_back(slices[lost]);
        }
        apply(len, wanted, int(lostData.size()), sources.data(), outputs.data());
    }
    if (!lostParity.empty()) {
        // Every data slice is whole now: lost parity is encoded again from them.
        std::vector<std::uint8_t> wanted;
        std::vector<std::uint8_t *> outputs;
        for (int lost : lostParity) {
            wanted.insert(wanted.end(), m_matrix.begin() + std::ptrdiff_t(std::size_t(lost) * k),
                          m_matrix.begin() + std::ptrdiff_t(std::size_t(lost + 1) * k));
            outputs.push_back(slices[lost]);
        }
        apply(len, wanted, int(lostParity.size()), slices, outputs.data());
    }
    return {};
}

} // namespace Kiln::Ec
