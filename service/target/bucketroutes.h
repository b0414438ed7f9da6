#pragma once

#include "service/target/targetcontext.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Target {

// Bucket requests a target answers: listing its share of a bucket (for the proxy's merge, or a
// direct client), HEAD, and its share of bucket summaries (for the proxy). Lives on the target's
// main thread.
class BucketRoutes final : public QObject
{
    Q_OBJECT
public:
    explicit BucketRoutes(TargetContext ctx, QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);

private:
    void onList(Http::Exchange ex);
    void onHead(Http::Exchange ex);
    void onSummary(Http::Exchange ex); // GET /v1/txn/summary: this target's share, for the proxy

    TargetContext m_ctx;
};

} // namespace Kiln::Target
