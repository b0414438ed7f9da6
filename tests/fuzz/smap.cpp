// Fuzz target: the cluster map decoder (shared/cluster/smap), as nodes receive it from peers.
// A map it accepts must encode and decode again to the same JSON.
#include "shared/cluster/smap.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto doc = Kiln::Fuzz::jsonDoc(data, size);
    if (!doc || !doc->isObject())
        return 0;
    const auto smap = Kiln::Cluster::Smap::fromJson(doc->object());
    if (!smap)
        return 0;
    const QJsonObject once = smap->toJson();
    const auto again = Kiln::Cluster::Smap::fromJson(once);
    if (!again || again->toJson() != once)
        std::abort();
    return 0;
}
