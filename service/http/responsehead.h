#pragma once

#include "service/http/exchange.h"

#include <QByteArray>

namespace Kiln::Http {

// The status line and headers of an answer, ready for the wire: Date and Server first, then
// `headers`, then Content-Type (octet-stream unless given, when there is a body),
// Content-Length (unless given) or Transfer-Encoding: chunked, and Connection. Appended piece by
// piece into one buffer, with no temporaries per header.
QByteArray responseHead(int status, const Headers &headers, qint64 length, bool chunked,
                        bool close);

// "Sun, 06 Dec 2026 04:00:00 GMT", formatted once a second per thread.
const QByteArray &httpDate();

} // namespace Kiln::Http
