#include "fakeapiserver.h"
#include "service/kube/podstate.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

namespace Kiln::Kube {
namespace {

QJsonObject fixturePod(const char *name)
{
    return QJsonDocument::fromJson(Test::FakeApiServer::fixture(name)).object();
}

TEST(PodStateTest, ReadyWhenTheReadyConditionIsTrue)
{
    const PodState s = PodState::fromPod(fixturePod("pod-running-ready.json"));
    EXPECT_TRUE(s.ready);
    EXPECT_EQ(s.phase, "Running");
    EXPECT_EQ(s.podIp, "10.244.1.7");
    EXPECT_TRUE(s.fatal.isEmpty());
    EXPECT_FALSE(s.deleting);
}

TEST(PodStateTest, RunningButUnreadyOrCreatingIsNotFatal)
{
    EXPECT_FALSE(PodState::fromPod(fixturePod("pod-running-unready.json")).ready);
    EXPECT_TRUE(PodState::fromPod(fixturePod("pod-running-unready.json")).fatal.isEmpty());
    EXPECT_TRUE(PodState::fromPod(fixturePod("pod-containercreating.json")).fatal.isEmpty());
    EXPECT_TRUE(PodState::fromPod(fixturePod("pod-created.json")).fatal.isEmpty());
}

TEST(PodStateTest, ImagePullBackOffIsFatalWithTheContainersMessage)
{
    const PodState s = PodState::fromPod(fixturePod("pod-imagepullbackoff.json"));
    EXPECT_TRUE(s.fatal.contains("container echo is waiting: ImagePullBackOff"));
    EXPECT_TRUE(s.fatal.contains("transformer_nope"));
}

TEST(PodStateTest, CrashLoopBackOffTellsTheLastExit)
{
    const PodState s = PodState::fromPod(fixturePod("pod-crashloopbackoff.json"));
    EXPECT_TRUE(s.fatal.contains("CrashLoopBackOff"));
    EXPECT_TRUE(s.fatal.contains("exit code 1"));
    EXPECT_TRUE(s.fatal.contains("No module named 'fastapi'"));
}

TEST(PodStateTest, UnschedulableAndDeletingAreSeen)
{
    EXPECT_TRUE(
        PodState::fromPod(fixturePod("pod-unschedulable.json")).fatal.contains("node affinity"));
    EXPECT_TRUE(PodState::fromPod(fixturePod("pod-deleting.json")).deleting);
    QJsonObject failed = fixturePod("pod-created.json");
    failed["status"]
        = QJsonObject{{"phase", "Failed"}, {"reason", "Evicted"}, {"message", "low on memory"}};
    EXPECT_EQ(PodState::fromPod(failed).fatal, "pod phase is Failed (Evicted): low on memory");
}

TEST(PodStateTest, MetricsAndLimitsInCoresAndBytes)
{
    const PodUsage used = usageFromMetrics(fixturePod("pod-metrics.json"));
    EXPECT_NEAR(used.cpuCores, 0.002512441, 1e-12);
    EXPECT_EQ(used.memBytes, 43328 * 1024);
    const PodUsage limits = limitsFromPod(fixturePod("pod-running-ready.json"));
    EXPECT_DOUBLE_EQ(limits.cpuCores, 0.5);
    EXPECT_EQ(limits.memBytes, 256 * 1024 * 1024);
    EXPECT_DOUBLE_EQ(parseCpu("1500u"), 0.0015);
    EXPECT_DOUBLE_EQ(parseCpu("2"), 2);
    EXPECT_LT(parseCpu("lots"), 0);
}

} // namespace
} // namespace Kiln::Kube
