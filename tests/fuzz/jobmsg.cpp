// Fuzz target: job messages (shared/api/tcbmsg, shared/api/jobwire): a TCB/TCO action's value
// as the proxy receives it, and the job snapshots and stats targets send back.
#include "shared/api/jobwire.h"
#include "shared/api/tcbmsg.h"
#include "tests/fuzz/fuzzjson.h"

#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const auto doc = Kiln::Fuzz::jsonDoc(data, size);
    if (!doc || !doc->isObject())
        return 0;
    const QJsonObject o = doc->object();
    for (const bool listRange : {false, true}) {
        const auto msg = Kiln::Api::TcbMsg::fromJson(o, listRange);
        if (msg && (msg->requestTimeout.count() < 0
                    || !Kiln::Api::TcbMsg::fromJson(msg->toJson(), listRange)))
            std::abort(); // a negative timeout is never valid
    }
    (void)Kiln::Api::bucketFromUname(o.value(QStringLiteral("uname")).toString());
    (void)Kiln::Api::decodeJobSnap(o);
    (void)Kiln::Api::decodeJobStatus(o);
    (void)Kiln::Api::decodeJobStats(o);
    (void)Kiln::Api::decodeJobEnd(o);
    return 0;
}
