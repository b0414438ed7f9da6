#pragma once

#include "app/dialogs/jobdialog.h"

class QCheckBox;
class QComboBox;
class QLineEdit;

namespace Kiln::Console {

// Copies a bucket (AIS copy-bck: prefix, prepend, dry run, synchronize) as a job, with a
// progress bar of objects and bytes polled from the job API; Cancel stops the job.
class BucketCopyDialog final : public JobDialog
{
    Q_OBJECT
public:
    BucketCopyDialog(Api::ApiClient *api, const QString &source, const QStringList &buckets,
                     QWidget *parent = nullptr);

    void setDestination(const QString &bucket);
    void setPrefix(const QString &prefix);
    void setDryRun(bool dryRun);
    void setSynchronize(bool sync);
    void start() override;

private:
    QString m_source;
    QComboBox *m_destination;
    QLineEdit *m_prefix;
    QLineEdit *m_prepend;
    QCheckBox *m_dryRun;
    QCheckBox *m_sync;
};

} // namespace Kiln::Console
