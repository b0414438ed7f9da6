#include "app/dialogs/offlinedialog.h"

#include "shared/api/apiclient.h"
#include "shared/api/names.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QSpinBox>

namespace Kiln::Console {

OfflineDialog::OfflineDialog(Api::ApiClient *api, const QStringList &etls,
                             const QStringList &buckets, QWidget *parent)
    : JobDialog(api, JobProgressView::Counters::WithErrors, parent)
    , m_source(new QComboBox(this))
    , m_destination(new QComboBox(this))
    , m_etl(new QComboBox(this))
    , m_prefix(new QLineEdit(this))
    , m_workers(new QSpinBox(this))
    , m_dryRun(new QCheckBox(tr("&Dry run (transform and count, write nothing)"), this))
    , m_coer(new QCheckBox(tr("Continue on &errors"), this))
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

    auto *form = new QFormLayout;
    form->addRow(tr("S&ource bucket:"), m_source);
    form->addRow(tr("Des&tination bucket:"), m_destination);
    form->addRow(tr("ET&L:"), m_etl);
    form->addRow(tr("&Prefix:"), m_prefix);
    form->addRow(tr("&Workers:"), m_workers);
    form->addRow(QString(), m_dryRun);
    form->addRow(QString(), m_coer);
    setForm(form, {m_source, m_destination, m_etl, m_prefix, m_workers, m_dryRun, m_coer});
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

void OfflineDialog::start()
{
    if (!api() || job()->running())
        return;
    const QString src = m_source->currentText();
    QString dst = m_destination->currentText().trimmed();
    if (m_dryRun->isChecked() && dst.isEmpty())
        dst = src; // a dry run writes nothing: AIS calls that an inspection of the source
    if (src.isEmpty() || m_etl->currentText().isEmpty()) {
        job()->setStatus(tr("Pick a source bucket and an ETL"));
        return;
    }
    if (auto ok = Api::validateBucketName(dst); !ok) {
        job()->setStatus(tr("Destination: %1").arg(ok.error().message));
        return;
    }
    Api::TcbMsg msg;
    msg.etlName = m_etl->currentText();
    msg.prefix = m_prefix->text();
    msg.numWorkers = m_workers->value();
    msg.dryRun = m_dryRun->isChecked();
    msg.continueOnError = m_coer->isChecked();
    job()->begin(src, msg.prefix);
    api()->startOfflineTransform(src, dst, msg, job(),
                                 [view = job()](const Result<QString> &id) { view->started(id); });
}

} // namespace Kiln::Console
