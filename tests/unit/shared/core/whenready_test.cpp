#include "shared/core/whenready.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QFutureInterface>
#include <QSemaphore>
#include <QThread>
#include <QThreadPool>
#include <QtConcurrent>

#include <memory>
#include <vector>

namespace Kiln {
namespace {

using Test::holdsFor;
using Test::waitUntil;

// whenReady posts through the event loop, so these tests need an application object; the
// suite's executable uses gtest_main, so the first test makes one.
class WhenReadyTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        if (!QCoreApplication::instance()) {
            static int argc = 1;
            static char name[] = "kiln_unit_shared";
            static char *argv[] = {name, nullptr};
            static QCoreApplication app(argc, argv);
        }
    }

    QThreadPool m_pool;
};

TEST_F(WhenReadyTest, GivesTheResultOnTheContextsThreadAfterTheCallReturns)
{
    QObject context;
    QSemaphore go;
    auto future = QtConcurrent::run(&m_pool, [&go] {
        go.acquire();
        return QThread::currentThread();
    });
    QThread *ranOn = nullptr;
    QThread *calledOn = nullptr;
    whenReady(future, &context, [&](QThread *worker) {
        ranOn = worker;
        calledOn = QThread::currentThread();
    });
    go.release();
    ASSERT_TRUE(waitUntil([&] { return calledOn != nullptr; }));
    EXPECT_EQ(calledOn, context.thread());
    EXPECT_NE(ranOn, context.thread());
}

TEST_F(WhenReadyTest, AFutureAlreadyFinishedIsStillAnsweredFromTheEventLoop)
{
    QObject context;
    int got = 0;
    whenReady(QtFuture::makeReadyFuture(42), &context, [&](int value) { got = value; });
    EXPECT_EQ(got, 0) << "called from inside whenReady";
    ASSERT_TRUE(waitUntil([&] { return got != 0; }));
    EXPECT_EQ(got, 42);
}

TEST_F(WhenReadyTest, AVoidFutureCallsWithoutAnArgument)
{
    QObject context;
    bool called = false;
    whenReady(QtConcurrent::run(&m_pool, [] {}), &context, [&] { called = true; });
    EXPECT_TRUE(waitUntil([&] { return called; }));
}

TEST_F(WhenReadyTest, ACancelledFutureIsNotAnswered)
{
    QObject context;
    QFutureInterface<int> promise;
    promise.reportStarted();
    bool called = false;
    whenReady(promise.future(), &context, [&](int) { called = true; });
    promise.cancel();
    promise.reportFinished();
    EXPECT_TRUE(holdsFor([&] { return !called; }, 200));
}

TEST_F(WhenReadyTest, AContextDestroyedBeforeTheFutureFinishesIsNeverCalled)
{
    auto context = std::make_unique<QObject>();
    QSemaphore go;
    auto future = QtConcurrent::run(&m_pool, [&go] {
        go.acquire();
        return 7;
    });
    bool called = false;
    whenReady(future, context.get(), [&](int) { called = true; });
    context.reset();
    go.release();
    future.waitForFinished();
    EXPECT_TRUE(holdsFor([&] { return !called; }, 200));
}

// Contexts destroyed while their futures finish on the pool, over and over: each callback runs
// once for a context still alive, never for one destroyed, never twice; nothing crashes.
TEST_F(WhenReadyTest, ContextsDestroyedWhileFuturesFinishRaceSafely)
{
    m_pool.setMaxThreadCount(2);
    constexpr int Rounds = 3000;
    auto calls = std::make_shared<std::vector<int>>(Rounds, 0);
    auto late = std::make_shared<int>(0);
    std::vector<int> kept;
    std::vector<std::unique_ptr<QObject>> survivors;
    for (int i = 0; i < Rounds; ++i) {
        auto context = std::make_unique<QObject>();
        auto alive = std::make_shared<bool>(true);
        QObject::connect(context.get(), &QObject::destroyed, [alive] { *alive = false; });
        whenReady(QtConcurrent::run(&m_pool, [i] { return i; }), context.get(),
                  [calls, late, alive](int index) {
                      ++(*calls)[index];
                      if (!*alive)
                          ++*late;
                  });
        if (i % 3 == 0) {
            survivors.push_back(std::move(context));
            kept.push_back(i);
        } else if (i % 3 == 1) {
            QCoreApplication::processEvents(); // some have finished, some not: destroyed mid-way
        }
    }
    m_pool.waitForDone();
    const auto allKeptCalled = [&] {
        for (int i : kept) {
            if ((*calls)[i] == 0)
                return false;
        }
        return true;
    };
    ASSERT_TRUE(waitUntil(allKeptCalled, 10000));
    QCoreApplication::processEvents();
    EXPECT_EQ(*late, 0);
    for (int i = 0; i < Rounds; ++i)
        ASSERT_LE((*calls)[i], 1) << "round " << i;
}

} // namespace
} // namespace Kiln
