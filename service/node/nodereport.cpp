#include "service/node/nodereport.h"

#include "service/http/exchange.h"
#include "service/metrics/aistracker.h"
#include "service/metrics/registry.h"
#include "service/node/buildinfo.h"
#include "shared/api/json.h"
#include "shared/api/wire.h"
#include "shared/cluster/smap.h"

#include <QJsonDocument>
#include <QSysInfo>

namespace Kiln::Node {

NodeReport::NodeReport(QStringList mountpaths)
    : m_mountpaths(std::move(mountpaths))
{
    m_uptime.start();
}

QString NodeReport::version()
{
    return QStringLiteral("5.0.kiln-" KILN_VERSION);
}

QString NodeReport::buildTime()
{
    return QStringLiteral(KILN_BUILD_TIME);
}

QString NodeReport::deployment()
{
    if (qEnvironmentVariableIsSet("KUBERNETES_SERVICE_HOST"))
        return QStringLiteral("K8s");
    // Set by `kilnd cluster` for its children.
    if (qEnvironmentVariable("KILN_DEPLOYMENT") == QLatin1String("dev"))
        return QStringLiteral("dev");
    return QSysInfo::kernelType();
}

Api::NodeStatus NodeReport::status(const Context &context)
{
    Api::NodeStatus s;
    s.snode = context.self;
    s.uptimeNs = m_uptime.nsecsElapsed();
    s.deployment = deployment();
    s.version = version();
    s.buildTime = buildTime();
    s.podName = qEnvironmentVariable("MY_POD");
    s.smapVersion = context.smap.version();
    s.smapUuid = context.smap.uuid();
    s.primary = context.smap.primary();
    s.bmdVersion = context.bmdVersion;
    s.etlMdVersion = context.etlMdVersion;
    s.clusterStarted = context.clusterStarted;
    s.rebalanceSnap = context.rebalanceSnap;
    s.memCpu = m_sampler.memCpu();
    s.mountpaths = m_sampler.capacity(m_mountpaths, &s.capacityError);
    for (const Metrics::AisStat &stat : aisStats()) {
        if (stat.value != 0) // AIS leaves zero counters out of a node's status
            s.tracker.append({stat.name, stat.value});
    }
    return s;
}

QList<Metrics::AisStat> NodeReport::aisStats() const
{
    if (!Metrics::enabled())
        return {};
    return Metrics::aisStats(Metrics::Registry::global(),
                             m_mountpaths.isEmpty() ? "proxy" : "target");
}

QJsonObject NodeReport::metricNames() const
{
    // stats.Kind* of each tracker name (AIS's what=metrics); uptime is AIS's "special" kind.
    QJsonObject names{{"up.ns.time", "special"}};
    for (const Metrics::AisStat &stat : aisStats())
        names.insert(stat.name, stat.kind);
    return names;
}

QList<Api::DiskStats> NodeReport::diskStats(QList<Api::MountpathCapacity> *capacity,
                                            QString *error)
{
    QString why;
    const auto mountpaths = m_sampler.capacity(m_mountpaths, &why);
    QStringList disks;
    for (const Api::MountpathCapacity &m : mountpaths) {
        for (const QString &d : m.disks) {
            if (!disks.contains(d))
                disks.append(d);
        }
    }
    if (capacity)
        *capacity = mountpaths;
    if (error)
        *error = why;
    return m_sampler.diskStats(disks);
}

bool NodeReport::answer(Http::Exchange &ex, const QString &what, const Context &context)
{
    const bool target = !m_mountpaths.isEmpty();
    if (what == Api::What::NodeStatus) {
        ex.json(Api::compact(status(context).toJson()));
    } else if (what == Api::What::NodeStats) {
        // stats.Node: the status's first three parts.
        const QJsonObject full = status(context).toJson();
        ex.json(Api::compact(QJsonObject{{"snode", full.value("snode")},
                                         {"tracker", full.value("tracker")},
                                         {"capacity", full.value("capacity")}}));
    } else if (what == Api::What::MetricNames) {
        ex.json(Api::compact(metricNames()));
    } else if (what == Api::What::SoftwareVersion) {
        ex.respond(200, version().toUtf8(), Api::MimeText);
    } else if (target && what == Api::What::Mountpaths) {
        ex.json(Api::compact(Api::mountpathListJson(m_mountpaths)));
    } else if (target && what == Api::What::Disk) {
        QString error;
        QList<Api::MountpathCapacity> capacity;
        const QList<Api::DiskStats> disks = diskStats(&capacity, &error);
        ex.json(Api::compact(Api::diskCapacityJson(disks, capacity, error)));
    } else {
        return false;
    }
    return true;
}

} // namespace Kiln::Node
