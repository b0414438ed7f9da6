#pragma once

#include <QtGlobal>

#include <functional>

namespace Kiln::Http {

struct Request;

// What a connection knows once it has answered one request: the metrics subsystem counts
// requests from this, in one place, instead of in every route.
struct AnsweredRequest
{
    const Request &request;
    int status = 0;
    qint64 bytesIn = 0; // request body bytes received
    qint64 bytesOut = 0; // response body bytes written (the head not included)
    qint64 elapsedNs = 0; // from the first byte of the request to the last of the answer
    bool complete = true; // false: the connection broke before the answer was all written
};

// Called once per answered request, on the connection's thread, after the answer's last byte
// went to the socket (or the connection broke under it). Must be quick: it runs on the event
// loop for every request.
using AnswerObserver = std::function<void(const AnsweredRequest &)>;

} // namespace Kiln::Http
