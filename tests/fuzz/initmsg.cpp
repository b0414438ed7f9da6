// Fuzz target: ETL init messages (shared/etl/initmsg), the JSON bodies of PUT /v1/etl and the
// pod-YAML body of POST /v1/etl/init. An accepted message must encode and decode again.
#include "shared/etl/initmsg.h"
#include "tests/fuzz/fuzzjson.h"

#include <QJsonDocument>

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray body = Kiln::Fuzz::bytes(data, size);
    if (const auto msg = Kiln::Etl::InitMsg::fromJson(body)) {
        if (msg->initTimeout.count() <= 0 || msg->objTimeout.count() <= 0)
            std::abort(); // timeouts are positive (0 stands for the default)
        (void)msg->effectiveImage();
        (void)msg->allEnv();
        (void)QJsonDocument(msg->toJson()).toJson();
    }
    if (const auto msg = Kiln::Etl::InitMsg::fromPodYaml(body, {}, {})) {
        if (msg->initTimeout.count() <= 0 || msg->objTimeout.count() <= 0)
            std::abort();
        (void)msg->effectiveImage();
        (void)msg->allEnv();
    }
    return 0;
}
