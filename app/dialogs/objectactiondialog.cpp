#include "app/dialogs/objectactiondialog.h"

#include "shared/api/apiclient.h"
#include "shared/api/names.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Kiln::Console {

ObjectActionDialog::ObjectActionDialog(Api::ApiClient *api, Mode mode, const QString &bucket,
                                       const QString &object, const QStringList &buckets,
                                       QWidget *parent)
    : QDialog(parent)
    , m_api(api)
    , m_mode(mode)
    , m_bucket(bucket)
    , m_object(object)
    , m_toBucket(new QComboBox(this))
    , m_toName(new QLineEdit(this))
    , m_status(new QLabel(this))
    , m_ok(new QPushButton(mode == Mode::Copy ? tr("&Copy") : tr("&Rename"), this))
{
    setWindowTitle(mode == Mode::Copy ? tr("Copy object") : tr("Rename object"));
    m_toBucket->addItems(buckets);
    m_toBucket->setCurrentText(bucket);
    // A rename stays in its bucket (AIS moves objects within one bucket only).
    m_toBucket->setEnabled(mode == Mode::Copy);
    m_toName->setText(object);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *form = new QFormLayout;
    form->addRow(tr("Object:"), new QLabel(Api::objectCname(bucket, object), this));
    form->addRow(tr("To &bucket:"), m_toBucket);
    form->addRow(tr("To &name:"), m_toName);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    buttons->addButton(m_ok, QDialogButtonBox::AcceptRole);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    connect(m_ok, &QPushButton::clicked, this, &ObjectActionDialog::run);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 60);
}

void ObjectActionDialog::setDestination(const QString &bucket, const QString &name)
{
    m_toBucket->setCurrentText(bucket);
    m_toName->setText(name);
}

QString ObjectActionDialog::status() const
{
    return m_status->text();
}

void ObjectActionDialog::run()
{
    if (!m_api)
        return;
    const QString toBucket = m_toBucket->currentText();
    const QString toName = m_toName->text();
    if (auto ok = Api::validateObjectName(toName); !ok)
        return finish(false, ok.error().message);
    if (m_mode == Mode::Rename && toName == m_object)
        return finish(false, tr("The new name is the old one"));
    m_ok->setEnabled(false);
    m_status->setText(m_mode == Mode::Copy ? tr("Copying…") : tr("Renaming…"));
    const QString to = Api::objectCname(toBucket, toName);
    auto answer = [this, to](const Result<void> &r) {
        m_ok->setEnabled(true);
        if (!r)
            return finish(false, r.error().message);
        finish(true, (m_mode == Mode::Copy ? tr("Copied to %1") : tr("Renamed to %1")).arg(to));
    };
    if (m_mode == Mode::Copy)
        m_api->copyObject(m_bucket, m_object, toBucket, toName, this, answer);
    else
        m_api->renameObject(m_bucket, m_object, toName, this, answer);
}

void ObjectActionDialog::finish(bool ok, const QString &message)
{
    m_status->setText(message);
    Q_EMIT done(ok, message);
    if (ok)
        accept();
}

} // namespace Kiln::Console
