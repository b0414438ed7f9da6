#include "app/models/etlratepoller.h"

#include "app/models/etllistmodel.h"
#include "shared/api/apiclient.h"

#include <QDateTime>

namespace Kiln::Console {

EtlRatePoller::EtlRatePoller(Api::ApiClient *api, EtlListModel *etls, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_etls(etls)
{ }

void EtlRatePoller::poll(const QList<QUrl> &targets)
{
    if (!m_api || m_waiting > 0 || targets.isEmpty())
        return;
    m_waiting = int(targets.size());
    m_scrapes.clear();
    m_failed = false;
    for (const QUrl &target : targets) {
        m_api->nodeMetrics(target, this, [this](const Result<QByteArray> &text) {
            if (text)
                m_scrapes.append(Api::parsePromText(*text));
            else
                m_failed = true;
            if (--m_waiting == 0)
                finish();
        });
    }
}

void EtlRatePoller::finish()
{
    if (m_failed)
        return;
    const auto rates
        = m_rates.update(QDateTime::currentMSecsSinceEpoch(), EtlRates::totalsFrom(m_scrapes));
    if (m_etls && !rates.isEmpty())
        m_etls->setRates(rates);
}

} // namespace Kiln::Console
