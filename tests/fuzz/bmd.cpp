// Fuzz target: the bucket metadata decoder (shared/api/bmd), as nodes receive it from peers.
// A BMD it accepts must encode and decode again to the same JSON.
#include "shared/api/bmd.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto doc = Kiln::Fuzz::jsonDoc(data, size);
    if (!doc || !doc->isObject())
        return 0;
    const auto bmd = Kiln::Api::Bmd::fromJson(doc->object());
    if (!bmd)
        return 0;
    const QJsonObject once = bmd->toJson();
    const auto again = Kiln::Api::Bmd::fromJson(once);
    if (!again || again->toJson() != once)
        std::abort();
    return 0;
}
