#include "service/metrics/etlmetrics.h"

#include "service/metrics/registry.h"

namespace Kiln::Metrics {

EtlMetrics::EtlMetrics(Registry &r)
    : m_objects(r.counter("kiln_etl_objects_total",
                          "objects an ETL transformed and streamed to the end", {"etl", "comm"}))
    , m_bytesIn(r.counter("kiln_etl_bytes_in_total", "bytes of the objects given to an ETL",
                          {"etl", "comm"}))
    , m_bytesOut(r.counter("kiln_etl_bytes_out_total", "bytes an ETL returned", {"etl", "comm"}))
    , m_errors(r.counter("kiln_etl_errors_total",
                         "transforms that failed: an error answer or a broken result stream",
                         {"etl", "comm"}))
    , m_latency(r.histogram("kiln_etl_transform_duration_seconds",
                            "time from handing an object to an ETL to its answer (seconds)",
                            {"etl", "comm"}))
    , m_inlineCount(
          r.counter("ais_target_etl_inline_count", "Total number of ETL inline transform requests")
              .unlabelled())
    , m_inlineNs(r.counter("ais_target_etl_inline_ns_total",
                           "Total accumulated latency of ETL inline transform requests "
                           "(nanoseconds)")
                     .unlabelled())
    , m_offlineCount(r.counter("ais_target_etl_offline_count",
                               "Total number of requests to ETL made by offline transform jobs")
                         .unlabelled())
    , m_offlineNs(r.counter("ais_target_etl_offline_ns_total",
                            "Total accumulated latency of requests to ETL made by offline "
                            "transform jobs (nanoseconds)")
                      .unlabelled())
    , m_restarts(r.counter("kiln_etl_restarts_total",
                           "times an ETL's instance on this node was started again (target "
                           "restart, rejoin)",
                           {"etl"}))
    , m_exits(r.counter("kiln_etl_instance_exits_total",
                        "times an ETL's instance on this node died after it was ready", {"etl"}))
    , m_cpu(
          r.gauge("kiln_etl_instance_cpu_cores", "CPU an ETL's instance uses now (cores)", {"etl"}))
    , m_memory(r.gauge("kiln_etl_instance_memory_bytes",
                       "memory an ETL's instance uses now (bytes)", {"etl"}))
{ }

void EtlMetrics::restarted(const QString &etl)
{
    m_restarts.with({etl.toStdString()}).inc();
}

void EtlMetrics::exited(const QString &etl)
{
    m_exits.with({etl.toStdString()}).inc();
}

void EtlMetrics::setUsage(const QList<Usage> &usage)
{
    std::vector<LabelValues> stale = m_cpu.keys();
    for (const Usage &u : usage) {
        const LabelValues labels{u.etl.toStdString()};
        m_cpu.with(labels).set(u.cpuCores);
        m_memory.with(labels).set(double(u.memBytes));
        std::erase(stale, labels);
    }
    for (const LabelValues &gone : stale) {
        m_cpu.remove(gone);
        m_memory.remove(gone);
    }
}

EtlMetrics &EtlMetrics::global()
{
    static EtlMetrics metrics(Registry::global());
    return metrics;
}

void EtlMetrics::answered(const QString &etl, const QString &comm, bool inlineRequest, bool ok,
                          double seconds)
{
    const LabelValues labels{etl.toStdString(), comm.toStdString()};
    m_latency.with(labels).observe(seconds);
    if (!ok)
        m_errors.with(labels).inc();
    const auto ns = std::uint64_t(seconds * 1e9);
    (inlineRequest ? m_inlineCount : m_offlineCount).inc();
    (inlineRequest ? m_inlineNs : m_offlineNs).inc(ns);
}

void EtlMetrics::streamed(const QString &etl, const QString &comm, qint64 in, qint64 out, bool ok)
{
    const LabelValues labels{etl.toStdString(), comm.toStdString()};
    if (!ok) {
        m_errors.with(labels).inc();
        return;
    }
    m_objects.with(labels).inc();
    m_bytesIn.with(labels).inc(std::uint64_t(in));
    m_bytesOut.with(labels).inc(std::uint64_t(out));
}

} // namespace Kiln::Metrics
