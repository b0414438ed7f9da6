#pragma once

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace Kiln::Api {
class ApiClient;
}

namespace Kiln::Console {

class JobProgressView;

// Offline (bucket to bucket) transform: source and destination bucket, ETL, prefix, workers,
// dry run and continue-on-error; then a progress bar with objects, bytes and errors, polled
// from the job API, and Cancel, which stops the job on the cluster.
class OfflineDialog final : public QDialog
{
    Q_OBJECT
public:
    OfflineDialog(Api::ApiClient *api, const QStringList &etls, const QStringList &buckets,
                  QWidget *parent = nullptr);

    void setSource(const QString &bucket);
    void setDestination(const QString &bucket);
    void setEtl(const QString &name);
    void setDryRun(bool dryRun);
    void start();
    QString jobId() const;
    QString summary() const;
    QProgressBar *progressBar() const;

Q_SIGNALS:
    void jobFinished(bool ok, const QString &message);

protected:
    void reject() override;

private:
    void setRunning(bool running);

    QPointer<Api::ApiClient> m_api;
    QComboBox *m_source;
    QComboBox *m_destination;
    QComboBox *m_etl;
    QLineEdit *m_prefix;
    QSpinBox *m_workers;
    QCheckBox *m_dryRun;
    QCheckBox *m_coer;
    JobProgressView *m_job;
    QPushButton *m_start;
    QPushButton *m_cancel;
};

} // namespace Kiln::Console
