#include "service/http/router.h"

#include <QVarLengthArray>

#include <algorithm>

namespace Kiln::Http {
namespace {

using Part = Route::Part;

// A request path cut at its '/'s, without copies: the segments are views into the path. Only a
// segment holding a '%' is decoded (once, whatever the number of routes tried); the others are
// their own decoding.
class SplitPath
{
public:
    explicit SplitPath(QByteArrayView path)
        : m_path(path)
    {
        qsizetype start = path.startsWith('/') ? 1 : 0;
        if (start == path.size())
            return; // "" and "/": no segments
        for (;;) {
            const qsizetype slash = path.indexOf('/', start);
            const qsizetype end = slash < 0 ? path.size() : slash;
            m_starts.append(start);
            m_raw.append(path.sliced(start, end - start));
            if (slash < 0)
                break;
            start = slash + 1;
        }
        // One trailing slash is tolerated ("/v1/buckets/"); catch-alls keep it (restFrom).
        if (m_raw.size() > 1 && m_raw.last().isEmpty()) {
            m_raw.removeLast();
            m_starts.removeLast();
        }
        m_decoded.resize(m_raw.size());
        for (qsizetype i = 0; i < m_raw.size(); ++i) {
            if (m_raw[i].contains('%'))
                m_decoded[i] = QByteArray::fromPercentEncoding(m_raw[i].toByteArray());
        }
    }

    qsizetype size() const { return m_raw.size(); }
    // A segment, percent-decoded; empty only when the raw segment is.
    QByteArrayView bytes(qsizetype i) const
    {
        return m_decoded[i].isNull() ? m_raw[i] : QByteArrayView(m_decoded[i]);
    }
    QString text(qsizetype i) const { return QString::fromUtf8(bytes(i)); }
    // Segment i and all after it, with their slashes (and the trailing one), decoded: an
    // encoded "%2F" and a real '/' both become '/'.
    QString restFrom(qsizetype i) const
    {
        return QString::fromUtf8(
            QByteArray::fromPercentEncoding(m_path.sliced(m_starts[i]).toByteArray()));
    }

private:
    QByteArrayView m_path;
    QVarLengthArray<QByteArrayView, 12> m_raw;
    QVarLengthArray<qsizetype, 12> m_starts;
    // A segment's decoding where it holds a '%' (never empty then); null where it is its own.
    QVarLengthArray<QByteArray, 12> m_decoded;
};

// Whether the route's pattern fits the path, without building anything: literal segments are
// compared with the decoded bytes, placeholders only need to be non-empty.
bool fits(const Route &route, const SplitPath &path)
{
    qsizetype i = 0;
    for (const Part &part : route.parts) {
        if (part.kind == Part::Kind::Rest)
            // The rest, joined with '/', must not be empty.
            return i < path.size() && !(path.size() - i == 1 && path.bytes(i).isEmpty());
        if (i >= path.size())
            return false;
        const QByteArrayView segment = path.bytes(i);
        if (part.kind == Part::Kind::One ? segment.isEmpty() : segment != part.literal)
            return false;
        ++i;
    }
    return i == path.size();
}

// The parameters of a route that fits.
Params bind(const Route &route, const SplitPath &path)
{
    Params params;
    for (qsizetype i = 0; i < route.parts.size(); ++i) {
        const Part &part = route.parts[i];
        if (part.kind == Part::Kind::Rest) {
            params.insert(part.name, path.restFrom(i));
            break;
        }
        if (part.kind == Part::Kind::One)
            params.insert(part.name, path.text(i));
    }
    return params;
}

Part partOf(const QString &segment)
{
    if (segment.startsWith(u"{*") && segment.endsWith(u'}'))
        return {Part::Kind::Rest, {}, segment.mid(2, segment.size() - 3)};
    if (segment.startsWith(u'{') && segment.endsWith(u'}'))
        return {Part::Kind::One, {}, segment.mid(1, segment.size() - 2)};
    return {Part::Kind::Literal, segment.toUtf8(), {}};
}

} // namespace

void Router::add(QList<QByteArray> methods, const QString &pattern, Handler handler,
                 RouteOptions options)
{
    Route route{std::move(methods),
                pattern.split('/', Qt::SkipEmptyParts),
                std::move(handler),
                std::move(options),
                {}};
    for (const QString &segment : std::as_const(route.segments))
        route.parts.append(partOf(segment));
    m_routes.append(std::move(route));
}

Router::Match Router::match(const QByteArray &method, const QByteArray &rawPath) const
{
    const SplitPath path(rawPath);
    Match result;
    QList<QByteArray> allowed;
    for (const Route &route : m_routes) {
        if (!fits(route, path))
            continue;
        if (route.methods.contains(method)) {
            result.route = &route;
            result.params = bind(route, path);
            result.status = 0;
            return result;
        }
        for (const QByteArray &m : route.methods) {
            if (!allowed.contains(m))
                allowed.append(m);
        }
    }
    if (!allowed.isEmpty()) {
        std::sort(allowed.begin(), allowed.end());
        result.status = 405;
        result.allow = allowed.join(", ");
    }
    return result;
}

} // namespace Kiln::Http
