#include "service/metrics/nodemetrics.h"

#include "service/http/exchange.h"
#include "service/http/httpserver.h"
#include "service/metrics/etlmetrics.h"
#include "service/metrics/jobmetrics.h"
#include "service/metrics/processcollector.h"
#include "service/metrics/registry.h"
#include "service/metrics/requestmetrics.h"
#include "shared/core/whenready.h"

#include <QFuture>
#include <QThreadPool>
#include <QtConcurrent>

#include <memory>
#include <mutex>

namespace Kiln::Metrics {

namespace {

QThreadPool &metricsPool()
{
    // One thread: concurrent scrapes queue up instead of reading /proc side by side.
    static QThreadPool *pool = [] {
        auto *p = new QThreadPool;
        p->setObjectName(QStringLiteral("kiln-metrics"));
        p->setMaxThreadCount(1);
        return p;
    }();
    return *pool;
}

} // namespace

void instrumentNode(Http::HttpServer &server, const QString &nodeId, const std::string &nodeType,
                    const QStringList &mountpaths)
{
    Registry &registry = Registry::global();
    registry.setConstLabel("node_id", nodeId.toStdString());
    static std::once_flag processOnce; // tests run several nodes in one process
    std::call_once(processOnce, [&registry] { addProcessCollector(registry); });
    if (nodeType == "target") {
        addMountpathCollector(registry, mountpaths);
        // Registered now, so that their HELP and TYPE are there before the first ETL or job.
        EtlMetrics::global();
        JobMetrics::global();
    }
    auto requests = std::make_shared<RequestMetrics>(registry, nodeType);
    server.setAnswerObserver(
        [requests](const Http::AnsweredRequest &answer) { requests->observe(answer); });
}

void serveMetrics(Http::Exchange exchange, QObject *context)
{
    whenReady(QtConcurrent::run(&metricsPool(), [] { return Registry::global().render(); }),
              context, [exchange](const QByteArray &text) mutable {
                  exchange.respond(200, text, TextContentType);
              });
}

} // namespace Kiln::Metrics
