#include "app/dialogs/bucketcopydialog.h"

#include "app/models/etllistmodel.h"
#include "shared/api/apiclient.h"
#include "shared/api/names.h"
#include "shared/api/tcbmsg.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr int PollMs = 500;
constexpr int MaxCounted = 100000; // past this the bar runs indeterminate

} // namespace

BucketCopyDialog::BucketCopyDialog(Api::ApiClient *api, const QString &source,
                                   const QStringList &buckets, QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_source(source)
    , m_destination(new QComboBox(this))
    , m_prefix(new QLineEdit(this))
    , m_prepend(new QLineEdit(this))
    , m_dryRun(new QCheckBox(tr("&Dry run (count only, write nothing)"), this))
    , m_sync(new QCheckBox(tr("S&ynchronize (remove what the source no longer has)"), this))
    , m_progress(new QProgressBar(this))
    , m_counts(new QLabel(this))
    , m_status(new QLabel(this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_cancel(new QPushButton(tr("Close"), this))
    , m_timer(new QTimer(this))
{
    setWindowTitle(tr("Copy bucket %1").arg(Api::bucketCname(source)));
    m_destination->setEditable(true);
    m_destination->addItems(buckets);
    m_destination->setCurrentText(QString());
    m_destination->lineEdit()->setPlaceholderText(
        tr("created with the source's props when missing"));
    m_prefix->setPlaceholderText(tr("all objects"));
    m_prepend->setPlaceholderText(tr("nothing"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *form = new QFormLayout;
    form->addRow(tr("Source:"), new QLabel(Api::bucketCname(source), this));
    form->addRow(tr("Des&tination bucket:"), m_destination);
    form->addRow(tr("&Prefix:"), m_prefix);
    form->addRow(tr("Pre&pend to names:"), m_prepend);
    form->addRow(QString(), m_dryRun);
    form->addRow(QString(), m_sync);
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_start, QDialogButtonBox::ActionRole);
    buttons->addButton(m_cancel, QDialogButtonBox::RejectRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_counts);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    m_timer->setInterval(PollMs);
    connect(m_timer, &QTimer::timeout, this, &BucketCopyDialog::poll);
    connect(m_start, &QPushButton::clicked, this, &BucketCopyDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, &BucketCopyDialog::reject);
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 70);
}

void BucketCopyDialog::setDestination(const QString &bucket)
{
    m_destination->setCurrentText(bucket);
}

void BucketCopyDialog::setPrefix(const QString &prefix)
{
    m_prefix->setText(prefix);
}

void BucketCopyDialog::setDryRun(bool dryRun)
{
    m_dryRun->setChecked(dryRun);
}

void BucketCopyDialog::setSynchronize(bool sync)
{
    m_sync->setChecked(sync);
}

QString BucketCopyDialog::counts() const
{
    return m_counts->text();
}

void BucketCopyDialog::setRunning(bool running)
{
    m_running = running;
    for (QWidget *w : std::initializer_list<QWidget *>{m_destination, m_prefix, m_prepend, m_dryRun,
                                                       m_sync, m_start})
        w->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel job") : tr("Close"));
}

void BucketCopyDialog::start()
{
    if (!m_api || m_running)
        return;
    const QString dst = m_destination->currentText().trimmed();
    if (auto ok = Api::validateBucketName(dst); !ok) {
        m_status->setText(tr("Destination: %1").arg(ok.error().message));
        return;
    }
    Api::TcbMsg msg;
    msg.prefix = m_prefix->text();
    msg.prepend = m_prepend->text();
    msg.dryRun = m_dryRun->isChecked();
    msg.synchronize = m_sync->isChecked();
    setRunning(true);
    m_total = -1;
    m_progress->setRange(0, 0);
    m_counts->clear();
    m_status->setText(tr("Starting…"));
    m_api->listObjects(m_source, msg.prefix, MaxCounted, this,
                       [this](const Result<QList<Api::ObjectInfo>> &objects) {
                           if (objects && objects->size() < MaxCounted)
                               m_total = objects->size();
                       });
    m_api->copyBucket(m_source, dst, msg, this, [this](const Result<QString> &id) {
        if (!id)
            return finish(false, id.error().message);
        m_jobId = *id;
        m_status->setText(tr("Job %1 running").arg(m_jobId));
        m_timer->start();
        poll();
    });
}

void BucketCopyDialog::poll()
{
    if (!m_api || m_jobId.isEmpty())
        return;
    const QString id = m_jobId;
    m_api->jobStats(id, this, [this](const Result<Api::JobStats> &stats) {
        if (!stats)
            return;
        m_counts->setText(tr("%1 objects, %2").arg(stats->objects).arg(formatBytes(stats->bytes)));
        if (m_total > 0) {
            m_progress->setRange(0, int(m_total));
            m_progress->setValue(int(qMin<qint64>(stats->objects, m_total)));
        }
    });
    m_api->jobStatus(id, this, [this, id](const Result<Api::JobStatus> &status) {
        if (!status || id != m_jobId || !m_running || !status->finished())
            return;
        poll(); // the final counters
        if (status->aborted || !status->error.isEmpty())
            return finish(
                false, status->error.isEmpty() ? tr("job %1 was aborted").arg(id) : status->error);
        finish(true, tr("Job %1 finished").arg(id));
    });
}

void BucketCopyDialog::finish(bool ok, const QString &message)
{
    m_timer->stop();
    setRunning(false);
    if (m_progress->maximum() == 0)
        m_progress->setRange(0, 1);
    if (ok)
        m_progress->setValue(m_progress->maximum());
    m_status->setText(message);
    Q_EMIT jobFinished(ok, message);
}

void BucketCopyDialog::reject()
{
    if (!m_running)
        return QDialog::reject();
    if (m_jobId.isEmpty())
        return; // the start call is still out; its answer decides
    m_status->setText(tr("Stopping job %1…").arg(m_jobId));
    m_api->stopJob(m_jobId, this, [this](const Result<void> &stopped) {
        if (!stopped)
            m_status->setText(tr("Could not stop the job: %1").arg(stopped.error().message));
    });
}

} // namespace Kiln::Console
