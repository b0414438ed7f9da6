#pragma once

#include "service/metrics/family.h"

#include <QString>

namespace Kiln::Metrics {

class Registry;

// Offline jobs (AIS xactions) on this target, by kind (etl-bck, copy-bck, ...): started,
// finished (outcome ok or aborted), running now, objects done and objects failed. Labelled by
// kind, not by job id, so that the series stay few however many jobs run. Fed by
// Xact::OfflineJob on the target's main thread.
class JobMetrics final
{
public:
    explicit JobMetrics(Registry &registry);
    static JobMetrics &global();

    void started(const QString &kind);
    void object(const QString &kind, bool ok);
    void finished(const QString &kind, bool aborted);

private:
    CounterFamily &m_started;
    CounterFamily &m_finished;
    GaugeFamily &m_running;
    CounterFamily &m_objects;
    CounterFamily &m_errors;
};

} // namespace Kiln::Metrics
