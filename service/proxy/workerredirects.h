#pragma once

#include "shared/api/bmd.h"
#include "shared/cluster/smap.h"
#include "shared/core/snapshot.h"

#include <QString>

namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Proxy {

// The proxy's hot path on its HTTP worker threads (--http-threads): GET and HEAD of an object,
// redirected to the object's target as the home thread would (redirectObjectCall), from the
// latest snapshots of the cluster map and the bucket metadata. Every other request goes to the
// home thread, where the maps change.
class WorkerRedirects final
{
public:
    WorkerRedirects(const Snapshot<Cluster::Smap> &smap, const Snapshot<Api::Bmd> &bmd,
                    QString proxyId);

    void registerRoutes(Http::Router &router) const;

private:
    void onRead(Http::Exchange ex) const;

    const Snapshot<Cluster::Smap> &m_smap;
    const Snapshot<Api::Bmd> &m_bmd;
    const QString m_proxyId;
};

} // namespace Kiln::Proxy
