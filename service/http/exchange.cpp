#include "service/http/exchange.h"

#include "service/http/bodysource.h"
#include "service/http/connection.h"
#include "service/http/errors.h"
#include "shared/core/logging.h"

namespace Kiln::Http {

Exchange::Exchange(QPointer<Connection> connection, quint64 sequence,
                   std::shared_ptr<const Request> request, Params params, QByteArray body)
    : d(std::make_shared<State>())
{
    d->connection = std::move(connection);
    d->sequence = sequence;
    d->request = std::move(request);
    d->params = std::move(params);
    d->body = std::move(body);
}

bool Exchange::isConnected() const
{
    return d->connection && d->connection->isCurrent(d->sequence);
}

void Exchange::respond(int status, const QByteArray &body, const QByteArray &contentType,
                       Headers headers)
{
    send(status, body, nullptr, contentType, std::move(headers));
}

void Exchange::respondStream(int status, std::unique_ptr<BodySource> source,
                             const QByteArray &contentType, Headers headers)
{
    send(status, {}, std::move(source), contentType, std::move(headers));
}

void Exchange::send(int status, const QByteArray &body, std::unique_ptr<BodySource> source,
                    const QByteArray &contentType, Headers headers)
{
    if (d->answered)
        return;
    d->answered = true;
    if (!isConnected())
        return;
    if (!contentType.isEmpty())
        headers.append({"Content-Type", contentType});
    d->connection->sendResponse(d->sequence, status, headers, body, std::move(source));
}

void Exchange::redirect(int status, const QByteArray &location)
{
    respond(status, {}, {}, Headers{{"Location", location}});
}

void Exchange::json(const QByteArray &body, int status)
{
    // As AIS writes its JSON answers; its error bodies carry no charset (fail() below).
    respond(status, body, "application/json; charset=utf-8");
}

void Exchange::fail(const Error &error)
{
    fail(statusFor(error), error);
}

void Exchange::fail(int status, const Error &error, Headers extra)
{
    if (d->answered)
        return;
    const QString node = d->connection ? d->connection->context().nodeName : QString();
    QByteArray body = aisErrorBody(error, status, *d->request, node);
    if (status >= 500)
        Log::http().warn("{} {}: {} {}", d->request->method, d->request->target, status,
                         error.message);
    else
        Log::http().debug("{} {}: {} {}", d->request->method, d->request->target, status,
                          error.message);
    if (d->request->isHead()) {
        // HEAD answers carry no body; AIS puts the error JSON in a header instead.
        extra.append({"Hdr-Error", body});
        respond(status, {}, "application/json", std::move(extra));
        return;
    }
    respond(status, body, "application/json", std::move(extra));
}

bool Exchange::passHome()
{
    if (d->answered || !d->connection || !d->connection->passHome(d->sequence, d->body))
        return false;
    d->answered = true;
    return true;
}

void Exchange::readBody(BodyReader reader)
{
    if (d->connection)
        d->connection->setBodyReader(d->sequence, std::move(reader));
}

} // namespace Kiln::Http
