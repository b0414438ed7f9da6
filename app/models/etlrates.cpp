#include "app/models/etlrates.h"

#include <algorithm>

namespace Kiln::Console {

QHash<QString, EtlRates::Totals> EtlRates::totalsFrom(const QList<QList<Api::PromSample>> &scrapes)
{
    QHash<QString, Totals> totals;
    for (const QList<Api::PromSample> &samples : scrapes) {
        for (const Api::PromSample &s : samples) {
            double Totals::*field = nullptr;
            if (s.name == "kiln_etl_objects_total")
                field = &Totals::objects;
            else if (s.name == "kiln_etl_bytes_out_total")
                field = &Totals::bytesOut;
            else if (s.name == "kiln_etl_errors_total")
                field = &Totals::errors;
            if (field && s.labels.contains("etl"))
                totals[QString::fromUtf8(s.labels.value("etl"))].*field += s.value;
        }
    }
    return totals;
}

QHash<QString, EtlRate> EtlRates::update(qint64 msecs, const QHash<QString, Totals> &totals)
{
    QHash<QString, EtlRate> rates;
    const double seconds = double(msecs - m_lastMsecs) / 1000.0;
    if (m_lastMsecs >= 0 && seconds > 0) {
        for (auto it = totals.cbegin(); it != totals.cend(); ++it) {
            // Not in the previous scrape: no series yet, which means 0 (counters start there).
            const Totals before = m_last.value(it.key());
            auto perSec = [seconds](double now, double then) {
                return std::max(0.0, now - then) / seconds;
            };
            rates.insert(it.key(),
                         EtlRate{perSec(it->objects, before.objects),
                                 perSec(it->bytesOut, before.bytesOut),
                                 perSec(it->errors, before.errors)});
        }
    }
    m_lastMsecs = msecs;
    m_last = totals;
    return rates;
}

} // namespace Kiln::Console
