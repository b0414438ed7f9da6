#pragma once

#include "app/models/etlrates.h"

#include <QObject>
#include <QPointer>
#include <QUrl>

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class EtlListModel;

// Scrapes every target's GET /metrics (one poll at a time) and gives the ETL list the per-ETL
// throughput and error rates they add up to. A poll in which a target did not answer is
// dropped whole (partial sums would read as a drop, then a burst). Lives on the GUI thread;
// networking through the ApiClient only.
class EtlRatePoller final : public QObject
{
    Q_OBJECT
public:
    EtlRatePoller(Api::ApiClient *api, EtlListModel *etls, QObject *parent = nullptr);

    // Ignored while the previous poll still waits for answers.
    void poll(const QList<QUrl> &targets);
    bool isPolling() const { return m_waiting > 0; }

private:
    void finish();

    QPointer<Api::ApiClient> m_api;
    QPointer<EtlListModel> m_etls;
    EtlRates m_rates;
    int m_waiting = 0; // answers still due in this poll
    bool m_failed = false; // a target of this poll did not answer
    QList<QList<Api::PromSample>> m_scrapes;
};

} // namespace Kiln::Console
