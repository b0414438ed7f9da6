#pragma once

#include <QObject>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Etl {
struct InitMsg;
}

namespace Kiln::Proxy {

class EtlService;

// The proxy's ETL API (AIS paths and the seed-era aliases): each route parses its request,
// calls EtlService and encodes the answer with the wire codecs (shared/api/etlwire.h). Lives on
// the proxy's main thread, beside the service it calls.
class EtlRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit EtlRoutes(EtlService &service, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);

private:
    void onInit(Http::Exchange ex);
    void onInitYaml(Http::Exchange ex);
    void onList(Http::Exchange ex);
    void onDetails(Http::Exchange ex);
    void onStop(Http::Exchange ex);
    void onStart(Http::Exchange ex);
    void onDelete(Http::Exchange ex);
    void onLogs(Http::Exchange ex);
    void onHealth(Http::Exchange ex);
    void onMetrics(Http::Exchange ex);
    void onFailed(Http::Exchange ex);

    void initialize(Http::Exchange ex, const Etl::InitMsg &msg);

    EtlService &m_service;
};

} // namespace Kiln::Proxy
