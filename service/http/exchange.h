#pragma once

#include "service/http/request.h"
#include "shared/core/error.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QPointer>

#include <functional>
#include <memory>

namespace Kiln::Http {

class BodySource;
class Connection;

using Headers = QList<QPair<QByteArray, QByteArray>>;

// Callbacks through which a streaming route receives the request body.
struct BodyReader
{
    // Called per chunk, in order; return false to stop receiving (the rest is discarded).
    std::function<bool(const char *data, qsizetype size)> onData;
    std::function<void()> onEnd; // the whole body arrived
    std::function<void()> onAbort; // the client left or sent a malformed body
};

// One request and the means to answer it. A cheap, copyable handle: lambdas capture it by
// value and answer later. Every answer is a no-op once the client has gone or an answer was
// already given (Qt 6.4's QHttpServer crashes on answers to departed peers; this does not).
class Exchange
{
public:
    Exchange(QPointer<Connection> connection, quint64 sequence,
             std::shared_ptr<const Request> request, Params params, QByteArray body);

    const Request &request() const { return *d->request; }
    QString param(const QString &name) const { return d->params.value(name); }
    const Params &params() const { return d->params; }
    const QByteArray &body() const { return d->body; }
    bool isAnswered() const { return d->answered; }
    bool isConnected() const;

    void respond(int status, const QByteArray &body = {}, const QByteArray &contentType = {},
                 Headers headers = {});
    void respondStream(int status, std::unique_ptr<BodySource> source,
                       const QByteArray &contentType, Headers headers = {});
    void redirect(int status, const QByteArray &location);
    void ok() { respond(200); }
    void json(const QByteArray &body, int status = 200);
    void fail(const Kiln::Error &error);
    // `extra` headers go out with the error (e.g. Content-Range on a 416).
    void fail(int status, const Kiln::Error &error, Headers extra = {});

    // Streaming routes only, called from the handler before it returns.
    void readBody(BodyReader reader);

    // From a handler on an HTTP worker thread, before it returns: this request is served by the
    // node's own routes on the home thread instead (the connection moves there for it). This
    // exchange is then spent. False (nothing changed) where there is no home thread.
    bool passHome();

private:
    // The one answer of this exchange (a body or a source); later ones are ignored.
    void send(int status, const QByteArray &body, std::unique_ptr<BodySource> source,
              const QByteArray &contentType, Headers headers);

    struct State
    {
        QPointer<Connection> connection;
        quint64 sequence = 0;
        std::shared_ptr<const Request> request;
        Params params;
        QByteArray body;
        bool answered = false;
    };
    std::shared_ptr<State> d;
};

} // namespace Kiln::Http
