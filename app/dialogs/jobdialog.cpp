#include "app/dialogs/jobdialog.h"

#include "shared/api/apiclient.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QPushButton>
#include <QVBoxLayout>

namespace Kiln::Console {

JobDialog::JobDialog(Api::ApiClient *api, JobProgressView::Counters counters, QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_job(new JobProgressView(api, counters, this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_cancel(new QPushButton(tr("Close"), this))
{
    connect(m_job, &JobProgressView::runningChanged, this, &JobDialog::setRunning);
    connect(m_job, &JobProgressView::finished, this, &JobDialog::jobFinished);
    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_cancel, &QPushButton::clicked, this, &JobDialog::reject);
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 70);
}

void JobDialog::setForm(QFormLayout *form, const QList<QWidget *> &inputs)
{
    m_inputs = inputs;
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_start, QDialogButtonBox::ActionRole);
    buttons->addButton(m_cancel, QDialogButtonBox::RejectRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_job);
    layout->addWidget(buttons);
}

QString JobDialog::jobId() const
{
    return m_job->jobId();
}

QString JobDialog::counts() const
{
    return m_job->counts();
}

QProgressBar *JobDialog::progressBar() const
{
    return m_job->progressBar();
}

void JobDialog::setRunning(bool running)
{
    for (QWidget *w : std::as_const(m_inputs))
        w->setEnabled(!running);
    m_start->setEnabled(!running);
    m_cancel->setText(running ? tr("Cancel job") : tr("Close"));
}

void JobDialog::reject()
{
    if (!m_job->running())
        return QDialog::reject();
    m_job->stop();
}

} // namespace Kiln::Console
