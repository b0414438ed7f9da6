#pragma once

#include "service/http/answerobserver.h"
#include "service/http/exchange.h"
#include "service/http/request.h"

#include <http_parser.h>

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QTcpSocket;

namespace Kiln::Http {

class BodySource;
class Router;
struct Route;

// Server-side settings every connection shares.
struct ServerContext
{
    const Router *router = nullptr;
    QString nodeName; // "p[id]" / "t[id]" in error bodies
    int idleTimeoutMs = 120000; // an idle keep-alive connection is closed after this
    AnswerObserver observer; // when set, told of every answered request (metrics)
    // The object that owns the connections of this context's thread (their parent).
    QObject *anchor = nullptr;
    // Set on a worker thread's context (ServerWorkers): where a request goes that this thread's
    // router has no route for, or whose handler passes it on (Exchange::passHome).
    const ServerContext *home = nullptr;
};

// One client connection: parses requests with http-parser as bytes arrive, routes them, and
// writes responses. Bodies stream both ways; a response body is pulled from its source only
// while the socket holds less than HighWater bytes. Requests on one connection are answered in
// order: parsing pauses after a request until its answer is complete. Lives on one server thread
// at a time and owns its socket; deletes itself when the peer leaves. A connection accepted by a
// worker thread moves, between two requests, to the home thread for a request the worker does
// not serve, and stays there until a request comes that the worker takes (RouteOptions::accepts).
class Connection final : public QObject
{
    Q_OBJECT
public:
    Connection(QTcpSocket *socket, const ServerContext &context, QObject *parent = nullptr);
    ~Connection() override;

    // Called through Exchange; sequence guards against answers to an older request.
    void sendResponse(quint64 sequence, int status, const Headers &headers, const QByteArray &body,
                      std::unique_ptr<BodySource> source);
    void setBodyReader(quint64 sequence, BodyReader reader);
    // The current request (not yet answered, its body buffered) is served on the home thread
    // instead; false when there is no home or it is too late.
    bool passHome(quint64 sequence, QByteArray body);
    bool isCurrent(quint64 sequence) const { return !m_closed && sequence == m_sequence; }
    const ServerContext &context() const { return m_context; }

    static constexpr qint64 HighWater = 4 * 1024 * 1024;
    static constexpr qint64 ChunkSize = 1024 * 1024;
    static constexpr int MaxUrlBytes = 16 * 1024;
    // Copied through Qt's buffer when sendfile finds the socket full (see pumpFile).
    static constexpr qint64 ParkBytes = 16 * 1024;
    // Bodies up to this size go out by sendfile right behind a corked head (sendResponse).
    static constexpr qint64 CorkedBodyMax = 64 * 1024;

private:
    static const http_parser_settings &parserSettings();
    static int onMessageBegin(http_parser *p);
    static int onUrl(http_parser *p, const char *at, size_t length);
    static int onHeaderField(http_parser *p, const char *at, size_t length);
    static int onHeaderValue(http_parser *p, const char *at, size_t length);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t length);
    static int onMessageComplete(http_parser *p);

    void onReadyRead();
    void takeAvailable(); // the socket's buffered bytes onto m_pending
    void catchUp(); // the bytes and the close that came before this object existed
    void parsePending();
    void resume();
    // arrived: just moved for this request, so it is served on this thread if at all possible.
    void routeHead(bool arrived = false);
    void dispatch(const Route &route, const Params &params, QByteArray body);
    enum class Hop
    {
        None,
        AfterHead, // no route here: routed again at home, then the body is read there
        AfterBody, // passed home by its handler: dispatched again at home with this body
        ToWorker, // at home, a request its worker takes: routed again there
    };
    bool hopPending() const { return m_hop != Hop::None; }
    void hop();
    void goHome();
    void arriveHome(Hop stage, QByteArray body);
    void goBackToWorker();
    void arriveAtWorker();
    bool workerTakes(const Request &request) const;
    void travel(ServerContext to, std::function<void()> then);
    void moveNow(std::function<void()> then);
    void failEarly(int status, const QString &message, const QByteArray &allow = {});
    void pumpSource();
    void listenToSource(); // readyRead and failed of m_source pump it
    void pumpFile();
    void pumpCopies();
    void endSource(bool fileSent = false);
    void failSource(const QString &error);
    void finishResponse();
    void maybeNextRequest();
    void abortReader();
    void closeAfterFlush();
    void closeConnection();
    void onIdleTimeout();
    void flushHeaderPair();
    void notifyObserver(bool complete);

    ServerContext m_context;
    QTcpSocket *m_socket; // owned (child)
    http_parser m_parser;
    QByteArray m_pending; // received but not yet parsed (while paused)
    bool m_paused = false; // parser paused until the current answer is complete
    bool m_closed = false; // no more requests or answers; the socket may still be flushing
    bool m_deleting = false; // socket aborted, deleteLater() called
    QTimer m_idleTimer; // a child, so that it moves with the connection

    // Moving between threads (see passHome).
    Hop m_hop = Hop::None;
    QByteArray m_hopBody;
    std::optional<ServerContext> m_origin; // the worker's context while served at home
    bool m_expectContinue = false;

    // The request being received.
    quint64 m_sequence = 0;
    std::shared_ptr<Request> m_request;
    QByteArray m_field, m_value;
    bool m_inValue = false;
    int m_headerBytes = 0;
    const Route *m_route = nullptr;
    Params m_params;
    bool m_streaming = false; // route reads the body itself
    bool m_buffering = false; // collecting the body for a non-streaming route
    QByteArray m_body;
    BodyReader m_reader;
    bool m_messageComplete = false;
    bool m_keepAlive = true;
    bool m_closeAfter = false; // answer given before the body ended in an unknowable way

    // The response being sent.
    bool m_responseStarted = false;
    bool m_responseDone = false;
    bool m_headOnly = false;
    bool m_chunkedOut = false;
    std::unique_ptr<BodySource> m_source;
    bool m_zeroCopy = false; // file bodies go out by sendfile (plain TCP)
    bool m_pumping = false;

    // For the observer: this request's timing and body sizes, reported once.
    QElapsedTimer m_started;
    qint64 m_bytesIn = 0;
    qint64 m_bytesOut = 0;
    int m_status = 0;
    bool m_observed = false;
};

} // namespace Kiln::Http
