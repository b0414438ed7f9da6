// Fuzz target: list-objects decoding (shared/api/lso): the client's LsoMsg (JSON) and the
// node-to-node page; a decoded page is encoded again in both public forms (JSON and msgpack).
#include "shared/api/lso.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto doc = Kiln::Fuzz::jsonDoc(data, size);
    if (!doc || !doc->isObject())
        return 0;
    const QJsonObject o = doc->object();
    const auto msg = Kiln::Api::LsoMsg::fromJson(o);
    if (msg) {
        (void)msg->effectivePageSize();
        (void)msg->toJson();
    }
    const auto page = Kiln::Api::LsoPage::fromInternalJson(o.value(QStringLiteral("page")).toObject());
    if (page) {
        const Kiln::Api::LsoMsg out = msg ? *msg : Kiln::Api::LsoMsg{};
        (void)page->toMsgpack(out);
        (void)page->toJson(out);
        if (!Kiln::Api::LsoPage::fromInternalJson(page->toInternalJson()))
            std::abort();
    }
    return 0;
}
