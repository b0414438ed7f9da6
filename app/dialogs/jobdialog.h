#pragma once

#include "app/views/jobprogressview.h"

#include <QDialog>
#include <QList>
#include <QPointer>

class QFormLayout;
class QProgressBar;
class QPushButton;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

// A dialog that starts one job on the cluster: a form of inputs (the subclass's), the job's
// progress panel, Start and Cancel. While the job runs the inputs are locked and Cancel stops
// the job on the cluster; otherwise it closes the dialog. The bucket-copy and the offline
// transform dialogs differ only in their form and in the job they start.
class JobDialog : public QDialog
{
    Q_OBJECT
public:
    QString jobId() const;
    QString counts() const;
    QProgressBar *progressBar() const;
    // Starts the job from the form; a form that does not make a job says why in the panel.
    virtual void start() = 0;

Q_SIGNALS:
    void jobFinished(bool ok, const QString &message);

protected:
    JobDialog(Api::ApiClient *api, JobProgressView::Counters counters, QWidget *parent);

    // Lays the form out above the progress panel and the buttons; `inputs` are locked while
    // the job runs.
    void setForm(QFormLayout *form, const QList<QWidget *> &inputs);
    void reject() override;

    Api::ApiClient *api() const { return m_api; }
    JobProgressView *job() const { return m_job; }

private:
    void setRunning(bool running);

    QPointer<Api::ApiClient> m_api;
    JobProgressView *m_job;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QList<QWidget *> m_inputs;
};

} // namespace Kiln::Console
