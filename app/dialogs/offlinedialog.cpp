#include "app/dialogs/offlinedialog.h"

#include "app/models/etllistmodel.h"
#include "shared/api/apiclient.h"
#include "shared/api/names.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr int PollMs = 500;
// Counting the source for the progress bar's maximum: past this, the bar runs indeterminate.
constexpr int MaxCounted = 100000;

} // namespace

OfflineDialog::OfflineDialog(Api::ApiClient *api, const QStringList &etls,
                             const QStringList &buckets, QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_source(new QComboBox(this))
    , m_destination(new QComboBox(this))
    , m_etl(new QComboBox(this))
    , m_prefix(new QLineEdit(this))
    , m_workers(new QSpinBox(this))
    , m_dryRun(new QCheckBox(tr("&Dry run (transform and count, write nothing)"), this))
    , m_coer(new QCheckBox(tr("Continue on &errors"), this))
    , m_progress(new QProgressBar(this))
    , m_counts(new QLabel(this))
    , m_status(new QLabel(this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_cancel(new QPushButton(tr("Cancel"), this))
    , m_timer(new QTimer(this))
{
    setWindowTitle(tr("Offline transform"));
    m_source->addItems(buckets);
    m_destination->setEditable(true);
    m_destination->addItems(buckets);
    m_destination->setCurrentText(QString());
    m_destination->lineEdit()->setPlaceholderText(tr("created when missing"));
    m_etl->addItems(etls);
    m_prefix->setPlaceholderText(tr("all objects"));
    m_workers->setRange(-1, 256);
    m_workers->setSpecialValueText(tr("one"));
    m_workers->setValue(0);
    m_workers->setToolTip(tr("0: automatic; -1: one worker; N: exactly N per target"));
    m_coer->setChecked(true);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("S&ource bucket:"), m_source);
    form->addRow(tr("Des&tination bucket:"), m_destination);
    form->addRow(tr("ET&L:"), m_etl);
    form->addRow(tr("&Prefix:"), m_prefix);
    form->addRow(tr("&Workers:"), m_workers);
    form->addRow(QString(), m_dryRun);
    form->addRow(QString(), m_coer);
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
    connect(m_timer, &QTimer::timeout, this, &OfflineDialog::poll);
    connect(m_start, &QPushButton::clicked, this, &OfflineDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, &OfflineDialog::reject);
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 70);
}

void OfflineDialog::setSource(const QString &bucket)
{
    m_source->setCurrentText(bucket);
}

void OfflineDialog::setDestination(const QString &bucket)
{
    m_destination->setCurrentText(bucket);
}

void OfflineDialog::setEtl(const QString &name)
{
    m_etl->setCurrentText(name);
}

void OfflineDialog::setDryRun(bool dryRun)
{
    m_dryRun->setChecked(dryRun);
}

QString OfflineDialog::summary() const
{
    return m_counts->text();
}

void OfflineDialog::setRunning(bool running)
{
    m_running = running;
    for (QWidget *w : std::initializer_list<QWidget *>{m_source, m_destination, m_etl, m_prefix,
                                                       m_workers, m_dryRun, m_coer, m_start})
        w->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel job") : tr("Close"));
}

void OfflineDialog::start()
{
    if (!m_api || m_running)
        return;
    const QString src = m_source->currentText();
    QString dst = m_destination->currentText().trimmed();
    if (m_dryRun->isChecked() && dst.isEmpty())
        dst = src; // a dry run writes nothing: AIS calls that an inspection of the source
    if (src.isEmpty() || m_etl->currentText().isEmpty()) {
        m_status->setText(tr("Pick a source bucket and an ETL"));
        return;
    }
    if (auto ok = Api::validateBucketName(dst); !ok) {
        m_status->setText(tr("Destination: %1").arg(ok.error().message));
        return;
    }
    Api::TcbMsg msg;
    msg.etlName = m_etl->currentText();
    msg.prefix = m_prefix->text();
    msg.numWorkers = m_workers->value();
    msg.dryRun = m_dryRun->isChecked();
    msg.continueOnError = m_coer->isChecked();
    setRunning(true);
    m_total = -1;
    m_progress->setRange(0, 0);
    m_counts->clear();
    m_status->setText(tr("Starting…"));
    m_api->listObjects(src, msg.prefix, MaxCounted, this,
                       [this](const Result<QList<Api::ObjectInfo>> &objects) {
                           if (objects && objects->size() < MaxCounted)
                               m_total = objects->size();
                       });
    m_api->startOfflineTransform(src, dst, msg, this, [this](const Result<QString> &id) {
        if (!id)
            return finish(false, id.error().message);
        m_jobId = *id;
        m_status->setText(tr("Job %1 running").arg(m_jobId));
        m_timer->start();
        poll();
    });
}

void OfflineDialog::poll()
{
    if (!m_api || m_jobId.isEmpty())
        return;
    const QString id = m_jobId;
    m_api->jobStats(id, this, [this](const Result<Api::JobStats> &stats) {
        if (!stats)
            return;
        m_counts->setText(tr("%1 objects, %2, %3 error(s)")
                              .arg(stats->objects)
                              .arg(formatBytes(stats->bytes))
                              .arg(stats->errors));
        if (m_total > 0) {
            m_progress->setRange(0, int(m_total));
            m_progress->setValue(int(qMin<qint64>(stats->objects, m_total)));
        }
        if (!stats->errorMessages.isEmpty())
            m_status->setToolTip(stats->errorMessages.join('\n'));
    });
    m_api->jobStatus(id, this, [this, id](const Result<Api::JobStatus> &status) {
        if (!status || id != m_jobId || !m_running)
            return;
        if (!status->finished())
            return;
        // One last stats poll so the counters show the final numbers.
        poll();
        if (status->aborted)
            return finish(
                false, status->error.isEmpty() ? tr("job %1 was aborted").arg(id) : status->error);
        finish(status->error.isEmpty(),
               status->error.isEmpty() ? tr("Job %1 finished").arg(id) : status->error);
    });
}

void OfflineDialog::finish(bool ok, const QString &message)
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

void OfflineDialog::reject()
{
    if (!m_running)
        return QDialog::reject();
    if (m_jobId.isEmpty())
        return; // the start call is still out; its answer decides
    m_status->setText(tr("Stopping job %1…").arg(m_jobId));
    m_api->stopJob(m_jobId, this, [this](const Result<void> &stopped) {
        if (!stopped)
            m_status->setText(tr("Could not stop the job: %1").arg(stopped.error().message));
        else
            finish(false, tr("Job %1 cancelled").arg(m_jobId));
    });
}

} // namespace Kiln::Console
