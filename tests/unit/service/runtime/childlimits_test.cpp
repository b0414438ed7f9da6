#include "service/runtime/cgroup.h"
#include "service/runtime/childlimits.h"
#include "shared/etl/podspec.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>

#include <sys/resource.h>

using namespace Kiln::Runtime;
using namespace std::chrono_literals;

namespace {

QByteArray cpuMaxOf(const QString &quantity)
{
    const std::optional<double> cores = Kiln::Etl::parseCpuQuantity(quantity);
    EXPECT_TRUE(cores.has_value()) << quantity.toStdString();
    return cpuMaxValue(cores.value_or(0));
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed() : QByteArray();
}

} // namespace

TEST(SandboxCpuLimitTest, SpecQuantitiesBecomeCpuMax)
{
    EXPECT_EQ(cpuMaxOf("500m"), "50000 100000");
    EXPECT_EQ(cpuMaxOf("200m"), "20000 100000");
    EXPECT_EQ(cpuMaxOf("1"), "100000 100000");
    EXPECT_EQ(cpuMaxOf("2.5"), "250000 100000");
    EXPECT_EQ(cpuMaxOf("1500m"), "150000 100000");
    // Below the kernel's 1 ms minimum: the minimum, not a refused write.
    EXPECT_EQ(cpuMaxOf("1m"), "1000 100000");
    EXPECT_EQ(cpuMaxValue(0), "max 100000");
    EXPECT_EQ(cpuMaxValue(-1), "max 100000");
    EXPECT_EQ(cpuQuotaMicros(0.25, 200000), 50000);
}

TEST(SandboxCpuLimitTest, TheFallbackBoundsAnObjectsCpuSecondsByItsTimeout)
{
    EXPECT_EQ(cpuSecondsPerObject(0.5, 10s), 5);
    EXPECT_EQ(cpuSecondsPerObject(0.2, 45s), 9);
    EXPECT_EQ(cpuSecondsPerObject(0.01, 10s), 1); // never 0, which would mean no limit
    EXPECT_EQ(cpuSecondsPerObject(0.3, 1001ms), 1);
    EXPECT_EQ(cpuSecondsPerObject(0, 10s), 0);
}

TEST(SandboxCgroupTest, PlacesComeFromMountsAndTheProcessCgroup)
{
    const QByteArray hybrid = "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
                              "cgroup /sys/fs/cgroup/cpuset cgroup rw,relatime,cpuset 0 0\n"
                              "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,cpu,cpuacct 0 0\n"
                              "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
    const QByteArray self = "4:memory:/a/b\n3:cpuset:/\n2:cpu,cpuacct:/kiln/x\n0::/user.slice\n";
    const CgroupPlaces p = CgroupPlaces::parse(hybrid, self);
    EXPECT_EQ(p.v2Mount, "/sys/fs/cgroup/unified");
    EXPECT_EQ(p.v2Path, "/user.slice");
    EXPECT_EQ(p.v1CpuMount, "/sys/fs/cgroup/cpu,cpuacct"); // not cpuset's
    EXPECT_EQ(p.v1CpuPath, "/kiln/x");

    const CgroupPlaces unified = CgroupPlaces::parse(
        "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n", "0::/system.slice/kilnd.service\n");
    EXPECT_EQ(unified.v2Mount, "/sys/fs/cgroup");
    EXPECT_EQ(unified.v2Path, "/system.slice/kilnd.service");
    EXPECT_TRUE(unified.v1CpuMount.isEmpty());
}

TEST(SandboxCgroupTest, NoHierarchyMeansNoCgroupAndSaysWhy)
{
    const CgroupHost none = CgroupHost::detect(CgroupPlaces{});
    EXPECT_EQ(none.kind, CgroupHost::Kind::None);
    EXPECT_FALSE(none.why.isEmpty());
    EXPECT_TRUE(none.describe().contains("RLIMIT_CPU"));
    const CgroupHost missing = CgroupHost::detect(
        CgroupPlaces{"/nonexistent-cgroup2", "/", "/nonexistent-cpu", "/"});
    EXPECT_EQ(missing.kind, CgroupHost::Kind::None);
    EXPECT_TRUE(missing.why.contains("/nonexistent-cgroup2")) << missing.why.toStdString();
    EXPECT_TRUE(missing.why.contains("/nonexistent-cpu")) << missing.why.toStdString();
    EXPECT_FALSE(InstanceCgroup::create(none, "x", 0.5, 0));
}

// On a machine where this process can make cgroups (root in a VM or CI container): a real one,
// with the limit written, that a child joins, and that is gone once removed.
TEST(SandboxCgroupTest, AnInstanceCgroupHoldsItsLimitAndIsRemoved)
{
    const CgroupHost &host = CgroupHost::local();
    if (host.kind == CgroupHost::Kind::None)
        GTEST_SKIP() << "no writable cgroup: " << host.why.toStdString();
    auto cg = InstanceCgroup::create(host, "unit-test", 0.2, qint64(64) << 20);
    ASSERT_TRUE(cg) << cg.error().message.toStdString();
    const QString dir = (*cg)->path();
    if (host.kind == CgroupHost::Kind::V2)
        EXPECT_EQ(readAll(dir + "/cpu.max"), "20000 100000");
    else
        EXPECT_EQ(readAll(dir + "/cpu.cfs_quota_us"), "20000");

    QProcess p;
    ChildLimits limits;
    limits.cgroupProcs = (*cg)->procsFile();
    p.setChildProcessModifier([limits] { applyChildLimits(limits); });
    p.start("/bin/sh", {"-c", "cat /proc/self/cgroup"});
    ASSERT_TRUE(p.waitForFinished(10000));
    const QString name = QDir(dir).dirName();
    EXPECT_TRUE(p.readAllStandardOutput().contains(name.toUtf8()));

    (*cg)->remove();
    for (int i = 0; i < 50 && QFile::exists(dir); ++i) // removal is retried on the event loop
        QCoreApplication::processEvents(QEventLoop::AllEvents, 100);
    EXPECT_FALSE(QFile::exists(dir));
}

TEST(SandboxCpuLimitTest, RlimitCpuAndNiceApplyInTheChild)
{
    QProcess p;
    ChildLimits limits;
    limits.cpuSeconds = 7;
    limits.nice = FallbackNice;
    p.setChildProcessModifier([limits] { applyChildLimits(limits); });
    p.start("/bin/sh", {"-c", "ulimit -t; cut -d' ' -f19 /proc/self/stat"});
    ASSERT_TRUE(p.waitForFinished(10000));
    const QList<QByteArray> lines = p.readAllStandardOutput().trimmed().split('\n');
    ASSERT_EQ(lines.size(), 2);
    EXPECT_EQ(lines[0].trimmed(), "7");
    EXPECT_EQ(lines[1].trimmed().toInt(), FallbackNice);
}
