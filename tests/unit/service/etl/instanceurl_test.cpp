#include "service/etl/comm/instanceurl.h"

#include <gtest/gtest.h>

#include <QHostAddress>

namespace Kiln::Etl::Tests {
namespace {

struct ReachRow
{
    const char *name;
    const char *url;
    const char *client;
    bool reachable;
};

class ReachableFrom : public testing::TestWithParam<ReachRow>
{
};

// An hpull:// client is sent to its instance's URL only when it can open it: a local instance
// serves on the target's loopback, which only a client on the same host reaches.
TEST_P(ReachableFrom, LoopbackUrlsOnlyFromThisHost)
{
    const ReachRow &row = GetParam();
    EXPECT_EQ(reachableFrom(QUrl(row.url), QHostAddress(QString::fromLatin1(row.client))),
              row.reachable);
}

INSTANTIATE_TEST_SUITE_P(
    InstanceUrl, ReachableFrom,
    testing::Values(
        ReachRow{"LoopbackFromLoopback", "http://127.0.0.1:4000/x", "127.0.0.1", true},
        ReachRow{"LoopbackFromOtherLoopback", "http://127.0.0.1:4000/x", "127.0.0.9", true},
        ReachRow{"LoopbackFromMappedV4", "http://127.0.0.1:4000/x", "::ffff:127.0.0.1", true},
        ReachRow{"LoopbackFromV6Loopback", "http://127.0.0.1:4000/x", "::1", true},
        ReachRow{"LoopbackFromAnotherHost", "http://127.0.0.1:4000/x", "10.77.0.1", false},
        ReachRow{"LoopbackFromMappedOtherHost", "http://127.0.0.1:4000/x", "::ffff:10.77.0.1",
                 false},
        ReachRow{"LocalhostFromAnotherHost", "http://LocalHost:4000/x", "192.0.2.7", false},
        ReachRow{"V6LoopbackFromAnotherHost", "http://[::1]:4000/x", "fd00::2", false},
        ReachRow{"PodAddressFromAnotherHost", "http://10.244.1.7:8000/x", "10.77.0.1", true},
        ReachRow{"HostNameFromAnotherHost", "http://etl-pod.svc:8000/x", "10.77.0.1", true}),
    [](const testing::TestParamInfo<ReachRow> &info) { return std::string(info.param.name); });

} // namespace
} // namespace Kiln::Etl::Tests
