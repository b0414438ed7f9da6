#pragma once

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class JobProgressView;

// Copies a bucket (AIS copy-bck: prefix, prepend, dry run, synchronize) as a job, with a
// progress bar of objects and bytes polled from the job API; Cancel stops the job.
class BucketCopyDialog final : public QDialog
{
    Q_OBJECT
public:
    BucketCopyDialog(Api::ApiClient *api, const QString &source, const QStringList &buckets,
                     QWidget *parent = nullptr);

    void setDestination(const QString &bucket);
    void setPrefix(const QString &prefix);
    void setDryRun(bool dryRun);
    void setSynchronize(bool sync);
    void start();
    QString jobId() const;
    QString counts() const;
    QProgressBar *progressBar() const;

Q_SIGNALS:
    void jobFinished(bool ok, const QString &message);

protected:
    void reject() override;

private:
    void setRunning(bool running);

    QPointer<Api::ApiClient> m_api;
    QString m_source;
    QComboBox *m_destination;
    QLineEdit *m_prefix;
    QLineEdit *m_prepend;
    QCheckBox *m_dryRun;
    QCheckBox *m_sync;
    JobProgressView *m_job;
    QPushButton *m_start;
    QPushButton *m_cancel;
};

} // namespace Kiln::Console
