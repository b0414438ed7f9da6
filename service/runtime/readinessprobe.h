#pragma once

#include <QNetworkAccessManager>
#include <QObject>
#include <QTimer>
#include <QUrl>

#include <chrono>

namespace Kiln::Runtime {

// Asks an instance's HTTP server whether it is ready, as a kubelet's readinessProbe does: a GET
// at once and then every interval, one at a time, until an answer in 200..399. Lives on the
// instance's thread; nothing waits.
class ReadinessProbe final : public QObject
{
    Q_OBJECT
public:
    explicit ReadinessProbe(QObject *parent = nullptr);

    void setInterval(std::chrono::milliseconds interval);
    // How long one GET may take before it counts as not ready.
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    // Probes url until it answers ready or stop() is called.
    void start(const QUrl &url);
    // No more probes; an answer on its way is dropped.
    void stop();
    bool isActive() const { return m_timer.isActive(); }

Q_SIGNALS:
    void succeeded(); // the probing has stopped

private:
    void probe();

    QNetworkAccessManager m_nam;
    QTimer m_timer;
    QUrl m_url;
    std::chrono::milliseconds m_timeout{5000};
    bool m_inFlight = false;
};

} // namespace Kiln::Runtime
