#include "service/http/router.h"

#include <QUrl>

namespace Kiln::Http {
namespace {

// `trailingSlash`: the path ended in '/' (dropped from `raw`); a catch-all keeps it, so that an
// object name "dir/" reaches its handler as such instead of as "dir".
bool matchSegments(const Route &route, const QList<QByteArray> &raw, bool trailingSlash,
                   Params *params)
{
    const QStringList &pattern = route.segments;
    qsizetype i = 0;
    for (; i < pattern.size(); ++i) {
        const QString &seg = pattern[i];
        if (seg.startsWith("{*")) {
            if (i >= raw.size())
                return false;
            QByteArray rest;
            for (qsizetype j = i; j < raw.size(); ++j) {
                if (j > i)
                    rest += '/';
                rest += raw[j];
            }
            if (rest.isEmpty())
                return false;
            if (trailingSlash)
                rest += '/';
            params->insert(seg.mid(2, seg.size() - 3), QUrl::fromPercentEncoding(rest));
            return true;
        }
        if (i >= raw.size())
            return false;
        const QString decoded = QUrl::fromPercentEncoding(raw[i]);
        if (seg.startsWith('{')) {
            if (decoded.isEmpty())
                return false;
            params->insert(seg.mid(1, seg.size() - 2), decoded);
        } else if (seg != decoded) {
            return false;
        }
    }
    return i == raw.size();
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
    // One trailing slash is tolerated ("/v1/buckets/"); catch-alls keep it (matchSegments).
    const bool trailingSlash = raw.size() > 1 && raw.last().isEmpty();
    if (!raw.isEmpty() && raw.last().isEmpty())
        raw.removeLast();
    Match result;
    QList<QByteArray> allowed;
    for (const Route &route : m_routes) {
        Params params;
        if (!matchSegments(route, raw, trailingSlash, &params))
            continue;
        if (route.methods.contains(method)) {
            result.route = &route;
            result.params = std::move(params);
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
