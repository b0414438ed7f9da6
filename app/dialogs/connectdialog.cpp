#include "app/dialogs/connectdialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr char UrlKey[] = "connection/url";
constexpr char TokenKey[] = "connection/token";
constexpr char DefaultUrl[] = "http://127.0.0.1:8080";

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
    , m_url(new QLineEdit(this))
    , m_token(new QLineEdit(this))
    , m_keepToken(new QCheckBox(tr("Remember the token"), this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Connect to a cluster"));
    m_url->setPlaceholderText(QString::fromLatin1(DefaultUrl));
    m_url->setText(rememberedUrl().toString());
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("optional (AuthN bearer token)"));
    m_token->setText(rememberedToken());
    m_keepToken->setChecked(!m_token->text().isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    QPalette pal = m_error->palette();
    pal.setColor(QPalette::WindowText, QColor(0xd0, 0x40, 0x40));
    m_error->setPalette(pal);

    auto *form = new QFormLayout;
    form->addRow(tr("Proxy &URL:"), m_url);
    form->addRow(tr("&Token:"), m_token);
    form->addRow(QString(), m_keepToken);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    connect(m_url, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        remember(url(), token(), m_keepToken->isChecked());
        accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    validate();
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 60);
}

QUrl ConnectDialog::url() const
{
    const QString text = m_url->text().trimmed();
    return QUrl::fromUserInput(text.isEmpty() ? QString::fromLatin1(DefaultUrl) : text);
}

QString ConnectDialog::token() const
{
    return m_token->text().trimmed();
}

void ConnectDialog::setUrl(const QString &url)
{
    m_url->setText(url);
}

void ConnectDialog::validate()
{
    const QUrl u = url();
    const bool ok
        = u.isValid() && (u.scheme() == "http" || u.scheme() == "https") && !u.host().isEmpty();
    m_error->setText(ok ? QString() : tr("Enter an http:// or https:// URL of a proxy"));
    m_error->setVisible(!ok);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(ok);
}

QUrl ConnectDialog::rememberedUrl()
{
    return QUrl(QSettings().value(UrlKey, QString::fromLatin1(DefaultUrl)).toString());
}

QString ConnectDialog::rememberedToken()
{
    return QSettings().value(TokenKey).toString();
}

void ConnectDialog::remember(const QUrl &url, const QString &token, bool keepToken)
{
    QSettings s;
    s.setValue(UrlKey, url.toString());
    if (keepToken && !token.isEmpty())
        s.setValue(TokenKey, token);
    else
        s.remove(TokenKey);
}

} // namespace Kiln::Console
