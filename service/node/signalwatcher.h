#pragma once

#include <QObject>

class QSocketNotifier;

namespace Kiln::Node {

// Turns SIGINT/SIGTERM (and SIGHUP) into a Qt signal on the main thread, through a self-pipe:
// a POSIX handler may only write a byte, the event loop does the rest. One per process.
class SignalWatcher final : public QObject
{
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace Kiln::Node
