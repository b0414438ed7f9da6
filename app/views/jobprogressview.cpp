#include "app/views/jobprogressview.h"

#include "app/models/etllistmodel.h"
#include "shared/api/apiclient.h"

#include <QLabel>
#include <QProgressBar>
#include <QTimer>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr int PollMs = 500;
constexpr int MaxCounted = 100000; // past this the bar runs indeterminate

} // namespace

JobProgressView::JobProgressView(Api::ApiClient *api, Counters counters, QWidget *parent)
    : QWidget(parent)
    , m_api(api)
    , m_counters(counters)
    , m_progress(new QProgressBar(this))
    , m_counts(new QLabel(this))
    , m_status(new QLabel(this))
    , m_timer(new QTimer(this))
{
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_progress);
    layout->addWidget(m_counts);
    layout->addWidget(m_status);
    m_timer->setInterval(PollMs);
    connect(m_timer, &QTimer::timeout, this, &JobProgressView::poll);
}

QString JobProgressView::counts() const
{
    return m_counts->text();
}

void JobProgressView::setStatus(const QString &text)
{
    m_status->setText(text);
}

void JobProgressView::setRunning(bool running)
{
    m_running = running;
    Q_EMIT runningChanged(running);
}

void JobProgressView::begin(const QString &bucket, const QString &prefix)
{
    if (!m_api)
        return;
    setRunning(true);
    m_jobId.clear();
    m_total = -1;
    m_progress->setRange(0, 0);
    m_counts->clear();
    m_status->setText(tr("Starting…"));
    m_api->listObjects(bucket, prefix, MaxCounted, this,
                       [this](const Result<QList<Api::ObjectInfo>> &objects) {
                           if (objects && objects->size() < MaxCounted)
                               m_total = objects->size();
                       });
}

void JobProgressView::started(const Result<QString> &id)
{
    if (!id)
        return finish(false, id.error().message);
    m_jobId = *id;
    m_status->setText(tr("Job %1 running").arg(m_jobId));
    m_timer->start();
    poll();
}

void JobProgressView::pollStats(const QString &id)
{
    m_api->jobStats(id, this, [this](const Result<Api::JobStats> &stats) {
        if (!stats)
            return;
        QString text = tr("%1 objects, %2").arg(stats->objects).arg(formatBytes(stats->bytes));
        if (m_counters == Counters::WithErrors)
            text += tr(", %1 error(s)").arg(stats->errors);
        m_counts->setText(text);
        if (m_total > 0) {
            m_progress->setRange(0, int(m_total));
            m_progress->setValue(int(qMin<qint64>(stats->objects, m_total)));
        }
        if (!stats->errorMessages.isEmpty())
            m_status->setToolTip(stats->errorMessages.join('\n'));
    });
}

void JobProgressView::poll()
{
    if (!m_api || m_jobId.isEmpty())
        return;
    const QString id = m_jobId;
    pollStats(id);
    m_api->jobStatus(id, this, [this, id](const Result<Api::JobStatus> &status) {
        if (!status || id != m_jobId || !m_running || !status->finished())
            return;
        pollStats(id); // the final counters
        if (status->aborted || !status->error.isEmpty())
            return finish(
                false, status->error.isEmpty() ? tr("job %1 was aborted").arg(id) : status->error);
        finish(true, tr("Job %1 finished").arg(id));
    });
}

void JobProgressView::finish(bool ok, const QString &message)
{
    m_timer->stop();
    setRunning(false);
    if (m_progress->maximum() == 0)
        m_progress->setRange(0, 1);
    if (ok)
        m_progress->setValue(m_progress->maximum());
    m_status->setText(message);
    Q_EMIT finished(ok, message);
}

void JobProgressView::stop()
{
    if (!m_running || m_jobId.isEmpty() || !m_api)
        return; // without an id the start call is still out; its answer decides
    const QString id = m_jobId;
    m_status->setText(tr("Stopping job %1…").arg(id));
    m_api->stopJob(id, this, [this, id](const Result<void> &stopped) {
        if (!stopped)
            m_status->setText(tr("Could not stop the job: %1").arg(stopped.error().message));
        else if (id == m_jobId && m_running)
            finish(false, tr("Job %1 cancelled").arg(id));
    });
}

} // namespace Kiln::Console
