#include "service/target/byterange.h"

#include <QList>
#include <QStringList>

#include <algorithm>

namespace Kiln::Target {
namespace {

Error invalid(const QString &message, const QString &tcode = {})
{
    return makeError(ErrorCode::InvalidArgument, message, tcode);
}

QString quoted(const QString &text)
{
    return QStringLiteral("\"%1\"").arg(text);
}

// One comma-separated part of the header (trimmed, not empty). nullopt: it starts at or past
// the end of the object.
Result<std::optional<ByteRange>> parsePart(const QString &ra, const QString &header, qint64 size)
{
    const qsizetype dash = ra.indexOf('-');
    if (dash < 0)
        return invalid(QStringLiteral("read range %1 is invalid (-)").arg(quoted(header)));
    const QString start = ra.left(dash).trimmed();
    const QString end = ra.mid(dash + 1).trimmed();
    bool ok = false;
    if (start.isEmpty()) { // suffix: the last N bytes
        if (end.isEmpty() || end.startsWith('-'))
            return invalid(QStringLiteral("read range %1 is invalid as per RFC 7233 Section 2.1")
                               .arg(quoted(ra)));
        const qint64 n = end.toLongLong(&ok);
        if (!ok || n < 0)
            return invalid(QStringLiteral("read range %1 is invalid (see RFC 7233 Section 2.1)")
                               .arg(quoted(ra)));
        if (n == 0 || size == 0) // selects no byte (AIS answers an empty 206)
            return std::optional<ByteRange>();
        const qint64 length = std::min(n, size);
        return std::optional<ByteRange>(ByteRange{size - length, length});
    }
    const qint64 first = start.toLongLong(&ok);
    if (!ok || first < 0)
        return invalid(QStringLiteral("read range %1 is invalid (start)").arg(quoted(ra)));
    if (first >= size)
        return std::optional<ByteRange>();
    if (end.isEmpty())
        return std::optional<ByteRange>(ByteRange{first, size - first});
    const qint64 last = end.toLongLong(&ok);
    if (!ok || first > last)
        return invalid(QStringLiteral("read range %1 is invalid (end)").arg(quoted(ra)));
    return std::optional<ByteRange>(ByteRange{first, std::min(last, size - 1) - first + 1});
}

} // namespace

Result<std::optional<ByteRange>> parseByteRange(const QByteArray &header, qint64 size,
                                                const QString &cname)
{
    if (header.isEmpty())
        return std::optional<ByteRange>();
    const QString text = QString::fromLatin1(header);
    if (!text.startsWith(QLatin1String("bytes=")))
        return invalid(QStringLiteral("read range %1 is invalid (prefix)").arg(quoted(text)));
    const QStringList parts = text.mid(6).split(',');
    QList<ByteRange> ranges;
    bool outside = false;
    for (const QString &part : parts) {
        const QString ra = part.trimmed();
        if (ra.isEmpty())
            continue;
        auto range = parsePart(ra, text, size);
        if (!range)
            return range.error();
        if (*range)
            ranges.append(**range);
        else
            outside = true;
    }
    if (outside && ranges.isEmpty())
        return invalid(QStringLiteral("size=%1: not satisfiable range%2 [%3]")
                           .arg(size)
                           .arg(parts.size() == 1 ? "" : "s", parts.join(' ')),
                       RangeNotSatisfiable);
    if (ranges.isEmpty())
        return std::optional<ByteRange>();
    if (ranges.size() > 1)
        return invalid(
            QStringLiteral("cannot multi-range read %1 - operation not supported").arg(cname),
            "ErrUnsupp");
    return std::optional<ByteRange>(ranges.first());
}

} // namespace Kiln::Target
