#pragma once

#include <QObject>

#include <functional>

class QNetworkAccessManager;

namespace Kiln::Cluster {
class Smap;
}
namespace Kiln::Http {
class Exchange;
class Router;
} // namespace Kiln::Http

namespace Kiln::Proxy {

// What the `ais` CLI's cluster and storage views ask the proxy beyond the maps: AIS's reverse
// route (/v1/reverse/daemon[/...] with Ais-Node-Id, which the proxy answers itself for its own
// id and passes to a target otherwise, relaying the target's answer) and the cluster-wide
// queries cluster_config and backends. Lives on the proxy's main thread.
class ClusterInfo final : public QObject
{
    Q_OBJECT
public:
    // self answers a /v1/daemon request meant for this proxy; config gives the cluster config.
    ClusterInfo(QNetworkAccessManager &nam, const Cluster::Smap &smap,
                std::function<void(Http::Exchange)> self, std::function<QByteArray()> config,
                QObject *parent = nullptr);

    void registerRoutes(Http::Router &router);
    void setNodeTag(const QString &tag) { m_tag = tag; }
    // Answers GET /v1/cluster?what= it knows (cluster_config, backends); false otherwise.
    bool answerClusterQuery(Http::Exchange &ex, const QString &what);

private:
    void onReverse(Http::Exchange ex);

    QNetworkAccessManager &m_nam;
    const Cluster::Smap &m_smap;
    std::function<void(Http::Exchange)> m_self;
    std::function<QByteArray()> m_config;
    QString m_tag;
};

} // namespace Kiln::Proxy
