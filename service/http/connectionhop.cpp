// Connection, the part that moves a connection between server threads (ServerWorkers): a request
// a worker does not serve is taken to the home thread, and the connection stays there until a
// request comes that the worker takes.
#include "service/http/connection.h"

#include "service/http/router.h"

namespace Kiln::Http {

bool Connection::passHome(quint64 sequence, QByteArray body)
{
    if (!isCurrent(sequence) || !m_context.home || m_responseStarted || m_streaming
        || !m_messageComplete)
        return false;
    m_hop = Hop::AfterBody;
    m_hopBody = std::move(body);
    return true;
}

void Connection::goHome()
{
    const Hop stage = std::exchange(m_hop, Hop::None);
    m_origin = m_context;
    travel(*m_context.home, [this, stage, body = std::exchange(m_hopBody, {})]() mutable {
        arriveHome(stage, std::move(body));
    });
}

void Connection::arriveHome(Hop stage, QByteArray body)
{
    if (m_closed)
        return;
    if (stage == Hop::AfterHead) {
        routeHead(true);
        return resume(); // the body (if any) is read here
    }
    const Request &r = *m_request;
    Router::Match match = m_context.router->match(r.method, r.rawPath);
    if (!match.route)
        failEarly(match.status, QStringLiteral("invalid route %1 %2")
                                    .arg(QString::fromLatin1(r.method), r.path()));
    else
        dispatch(*match.route, match.params, std::move(body));
    // The next request is parsed once this one is answered (finishResponse).
}

void Connection::hop()
{
    if (m_hop == Hop::ToWorker)
        return goBackToWorker();
    goHome();
}

bool Connection::workerTakes(const Request &request) const
{
    if (!m_origin)
        return false;
    return m_origin->router->match(request.method, request.rawPath).takes(request);
}

void Connection::goBackToWorker()
{
    m_hop = Hop::None;
    ServerContext origin = std::move(*m_origin);
    m_origin.reset();
    travel(std::move(origin), [this] { arriveAtWorker(); });
}

void Connection::arriveAtWorker()
{
    if (m_closed)
        return;
    routeHead(true);
    if (hopPending()) { // refused after all (the bucket changed meanwhile): home again
        http_parser_pause(&m_parser, 0);
        return hop();
    }
    resume(); // the body (if any) is read here
}

void Connection::travel(ServerContext to, std::function<void()> then)
{
    // Nothing is parsed until `then` runs on the other thread; bytes that arrive meanwhile are
    // kept (onReadyRead while paused). The move itself waits for the next turn of this thread's
    // event loop: a request is often parsed inside the socket's readyRead, and the socket's own
    // code, still on the stack, must finish on the thread it started on.
    m_paused = true;
    m_context = std::move(to);
    QMetaObject::invokeMethod(
        this, [this, then = std::move(then)]() mutable { moveNow(std::move(then)); },
        Qt::QueuedConnection);
}

void Connection::moveNow(std::function<void()> then)
{
    if (m_deleting)
        return;
    QObject *anchor = m_context.anchor;
    // Posted first: moveToThread takes the event along. Once moved, the other thread owns
    // this object (it may even delete it, dropping the event): nothing here touches it again.
    QMetaObject::invokeMethod(
        this,
        [this, anchor, then = std::move(then)] {
            setParent(anchor);
            then();
        },
        Qt::QueuedConnection);
    setParent(nullptr);
    moveToThread(anchor->thread());
}

} // namespace Kiln::Http
