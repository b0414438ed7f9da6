#pragma once

#include <QString>

namespace Kiln::Cluster {

// "http" or "https": how every node of this cluster is reached (AIS: net.http.use_https, one
// setting for the whole cluster). Snode::url() uses it. Set once at start-up, before any
// thread runs; "http" by default.
void setUrlScheme(const QString &scheme);
const QString &urlScheme();

} // namespace Kiln::Cluster
