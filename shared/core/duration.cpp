#include "shared/core/duration.h"

#include <cmath>

namespace Kiln {
namespace {

// About 317 years: far beyond any timeout, far below what qint64 milliseconds hold.
constexpr double MaxMs = 1e13;

} // namespace

Result<std::chrono::milliseconds> parseDuration(const QString &text)
{
    const QString s = text.trimmed();
    auto bad = [&] {
        return makeError(
            ErrorCode::InvalidArgument,
            QStringLiteral("invalid duration \"%1\" (expected e.g. 500ms, 45s, 5m, 1h)").arg(text));
    };
    if (s.isEmpty())
        return bad();
    bool plain = false;
    const double seconds = s.toDouble(&plain);
    if (plain) {
        if (seconds < 0 || !std::isfinite(seconds) || seconds * 1000 > MaxMs)
            return bad();
        return std::chrono::milliseconds(qint64(std::llround(seconds * 1000)));
    }
    double totalMs = 0;
    qsizetype i = 0;
    while (i < s.size()) {
        const qsizetype numStart = i;
        while (i < s.size() && (s[i].isDigit() || s[i] == '.'))
            ++i;
        if (i == numStart)
            return bad();
        bool ok = false;
        const double value = s.mid(numStart, i - numStart).toDouble(&ok);
        if (!ok)
            return bad();
        const qsizetype unitStart = i;
        while (i < s.size() && s[i].isLetter())
            ++i;
        const QString unit = s.mid(unitStart, i - unitStart);
        double factor = 0;
        if (unit == "ms")
            factor = 1;
        else if (unit == "s")
            factor = 1000;
        else if (unit == "m")
            factor = 60000;
        else if (unit == "h")
            factor = 3600000;
        else if (unit == "us" || unit == "µs")
            factor = 0.001;
        else if (unit == "ns")
            factor = 0.000001;
        else
            return bad();
        totalMs += value * factor;
    }
    if (!std::isfinite(totalMs) || totalMs > MaxMs)
        return bad();
    return std::chrono::milliseconds(qint64(std::llround(totalMs)));
}

QString formatDuration(std::chrono::milliseconds duration)
{
    const qint64 ms = duration.count();
    if (ms % 3600000 == 0 && ms > 0)
        return QString::number(ms / 3600000) + 'h';
    if (ms % 60000 == 0 && ms > 0)
        return QString::number(ms / 60000) + 'm';
    if (ms % 1000 == 0)
        return QString::number(ms / 1000) + 's';
    return QString::number(ms) + "ms";
}

} // namespace Kiln
