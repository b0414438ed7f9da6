#include "service/node/fatalreport.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <exception>
#include <stdexcept>

using Kiln::Node::installFatalReport;

// Death tests run the statement in a forked child; "threadsafe" re-executes the binary, so the
// handlers are installed in the child only.
class FatalReportDeath : public ::testing::Test
{
protected:
    void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(FatalReportDeath, UncaughtExceptionIsNamedWithItsMessage)
{
    EXPECT_DEATH(
        {
            installFatalReport();
            // As the runtime does when an exception leaves a noexcept function or a thread.
            try {
                throw std::runtime_error("the drain finished twice");
            } catch (...) {
                std::terminate();
            }
        },
        "kilnd fatal: uncaught exception of type .*runtime_error.*: the drain finished twice");
}

TEST_F(FatalReportDeath, FatalSignalIsNamedAndStillKills)
{
    EXPECT_EXIT(
        {
            installFatalReport();
            std::raise(SIGSEGV);
        },
        ::testing::KilledBySignal(SIGSEGV), "kilnd fatal: signal 11 \\(SEGV\\) in pid [0-9]+\n"
        // Then the frames, innermost first, each with its module and address.
        "(.*\\[0x[0-9a-f]+\\]\n)+");
}

TEST_F(FatalReportDeath, AbortIsReported)
{
    EXPECT_EXIT(
        {
            installFatalReport();
            std::abort();
        },
        ::testing::KilledBySignal(SIGABRT), "kilnd fatal: signal 6 \\(ABRT\\)");
}
