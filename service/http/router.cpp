#include "service/http/router.h"

#include <QUrl>

namespace Kiln::Http {
namespace {

// Whether the route's pattern fits the path, without building anything: literal segments are
// compared with the once-decoded ones, placeholders only need to be non-empty.
bool fits(const Route &route, const QList<QByteArray> &raw, const QStringList &decoded)
{
    const QStringList &pattern = route.segments;
    qsizetype i = 0;
    for (; i < pattern.size(); ++i) {
        const QString &seg = pattern[i];
        if (seg.startsWith(u"{*"))
            // The rest, joined with '/', must not be empty.
            return i < raw.size() && !(raw.size() - i == 1 && raw[i].isEmpty());
        if (i >= decoded.size())
            return false;
        if (seg.startsWith(u'{') ? decoded[i].isEmpty() : seg != decoded[i])
            return false;
    }
    return i == decoded.size();
}

// The parameters of a route that fits. `trailingSlash`: the path ended in '/' (dropped from
// `raw`); a catch-all keeps it, so that an object name "dir/" reaches its handler as such
// instead of as "dir".
Params bind(const Route &route, const QList<QByteArray> &raw, const QStringList &decoded,
            bool trailingSlash)
{
    Params params;
    const QStringList &pattern = route.segments;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const QString &seg = pattern[i];
        if (seg.startsWith(u"{*")) {
            QByteArray rest = raw.mid(i).join('/');
            if (trailingSlash)
                rest += '/';
            params.insert(seg.mid(2, seg.size() - 3), QUrl::fromPercentEncoding(rest));
            break;
        }
        if (seg.startsWith(u'{'))
            params.insert(seg.mid(1, seg.size() - 2), decoded[i]);
    }
    return params;
}

} // namespace

void Router::add(QList<QByteArray> methods, const QString &pattern, Handler handler,
                 RouteOptions options)
{
    m_routes.append(Route{std::move(methods), pattern.split('/', Qt::SkipEmptyParts),
                          std::move(handler), options});
}

Router::Match Router::match(const QByteArray &method, const QByteArray &rawPath) const
{
    QList<QByteArray> raw = rawPath.split('/');
    if (!raw.isEmpty() && raw.first().isEmpty())
        raw.removeFirst();
    // One trailing slash is tolerated ("/v1/buckets/"); catch-alls keep it (bind).
    const bool trailingSlash = raw.size() > 1 && raw.last().isEmpty();
    if (!raw.isEmpty() && raw.last().isEmpty())
        raw.removeLast();
    // Each segment is decoded once, not once per route tried.
    QStringList decoded;
    decoded.reserve(raw.size());
    for (const QByteArray &segment : std::as_const(raw))
        decoded.append(QUrl::fromPercentEncoding(segment));
    Match result;
    QList<QByteArray> allowed;
    for (const Route &route : m_routes) {
        if (!fits(route, raw, decoded))
            continue;
        if (route.methods.contains(method)) {
            result.route = &route;
            result.params = bind(route, raw, decoded, trailingSlash);
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
