#pragma once

#include "shared/core/result.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QProgressBar;
class QTimer;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

// The lower half of every dialog that starts a cluster job (bucket copy, offline transform):
// a progress bar sized by counting the source, a line of counters and a status line, all
// polled from the job API until the job ends; stop() asks the cluster to abort it.
class JobProgressView final : public QWidget
{
    Q_OBJECT
public:
    enum class Counters { ObjectsAndBytes, WithErrors };

    JobProgressView(Api::ApiClient *api, Counters counters, QWidget *parent = nullptr);

    // A job is about to start on objects of `bucket` below `prefix`: the bar runs
    // indeterminate until that count is known.
    void begin(const QString &bucket, const QString &prefix);
    // The answer to the start request: a job id to follow, or the reason there is none.
    void started(const Result<QString> &id);
    void stop();
    void setStatus(const QString &text);

    bool running() const { return m_running; }
    QString jobId() const { return m_jobId; }
    QString counts() const;
    QProgressBar *progressBar() const { return m_progress; }

Q_SIGNALS:
    void runningChanged(bool running);
    void finished(bool ok, const QString &message);

private:
    void poll();
    void pollStats(const QString &id);
    void finish(bool ok, const QString &message);
    void setRunning(bool running);

    QPointer<Api::ApiClient> m_api;
    Counters m_counters;
    QProgressBar *m_progress;
    QLabel *m_counts;
    QLabel *m_status;
    QTimer *m_timer;
    QString m_jobId;
    qint64 m_total = -1; // source objects below the prefix; -1 while unknown
    bool m_running = false;
};

} // namespace Kiln::Console
