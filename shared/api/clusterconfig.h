#pragma once

#include <QJsonObject>
#include <QString>

#include <chrono>

namespace Kiln::Api {

// What Kiln can say of its cluster configuration, for GET /v1/cluster?what=cluster_config
// (`ais show cluster`, `ais show cluster config`, the SDK's get_cluster_config).
struct ClusterConfigInfo
{
    QString uuid;
    QString primaryUrl;
    std::chrono::milliseconds keepaliveInterval{1000};
    std::chrono::milliseconds keepaliveTimeout{5000};
    QString logLevel; // "info", or the node's --log-level setting
};

// AIS's cmn.ClusterConfig with Kiln's real values. Sections Kiln has no counterpart for are left
// out (the Go client reads them as zero values); features Kiln does not run say so:
// mirroring and erasure coding off (rebalance is on), no authentication, no cloud backends. The space watermarks
// are AIS's defaults (the CLI needs them; Kiln does not act on them).
QJsonObject clusterConfigJson(const ClusterConfigInfo &info);

} // namespace Kiln::Api
