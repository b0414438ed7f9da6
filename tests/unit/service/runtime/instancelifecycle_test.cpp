#include "../http/loopbackserver.h"
#include "service/runtime/instancelifecycle.h"
#include "service/runtime/readinessprobe.h"
#include "shared/core/duration.h"
#include "shared/core/logging.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

using namespace Kiln;
using namespace Kiln::Runtime;
using Kiln::Test::waitUntil;
using namespace std::chrono_literals;

namespace {

// The smallest runtime: start() launches at once, the test says when it is ready or exits.
class TestInstance final : public InstanceLifecycle
{
public:
    explicit TestInstance(std::chrono::milliseconds initTimeout)
        : InstanceLifecycle(makeSpec(initTimeout), Log::runtime(), nullptr)
    {
        connect(this, &Instance::ready, this, [this] { ++readies; });
        connect(this, &Instance::failed, this, [this](const Error &e) { failures.append(e); });
        connect(this, &Instance::exited, this, [this](const Error &e) { exits.append(e); });
        connect(this, &Instance::stopped, this, [this] { ++stops; });
    }
    void start() override
    {
        if (beginStart())
            setStarting();
    }
    void stop() override { markStoppedLater(); }
    QUrl endpoint() const override { return {}; }
    Usage usage() override { return {}; }
    QByteArray logs() const override { return {}; }
    QList<qint64> pids() const override { return {}; }

    using InstanceLifecycle::failStart;
    using InstanceLifecycle::markExited;
    using InstanceLifecycle::markReady;

    int readies = 0;
    int stops = 0;
    int cleanUps = 0;
    QList<Error> failures;
    QList<Error> exits;

private:
    static InstanceSpec makeSpec(std::chrono::milliseconds initTimeout)
    {
        InstanceSpec spec;
        spec.msg.name = QStringLiteral("life");
        spec.msg.initTimeout = initTimeout;
        spec.targetId = QStringLiteral("t1");
        return spec;
    }
    QString timeoutDetail() const override { return QStringLiteral(" (still warming up)"); }
    void cleanUpFailedStart() override { ++cleanUps; }
};

} // namespace

TEST(InstanceLifecycleTest, PhaseFollowsTheStates)
{
    TestInstance instance(10s);
    EXPECT_EQ(instance.phase(), "Pending");
    instance.start();
    EXPECT_EQ(instance.state(), InstanceLifecycle::State::Starting);
    EXPECT_EQ(instance.phase(), "Pending");
    instance.markReady(QStringLiteral("here"));
    EXPECT_EQ(instance.readies, 1);
    EXPECT_EQ(instance.phase(), "Running");
    instance.failStart(makeError(ErrorCode::Internal, "late")); // ready: ignored
    EXPECT_TRUE(instance.failures.isEmpty());
    EXPECT_TRUE(instance.markExited(makeError(ErrorCode::Aborted, "died")));
    EXPECT_FALSE(instance.markExited(makeError(ErrorCode::Aborted, "twice")));
    EXPECT_EQ(instance.exits.size(), 1);
    EXPECT_EQ(instance.phase(), "Failed");
    instance.stop();
    EXPECT_EQ(instance.stops, 0); // never inside the call
    ASSERT_TRUE(waitUntil([&] { return instance.stops == 1; }));
    EXPECT_EQ(instance.phase(), "Succeeded");
}

TEST(InstanceLifecycleTest, InitTimeoutFailsOnceAsAnEtlError)
{
    TestInstance instance(200ms);
    instance.start();
    ASSERT_TRUE(waitUntil([&] { return !instance.failures.isEmpty(); }));
    const Error &e = instance.failures.first();
    EXPECT_EQ(e.code, ErrorCode::InvalidArgument);
    EXPECT_EQ(e.message, "ETL life on target t1: did not become ready within "
                  + formatDuration(200ms) + " (still warming up)")
        << e.message.toStdString();
    EXPECT_EQ(instance.cleanUps, 1);
    EXPECT_EQ(instance.phase(), "Failed");
    instance.markReady(QStringLiteral("late")); // failed: ignored
    EXPECT_EQ(instance.readies, 0);
}

TEST(InstanceLifecycleTest, ReadyStopsTheInitTimer)
{
    TestInstance instance(200ms);
    instance.start();
    instance.markReady({});
    waitUntil([] { return false; }, 400);
    EXPECT_TRUE(instance.failures.isEmpty());
    EXPECT_EQ(instance.readies, 1);
}

TEST(ReadinessProbeTest, SucceedsOnA200AndStops)
{
    Http::Tests::LoopbackServer server;
    ReadinessProbe probe;
    probe.setInterval(50ms);
    int successes = 0;
    QObject::connect(&probe, &ReadinessProbe::succeeded, [&] { ++successes; });
    probe.start(QUrl(QStringLiteral("http://127.0.0.1:%1/hello").arg(server.port())));
    ASSERT_TRUE(waitUntil([&] { return successes == 1; }));
    EXPECT_FALSE(probe.isActive());
}

TEST(ReadinessProbeTest, KeepsProbingWhileTheServerSaysNo)
{
    Http::Tests::LoopbackServer server;
    ReadinessProbe probe;
    probe.setInterval(50ms);
    int successes = 0;
    QObject::connect(&probe, &ReadinessProbe::succeeded, [&] { ++successes; });
    probe.start(QUrl(QStringLiteral("http://127.0.0.1:%1/missing").arg(server.port())));
    waitUntil([] { return false; }, 400);
    EXPECT_EQ(successes, 0);
    EXPECT_TRUE(probe.isActive());
    probe.stop();
    EXPECT_FALSE(probe.isActive());
}
