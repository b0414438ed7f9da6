#pragma once

#include <QString>

namespace Kiln::Api {
class Bmd;
}
namespace Kiln::Cluster {
class Smap;
struct Snode;
} // namespace Kiln::Cluster
namespace Kiln::Http {
class Exchange;
}

namespace Kiln::Proxy {

// AIS's redirect of an object call to its target: the client's path and query as sent, then
// the proxy's id (pid) and the time (utm), and with auth on the proxy's signature (u) over all
// of it, so the target takes the proxy's word for the client's token.
void redirectToTarget(Http::Exchange &ex, const Cluster::Snode &target, const QString &proxyId,
                      int status);

// GET, HEAD and DELETE of an object: checked against the bucket metadata (and an archive
// read's mode, as AIS's proxy does), then redirected to the object's HRW target, GET with 301
// and the others with 307. Reads nothing but its arguments: the home thread passes its own
// maps, an HTTP worker thread the latest snapshots of them.
void redirectObjectCall(Http::Exchange &ex, const Api::Bmd &bmd, const Cluster::Smap &smap,
                        const QString &proxyId);

} // namespace Kiln::Proxy
