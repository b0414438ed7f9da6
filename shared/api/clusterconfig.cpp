#include "shared/api/clusterconfig.h"

#include "shared/core/duration.h"

#include <algorithm>

namespace Kiln::Api {

QJsonObject clusterConfigJson(const ClusterConfigInfo &info)
{
    // AIS's keepalive: a node is declared dead after `factor` missed intervals.
    const qint64 factor = std::clamp<qint64>(
        info.keepaliveTimeout.count() / std::max<qint64>(1, info.keepaliveInterval.count()), 1,
        255);
    const QJsonObject tracker{{"interval", formatDuration(info.keepaliveInterval)},
                              {"name", "heartbeat"},
                              {"factor", factor}};
    return QJsonObject{
        {"uuid", info.uuid},
        {"config_version", "1"},
        {"features", "0"},
        {"backend", QJsonObject{}},
        {"mirror", QJsonObject{{"copies", 1}, {"enabled", false}}},
        {"ec", QJsonObject{{"enabled", false}}},
        {"log", QJsonObject{{"level", info.logLevel.isEmpty() ? "info" : info.logLevel}}},
        {"proxy",
         QJsonObject{{"primary_url", info.primaryUrl},
                     {"original_url", info.primaryUrl},
                     {"non_electable", false}}},
        {"keepalivetracker",
         QJsonObject{{"proxy", tracker}, {"target", tracker}, {"num_retries", 3}}},
        // Kiln does not clean up or refuse writes by these watermarks; the CLI reads them (and
        // needs them) to colour capacity, so they are AIS's defaults.
        {"space",
         QJsonObject{{"cleanupwm", 65}, {"lowwm", 75}, {"highwm", 90}, {"out_of_space", 95}}},
        {"rebalance", QJsonObject{{"enabled", true}}},
        {"resilver", QJsonObject{{"enabled", false}}},
        {"versioning", QJsonObject{{"enabled", true}, {"validate_warm_get", false}}},
        {"checksum", QJsonObject{{"type", "xxhash"}}},
        {"auth", QJsonObject{{"enabled", false}}},
        {"net",
         QJsonObject{{"l4", QJsonObject{{"proto", "tcp"}}},
                     {"http", QJsonObject{{"use_https", false}}}}}};
}

} // namespace Kiln::Api
