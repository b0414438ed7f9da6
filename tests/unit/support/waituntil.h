#pragma once

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTimer>

#include <functional>

namespace Kiln::Test {

// Runs the event loop until condition() holds or timeoutMs pass; says whether it held. Sleeps in
// the event loop between checks (10 ms) rather than spinning, so timers and sockets move on.
inline bool waitUntil(const std::function<bool()> &condition, int timeoutMs = 5000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

// The check that something does NOT happen: runs the event loop for windowMs and says whether
// condition() held at every check (it stops at the first time it does not).
inline bool holdsFor(const std::function<bool()> &condition, int windowMs)
{
    QDeadlineTimer deadline(windowMs);
    while (condition()) {
        if (deadline.hasExpired())
            return true;
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return false;
}

} // namespace Kiln::Test
