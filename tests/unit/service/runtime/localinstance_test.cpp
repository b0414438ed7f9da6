#include "tests/unit/support/waituntil.h"
#include "service/runtime/localinstance.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QFile>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace Kiln;
using namespace Kiln::Runtime;
using Kiln::Test::waitUntil;

namespace {

// The first launch fails as a server does whose port another process bound first (the line
// Python prints); every later one serves on its port. A marker file tells the two apart.
constexpr char Server[] = R"(
import http.server, os, sys
marker, port = sys.argv[1], int(sys.argv[2])
if not os.path.exists(marker):
    open(marker, "w").close()
    print("OSError: [Errno 98] Address already in use", flush=True)
    sys.exit(1)
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", port), Ok).serve_forever()
)";

int freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

struct Fixture
{
    QTemporaryDir dir;
    InstanceSpec spec;
    int plans = 0;

    Fixture()
    {
        spec.msg.name = QStringLiteral("relaunch");
        spec.targetId = QStringLiteral("t1");
        spec.workDir = dir.path() + "/work";
    }
    LaunchPlan plan(const QString &marker)
    {
        ++plans;
        LaunchPlan p;
        p.program = QStringLiteral("python3");
        p.port = freePort();
        p.arguments = {"-c", Server, marker, QString::number(p.port)};
        p.environment = QProcessEnvironment::systemEnvironment();
        p.workDir = spec.workDir;
        p.probePath = QStringLiteral("/");
        return p;
    }
};

} // namespace

TEST(LocalInstanceTest, APortTakenBeforeTheBindIsRetriedOnAnotherPort)
{
    Fixture f;
    const QString marker = f.dir.path() + "/failed-once";
    LocalInstance instance(f.spec, f.plan(marker), nullptr);
    instance.setReplanner([&] { return Result<LaunchPlan>(f.plan(marker)); });
    bool ready = false;
    QString failure;
    QObject::connect(&instance, &Instance::ready, [&] { ready = true; });
    QObject::connect(&instance, &Instance::failed,
                     [&](const Error &e) { failure = e.message.isEmpty() ? "?" : e.message; });
    instance.start();
    ASSERT_TRUE(waitUntil([&] { return ready || !failure.isEmpty(); }, 20000));
    EXPECT_TRUE(ready) << failure.toStdString();
    EXPECT_EQ(f.plans, 2); // the first plan and one relaunch
    EXPECT_TRUE(instance.logs().contains("was taken by another process"));
    bool stopped = false;
    QObject::connect(&instance, &Instance::stopped, [&] { stopped = true; });
    instance.stop();
    EXPECT_TRUE(waitUntil([&] { return stopped; }, 10000));
}

TEST(LocalInstanceTest, RelaunchesAreBounded)
{
    Fixture f;
    LaunchPlan plan = f.plan(f.dir.path() + "/unused");
    const QStringList alwaysTaken
        = {"-c", "import sys; print('OSError: [Errno 98] Address already in use'); sys.exit(1)"};
    plan.arguments = alwaysTaken;
    LocalInstance instance(f.spec, plan, nullptr);
    instance.setReplanner([&] {
        LaunchPlan again = f.plan(f.dir.path() + "/unused");
        again.arguments = alwaysTaken;
        return Result<LaunchPlan>(again);
    });
    QString failure;
    QObject::connect(&instance, &Instance::failed, [&](const Error &e) { failure = e.message; });
    instance.start();
    ASSERT_TRUE(waitUntil([&] { return !failure.isEmpty(); }, 20000));
    EXPECT_TRUE(failure.contains("Address already in use")) << failure.toStdString();
    EXPECT_EQ(f.plans, 1 + LocalInstance::MaxRelaunches);
}

TEST(LocalInstanceTest, OtherStartFailuresAreNotRelaunched)
{
    Fixture f;
    LaunchPlan plan = f.plan(f.dir.path() + "/unused");
    plan.arguments = {"-c", "import sys; print('no such module'); sys.exit(3)"};
    LocalInstance instance(f.spec, plan, nullptr);
    instance.setReplanner([&] { return Result<LaunchPlan>(f.plan(f.dir.path() + "/unused")); });
    QString failure;
    QObject::connect(&instance, &Instance::failed, [&](const Error &e) { failure = e.message; });
    instance.start();
    ASSERT_TRUE(waitUntil([&] { return !failure.isEmpty(); }, 20000));
    EXPECT_TRUE(failure.contains("exited with status 3")) << failure.toStdString();
    EXPECT_EQ(f.plans, 1);
}

TEST(LocalInstanceTest, NeverReadyFailsAtTheInitTimeoutWithTheLastOutput)
{
    Fixture f;
    f.spec.msg.initTimeout = std::chrono::milliseconds(3000); // python prints well before, even under load
    LaunchPlan plan = f.plan(f.dir.path() + "/unused");
    plan.arguments = {"-c", "import time; print('warming up', flush=True); time.sleep(600)"};
    LocalInstance instance(f.spec, plan, nullptr);
    QList<Error> failures;
    QObject::connect(&instance, &Instance::failed, [&](const Error &e) { failures.append(e); });
    instance.start();
    ASSERT_TRUE(waitUntil([&] { return !failures.isEmpty(); }, 20000));
    EXPECT_EQ(failures.first().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(failures.first().message.contains("did not become ready within"));
    EXPECT_TRUE(failures.first().message.contains("warming up"))
        << failures.first().message.toStdString();
    EXPECT_EQ(instance.phase(), "Failed");
}

TEST(LocalInstanceTest, DeletingARunningInstanceKillsItsGroupWithoutWaiting)
{
    Fixture f;
    const QString marker = f.dir.path() + "/served-before";
    QFile(marker).open(QIODevice::WriteOnly); // it serves at once
    auto *instance = new LocalInstance(f.spec, f.plan(marker), nullptr);
    bool ready = false;
    QObject::connect(instance, &Instance::ready, [&] { ready = true; });
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return ready; }, 20000));
    ASSERT_EQ(instance->pids().size(), 1);
    const qint64 pid = instance->pids().first();
    QElapsedTimer clock;
    clock.start();
    delete instance;
    EXPECT_LT(clock.elapsed(), 100);
    // Gone, and reaped (no zombie left in /proc) once the event loop has seen it finish.
    EXPECT_TRUE(waitUntil([&] { return !QFile::exists(QStringLiteral("/proc/%1").arg(pid)); }));
}
