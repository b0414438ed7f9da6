#pragma once

#include "service/target/targetcontext.h"

#include <QObject>

namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Target {

// Get-from-neighbor (AIS's GFN): a GET or HEAD that misses here while objects may still sit
// where an older cluster map placed them asks every other target (a HEAD marked as a GFN hop, so
// the neighbor does not ask on in turn) and redirects the client to the first that holds the
// object. A neighbor that lost its copy meanwhile (rebalance moved it on, acknowledged by the
// owner) redirects once back to the HRW owner, which has it by then; a second miss is a 404.
// Lives on the target's main thread.
class GetFromNeighbor final : public QObject
{
    Q_OBJECT
public:
    explicit GetFromNeighbor(TargetContext ctx, QObject *parent = nullptr);

    // Answers a local miss of bucket/object: a redirect, or the 404 `notFound`.
    void missed(Http::Exchange ex, const QString &bucket, const QString &object);

private:
    void ask(Http::Exchange ex, const QString &bucket, const QString &object);
    void redirect(Http::Exchange &ex, const Cluster::Snode &node, const char *hop) const;

    TargetContext m_ctx;
};

} // namespace Kiln::Target
