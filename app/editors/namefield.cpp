#include "app/editors/namefield.h"

#include "shared/etl/etlname.h"

#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace Kiln::Console {

NameField::NameField(QWidget *parent)
    : QWidget(parent)
    , m_edit(new QLineEdit(this))
    , m_message(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_edit->setPlaceholderText(
        tr("6 to 20 characters: a letter first, then letters, digits, _ or -"));
    m_edit->setMaxLength(64); // long enough to show the length message, not a paste of a file
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette pal = m_message->palette();
    pal.setColor(QPalette::WindowText, QColor(0xd0, 0x40, 0x40));
    m_message->setPalette(pal);
    layout->addWidget(m_edit);
    layout->addWidget(m_message);
    connect(m_edit, &QLineEdit::textChanged, this, &NameField::onTextChanged);
    onTextChanged({});
}

QString NameField::name() const
{
    return m_edit->text();
}

void NameField::setName(const QString &name)
{
    m_edit->setText(name);
    onTextChanged(name); // also when unchanged, to refresh the message
}

QString NameField::message() const
{
    return m_message->text();
}

void NameField::setServerError(const QString &message)
{
    showMessage(message);
}

void NameField::setReadOnly(bool readOnly)
{
    m_edit->setReadOnly(readOnly);
}

void NameField::onTextChanged(const QString &text)
{
    const QString rule = Etl::EtlName::brokenRule(text);
    showMessage(rule);
    const bool valid = rule.isEmpty();
    if (valid != m_valid) {
        m_valid = valid;
        Q_EMIT validityChanged(valid);
    }
    Q_EMIT nameChanged(text);
}

void NameField::showMessage(const QString &message)
{
    m_message->setText(message);
    m_message->setVisible(!message.isEmpty());
    m_edit->setToolTip(message);
}

} // namespace Kiln::Console
