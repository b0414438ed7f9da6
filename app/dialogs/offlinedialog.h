#pragma once

#include "app/dialogs/jobdialog.h"

class QCheckBox;
class QComboBox;
class QLineEdit;
class QSpinBox;

namespace Kiln::Console {

// Offline (bucket to bucket) transform: source and destination bucket, ETL, prefix, workers,
// dry run and continue-on-error; then a progress bar with objects, bytes and errors, polled
// from the job API, and Cancel, which stops the job on the cluster.
class OfflineDialog final : public JobDialog
{
    Q_OBJECT
public:
    OfflineDialog(Api::ApiClient *api, const QStringList &etls, const QStringList &buckets,
                  QWidget *parent = nullptr);

    void setSource(const QString &bucket);
    void setDestination(const QString &bucket);
    void setEtl(const QString &name);
    void setDryRun(bool dryRun);
    void start() override;

private:
    QComboBox *m_source;
    QComboBox *m_destination;
    QComboBox *m_etl;
    QLineEdit *m_prefix;
    QSpinBox *m_workers;
    QCheckBox *m_dryRun;
    QCheckBox *m_coer;
};

} // namespace Kiln::Console
