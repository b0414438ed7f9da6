// Fuzz target: the websocket frame head parser (readWsFrameHead, service/http/wsclient) on the
// bytes an ETL server sends. A head it reads must fit in the buffer and be 2 to 14 bytes.
#include "service/http/wsclient.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray in = Kiln::Fuzz::bytes(data, size);
    const auto head = Kiln::Http::readWsFrameHead(in);
    if (head && (head->size < 2 || head->size > 14 || head->size > in.size()))
        std::abort();
    return 0;
}
