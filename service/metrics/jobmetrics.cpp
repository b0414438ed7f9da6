#include "service/metrics/jobmetrics.h"

#include "service/metrics/registry.h"

namespace Kiln::Metrics {

JobMetrics::JobMetrics(Registry &r)
    : m_started(r.counter("kiln_job_started_total", "offline jobs started on this node", {"kind"}))
    , m_finished(r.counter("kiln_job_finished_total",
                           "offline jobs ended on this node, by outcome (ok, aborted)",
                           {"kind", "outcome"}))
    , m_running(r.gauge("kiln_job_running", "offline jobs running on this node", {"kind"}))
    , m_objects(r.counter("kiln_job_objects_total", "objects offline jobs processed", {"kind"}))
    , m_errors(r.counter("kiln_job_errors_total", "objects offline jobs failed on", {"kind"}))
{ }

JobMetrics &JobMetrics::global()
{
    static JobMetrics metrics(Registry::global());
    return metrics;
}

void JobMetrics::started(const QString &kind)
{
    const std::string k = kind.toStdString();
    m_started.with({k}).inc();
    m_running.with({k}).add(1);
}

void JobMetrics::object(const QString &kind, bool ok)
{
    (ok ? m_objects : m_errors).with({kind.toStdString()}).inc();
}

void JobMetrics::finished(const QString &kind, bool aborted)
{
    const std::string k = kind.toStdString();
    m_finished.with({k, aborted ? "aborted" : "ok"}).inc();
    m_running.with({k}).add(-1);
}

} // namespace Kiln::Metrics
