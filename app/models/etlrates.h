#pragma once

#include "shared/api/promtext.h"

#include <QHash>
#include <QList>
#include <QString>

namespace Kiln::Console {

// One ETL's throughput and errors per second over the last poll interval, cluster-wide.
struct EtlRate
{
    double objectsPerSec = 0;
    double bytesOutPerSec = 0;
    double errorsPerSec = 0;
    // Errors among the objects it finished or failed on (0 when it did neither).
    double errorRatio() const
    {
        const double all = objectsPerSec + errorsPerSec;
        return all > 0 ? errorsPerSec / all : 0;
    }
};

// Turns successive scrapes of every target's GET /metrics into per-ETL rates: sums the
// kiln_etl_objects_total, kiln_etl_bytes_out_total and kiln_etl_errors_total counters over the
// targets (and comm types) by etl label, and divides the growth since the previous scrape by
// the time between them. A counter that went down (a target restarted) counts as no growth.
// A value type; used on the GUI thread.
class EtlRates
{
public:
    struct Totals
    {
        double objects = 0;
        double bytesOut = 0;
        double errors = 0;
    };
    static QHash<QString, Totals> totalsFrom(const QList<QList<Api::PromSample>> &scrapes);

    // The rates since the previous update; empty on the first (no interval yet). An ETL
    // missing from the previous scrape had no series yet, so it grew from 0.
    QHash<QString, EtlRate> update(qint64 msecs, const QHash<QString, Totals> &totals);

private:
    qint64 m_lastMsecs = -1;
    QHash<QString, Totals> m_last;
};

} // namespace Kiln::Console
