// Fuzz target: durations (shared/core/duration) as AIS messages, pod annotations and Kiln's
// config spell them ("45s", "1h30m", "10"). An accepted duration is never negative and at most
// 1e13 ms (the parser's cap), and its Go spelling parses back to the same value.
#include "shared/core/duration.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto d = Kiln::parseDuration(QString::fromUtf8(Kiln::Fuzz::bytes(data, size)));
    if (!d)
        return 0;
    if (d->count() < 0 || d->count() > 10'000'000'000'000)
        std::abort();
    const auto again = Kiln::parseDuration(Kiln::formatDuration(*d));
    if (!again || *again != *d)
        std::abort();
    return 0;
}
