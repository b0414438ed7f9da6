#include "app/dialogs/bucketcopydialog.h"

#include "app/views/jobprogressview.h"
#include "shared/api/apiclient.h"
#include "shared/api/names.h"
#include "shared/api/tcbmsg.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Kiln::Console {

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
    , m_job(new JobProgressView(api, JobProgressView::Counters::ObjectsAndBytes, this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_cancel(new QPushButton(tr("Close"), this))
{
    setWindowTitle(tr("Copy bucket %1").arg(Api::bucketCname(source)));
    m_destination->setEditable(true);
    m_destination->addItems(buckets);
    m_destination->setCurrentText(QString());
    m_destination->lineEdit()->setPlaceholderText(
        tr("created with the source's props when missing"));
    m_prefix->setPlaceholderText(tr("all objects"));
    m_prepend->setPlaceholderText(tr("nothing"));
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
    layout->addWidget(m_job);
    layout->addWidget(buttons);
    connect(m_job, &JobProgressView::runningChanged, this, &BucketCopyDialog::setRunning);
    connect(m_job, &JobProgressView::finished, this, &BucketCopyDialog::jobFinished);
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

QString BucketCopyDialog::jobId() const
{
    return m_job->jobId();
}

QString BucketCopyDialog::counts() const
{
    return m_job->counts();
}

QProgressBar *BucketCopyDialog::progressBar() const
{
    return m_job->progressBar();
}

void BucketCopyDialog::setRunning(bool running)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_destination, m_prefix, m_prepend, m_dryRun,
                                                       m_sync, m_start})
        w->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel job") : tr("Close"));
}

void BucketCopyDialog::start()
{
    if (!m_api || m_job->running())
        return;
    const QString dst = m_destination->currentText().trimmed();
    if (auto ok = Api::validateBucketName(dst); !ok) {
        m_job->setStatus(tr("Destination: %1").arg(ok.error().message));
        return;
    }
    Api::TcbMsg msg;
    msg.prefix = m_prefix->text();
    msg.prepend = m_prepend->text();
    msg.dryRun = m_dryRun->isChecked();
    msg.synchronize = m_sync->isChecked();
    m_job->begin(m_source, msg.prefix);
    m_api->copyBucket(m_source, dst, msg, m_job,
                      [job = m_job](const Result<QString> &id) { job->started(id); });
}

void BucketCopyDialog::reject()
{
    if (!m_job->running())
        return QDialog::reject();
    m_job->stop();
}

} // namespace Kiln::Console
