#include "app/dialogs/bucketcopydialog.h"

#include "shared/api/apiclient.h"
#include "shared/api/names.h"
#include "shared/api/tcbmsg.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace Kiln::Console {

BucketCopyDialog::BucketCopyDialog(Api::ApiClient *api, const QString &source,
                                   const QStringList &buckets, QWidget *parent)
    : JobDialog(api, JobProgressView::Counters::ObjectsAndBytes, parent)
    , m_source(source)
    , m_destination(new QComboBox(this))
    , m_prefix(new QLineEdit(this))
    , m_prepend(new QLineEdit(this))
    , m_dryRun(new QCheckBox(tr("&Dry run (count only, write nothing)"), this))
    , m_sync(new QCheckBox(tr("S&ynchronize (remove what the source no longer has)"), this))
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
    setForm(form, {m_destination, m_prefix, m_prepend, m_dryRun, m_sync});
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

void BucketCopyDialog::start()
{
    if (!api() || job()->running())
        return;
    const QString dst = m_destination->currentText().trimmed();
    if (auto ok = Api::validateBucketName(dst); !ok) {
        job()->setStatus(tr("Destination: %1").arg(ok.error().message));
        return;
    }
    Api::TcbMsg msg;
    msg.prefix = m_prefix->text();
    msg.prepend = m_prepend->text();
    msg.dryRun = m_dryRun->isChecked();
    msg.synchronize = m_sync->isChecked();
    job()->begin(m_source, msg.prefix);
    api()->copyBucket(m_source, dst, msg, job(),
                      [view = job()](const Result<QString> &id) { view->started(id); });
}

} // namespace Kiln::Console
