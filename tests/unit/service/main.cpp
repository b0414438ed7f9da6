#include "shared/core/logging.h"

#include <gtest/gtest.h>

#include <QCoreApplication>

// The service suites run servers and futures that need a Qt event loop on the main thread, so
// this executable brings its own main with a QCoreApplication instead of gtest_main.
int main(int argc, char **argv)
{
    testing::InitGoogleTest(&argc, argv);
    QCoreApplication app(argc, argv);
    // Servers under test log every listen and request; keep the output to what went wrong.
    Kiln::Log::applyLevelSpec("warn");
    return RUN_ALL_TESTS();
}
