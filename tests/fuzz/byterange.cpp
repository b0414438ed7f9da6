// Fuzz target: a GET's Range header (service/target/byterange) against objects of a few sizes.
// Checks the contract too: a range it accepts lies inside the object and is not empty.
#include "service/target/byterange.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray header = Kiln::Fuzz::bytes(data, size);
    for (const qint64 objectSize : {qint64(0), qint64(1), qint64(1000), qint64(1) << 40}) {
        const auto r = Kiln::Target::parseByteRange(header, objectSize, QStringLiteral("ais://b/o"));
        if (!r || !r->has_value())
            continue;
        const Kiln::Target::ByteRange range = **r;
        if (range.offset < 0 || range.length <= 0 || range.offset + range.length > objectSize)
            std::abort();
    }
    return 0;
}
