#pragma once

#include "shared/core/result.h"

#include <QString>

#include <chrono>

namespace Kiln {

// Parses a Go-style duration ("45s", "5m", "1h30m", "500ms", "1.5s") or a bare number of
// seconds ("10"), as AIS messages and Kiln's config spell them.
Result<std::chrono::milliseconds> parseDuration(const QString &text);
// The Go spelling of a duration ("45s", "5m0s" is written "5m").
QString formatDuration(std::chrono::milliseconds duration);

} // namespace Kiln
