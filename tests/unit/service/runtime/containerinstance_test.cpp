#include "../http/loopbackserver.h"
#include "service/runtime/containerengine.h"
#include "service/runtime/containerinstance.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QFile>
#include <QTemporaryDir>

using namespace Kiln;
using namespace Kiln::Runtime;
using Kiln::Test::waitUntil;

namespace {

// A docker stand-in: records each call, publishes the port in FAKE_PORT, fails `run` like a
// missing image when FAKE_RUN_FAIL is set; `logs -f` and `wait` block as for a live container.
constexpr char FakeEngine[] = R"(#!/bin/sh
echo "$*" >> "$FAKE_CALLS"
case "$1" in
version) echo 28.0.0-fake ;;
run) if [ -n "$FAKE_RUN_FAIL" ]; then echo "Unable to find image 'img' locally" >&2; exit 125; fi
     echo cafe0123 ;;
port) echo "127.0.0.1:$FAKE_PORT" ;;
logs) echo "serving"; exec sleep 600 ;;
wait) exec sleep 600 ;;
rm) exit 0 ;;
stats) echo '{"CPUPerc":"1.00%","MemUsage":"1MiB / 2GiB"}' ;;
esac
)";

struct Fixture
{
    QTemporaryDir dir;
    Http::Tests::LoopbackServer server;
    ContainerEngine *engine = nullptr;
    QObject owner;

    Fixture()
    {
        const QString path = dir.path() + "/fake-docker";
        QFile f(path);
        EXPECT_TRUE(f.open(QIODevice::WriteOnly));
        f.write(FakeEngine);
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qputenv("FAKE_CALLS", (dir.path() + "/calls").toUtf8());
        qputenv("FAKE_PORT", QByteArray::number(server.port()));
        qunsetenv("FAKE_RUN_FAIL");
        engine = new ContainerEngine(path, &owner);
    }
    ContainerInstance *make()
    {
        InstanceSpec spec;
        spec.msg.name = QStringLiteral("ctr");
        spec.targetId = QStringLiteral("t1");
        ContainerPlan plan;
        plan.name = QStringLiteral("kiln-ctr-t1");
        plan.image = QStringLiteral("img:1");
        plan.probePath = QStringLiteral("/hello");
        return new ContainerInstance(spec, plan, engine, &owner);
    }
    QString calls() const
    {
        QFile f(dir.path() + "/calls");
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }
};

} // namespace

TEST(ContainerInstanceTest, RunsPublishesProbesAndRemovesOnStop)
{
    Fixture f;
    ContainerInstance *instance = f.make();
    bool ready = false, stopped = false;
    QString failure;
    QObject::connect(instance, &Instance::ready, [&] { ready = true; });
    QObject::connect(instance, &Instance::failed, [&](const Error &e) { failure = e.message; });
    QObject::connect(instance, &Instance::stopped, [&] { stopped = true; });
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return ready || !failure.isEmpty(); }, 20000));
    ASSERT_TRUE(ready) << failure.toStdString();
    EXPECT_EQ(instance->phase(), "Running");
    EXPECT_EQ(instance->endpoint().port(), f.server.port());
    EXPECT_TRUE(waitUntil([&] { return instance->logs().contains("serving"); }));
    instance->stop();
    ASSERT_TRUE(waitUntil([&] { return stopped; }, 20000));
    EXPECT_EQ(instance->phase(), "Succeeded");
    EXPECT_TRUE(f.calls().contains("rm -f cafe0123")) << f.calls().toStdString();
    delete instance; // `logs -f` and `wait` still run: reaped, not waited for
}

TEST(ContainerInstanceTest, AnImageThatCannotBePulledFailsTheStart)
{
    Fixture f;
    qputenv("FAKE_RUN_FAIL", "1");
    ContainerInstance *instance = f.make();
    QList<Error> failures;
    QObject::connect(instance, &Instance::failed, [&](const Error &e) { failures.append(e); });
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return !failures.isEmpty(); }, 20000));
    qunsetenv("FAKE_RUN_FAIL");
    EXPECT_EQ(failures.first().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(failures.first().message.contains("could not pull it"))
        << failures.first().message.toStdString();
    EXPECT_EQ(instance->phase(), "Failed");
}
