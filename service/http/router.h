#pragma once

#include "service/http/request.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>

namespace Kiln::Http {

class Exchange;

using Handler = std::function<void(Exchange)>;

// A handler that calls a member function of object (which outlives the router's server).
// (Ex is a parameter only so that Exchange may stay incomplete here.)
template<typename T, typename Ex = Exchange>
Handler bindHandler(T *object, void (T::*method)(Ex))
{
    return [object, method](Ex ex) { (object->*method)(std::move(ex)); };
}

struct RouteOptions
{
    // Streaming routes are called as soon as the request head is in and read the body through
    // Exchange::readBody; the others are called once the whole body (up to maxBody) is buffered.
    bool streamBody = false;
    qint64 maxBody = 16 * 1024 * 1024;
    // On a worker thread's router (ServerWorkers): whether this route takes the request, asked
    // once its head is in and before the handler runs; null takes every one. A request it
    // refuses is served at home, and a connection at home comes back to its worker only for a
    // request the worker's route would take, so each change of thread is paid once, not per
    // request (a connection of inline transforms stays home). Called on the home thread too: it
    // may read only what is safe from any thread.
    std::function<bool(const Request &, const Params &)> accepts;
};

struct Route
{
    QList<QByteArray> methods;
    QStringList segments; // "v1", "{bucket}", "{*object}"
    Handler handler;
    RouteOptions options;

    // The pattern as Router::match reads it: each segment's kind, its UTF-8 bytes (a literal)
    // or its parameter's name (a placeholder).
    struct Part
    {
        enum class Kind {
            Literal,
            One, // {name}
            Rest, // {*name}
        };
        Kind kind = Kind::Literal;
        QByteArray literal;
        QString name;
    };
    QList<Part> parts;
};

// Maps method + path to a handler. Patterns are '/'-separated; "{name}" matches one segment,
// "{*name}" the (non-empty) rest of the path. Segments are percent-decoded after splitting, so
// an encoded "%2F" stays inside its segment.
class Router final
{
public:
    struct Match
    {
        const Route *route = nullptr;
        Params params;
        int status = 404; // 0 when route is set; else 404 (no path) or 405 (wrong method)
        QByteArray allow; // for 405

        // A route fits and takes the request (RouteOptions::accepts, when it has one).
        bool takes(const Request &request) const
        {
            return route && (!route->options.accepts || route->options.accepts(request, params));
        }
    };

    void add(QList<QByteArray> methods, const QString &pattern, Handler handler,
             RouteOptions options = {});
    Match match(const QByteArray &method, const QByteArray &rawPath) const;

    // Runs before every handler (auth: service/auth/accessguard); returns false once it has
    // answered the request itself, and the handler is not called.
    using Guard = std::function<bool(Exchange &, const Route &)>;
    void setGuard(Guard guard) { m_guard = std::move(guard); }
    bool admit(Exchange &exchange, const Route &route) const
    {
        return !m_guard || m_guard(exchange, route);
    }

private:
    QList<Route> m_routes;
    Guard m_guard;
};

} // namespace Kiln::Http
