#pragma once

#include <QString>
#include <QStringList>

#include <string>

class QObject;

namespace Kiln::Http {
class Exchange;
class HttpServer;
} // namespace Kiln::Http

namespace Kiln::Metrics {

class Registry;

// Wires one node into the process's registry: node_id on every series (as AIS labels them),
// the request observer on its server, the process collector and, for a target, the capacity of
// its mountpaths. nodeType is "proxy" or "target".
void instrumentNode(Http::HttpServer &server, const QString &nodeId, const std::string &nodeType,
                    const QStringList &mountpaths);

// Answers GET /metrics: the collectors (which read /proc and statfs) and the rendering run on
// the metrics thread pool, the answer goes out on context's thread, so a scrape never holds
// up the event loop.
void serveMetrics(Http::Exchange exchange, QObject *context);

} // namespace Kiln::Metrics
