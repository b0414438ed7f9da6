#pragma once

#include "service/metrics/family.h"

#include <QList>
#include <QString>

namespace Kiln::Metrics {

class Registry;

// Per ETL and comm type: objects, bytes in and out, errors and the transform latency
// (kiln_etl_*{etl,comm}), plus AIS's node-wide ais_target_etl_{inline,offline}_count and
// _ns_total. Fed by Etl::Communicator on the target's main thread; the counters themselves
// are atomics, so a scrape on the metrics pool reads them safely.
class EtlMetrics final
{
public:
    explicit EtlMetrics(Registry &registry);
    static EtlMetrics &global();

    // A result (a body to stream, or an error) came back after `seconds`.
    void answered(const QString &etl, const QString &comm, bool inlineRequest, bool ok,
                  double seconds);
    // A transformed body was streamed to its end (ok) or broke off (!ok).
    void streamed(const QString &etl, const QString &comm, qint64 in, qint64 out, bool ok);

    // The instance of etl on this node was started again (target restart, rejoin).
    void restarted(const QString &etl);
    // The instance of etl died after it was ready.
    void exited(const QString &etl);
    // The CPU and memory of every running instance, by ETL name; ETLs not listed are dropped.
    struct Usage
    {
        QString etl;
        double cpuCores = 0;
        qint64 memBytes = 0;
    };
    void setUsage(const QList<Usage> &usage);

private:
    CounterFamily &m_objects;
    CounterFamily &m_bytesIn;
    CounterFamily &m_bytesOut;
    CounterFamily &m_errors;
    HistogramFamily &m_latency;
    Counter &m_inlineCount;
    Counter &m_inlineNs;
    Counter &m_offlineCount;
    Counter &m_offlineNs;
    CounterFamily &m_restarts;
    CounterFamily &m_exits;
    GaugeFamily &m_cpu;
    GaugeFamily &m_memory;
};

} // namespace Kiln::Metrics
