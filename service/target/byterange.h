#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace Kiln::Target {

// One byte range of an object: `length` bytes from `offset`.
struct ByteRange
{
    qint64 offset = 0;
    qint64 length = 0;
};

// A GET's Range header against an object of `size` bytes, read as AIS reads it: nullopt for
// none (the whole object), a range, or an error that AIS answers with 416 and its error body:
// a malformed header, several ranges (AIS reads one), or no range that overlaps the object
// (tcode ErrRangeNotSatisfiable; the answer then also says `Content-Range: bytes */<size>`).
// One departure: a suffix that selects no byte (`bytes=-0`, or any suffix of an empty object)
// is unsatisfiable, as RFC 9110 14.1.2 has it; AIS answers it with an empty 206 whose
// Content-Range ends before it starts. `cname` (ais://bucket/object) names the object in errors.
Result<std::optional<ByteRange>> parseByteRange(const QByteArray &header, qint64 size,
                                                const QString &cname);

inline constexpr char RangeNotSatisfiable[] = "ErrRangeNotSatisfiable";

} // namespace Kiln::Target
