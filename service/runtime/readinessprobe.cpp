#include "service/runtime/readinessprobe.h"

#include <QNetworkReply>

namespace Kiln::Runtime {

ReadinessProbe::ReadinessProbe(QObject *parent)
    : QObject(parent)
{
    m_timer.setInterval(250);
    connect(&m_timer, &QTimer::timeout, this, &ReadinessProbe::probe);
}

void ReadinessProbe::setInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(int(interval.count()));
}

void ReadinessProbe::start(const QUrl &url)
{
    m_url = url;
    m_timer.start();
    probe();
}

void ReadinessProbe::stop()
{
    m_timer.stop();
}

void ReadinessProbe::probe()
{
    if (!m_timer.isActive() || m_inFlight)
        return;
    QNetworkRequest request(m_url);
    request.setTransferTimeout(int(m_timeout.count()));
    m_inFlight = true;
    QNetworkReply *reply = m_nam.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        m_inFlight = false;
        if (!m_timer.isActive())
            return;
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 200 && status < 400) {
            m_timer.stop();
            Q_EMIT succeeded();
        }
    });
}

} // namespace Kiln::Runtime
