#pragma once
// Moved to tests/unit/support/ (waitUntil, randomBytes); the old names stay for tests written
// against them.
#include "tests/unit/support/randombytes.h"
#include "tests/unit/support/waituntil.h"

namespace Kiln::Http::Tests {
inline bool spinUntil(const std::function<bool()> &done, int timeoutMs = 20000)
{
    return Kiln::Test::waitUntil(done, timeoutMs);
}
inline QByteArray seededBytes(qsizetype size, quint32 seed)
{
    return Kiln::Test::randomBytes(size, seed);
}
} // namespace Kiln::Http::Tests
