#include "app/dialogs/connectdialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QToolButton>
#include <QVBoxLayout>

namespace Kiln::Console {
namespace {

constexpr char UrlKey[] = "connection/url";
constexpr char TokenKey[] = "connection/token";
constexpr char CaKey[] = "connection/ca";
constexpr char CertKey[] = "connection/cert";
constexpr char KeyKey[] = "connection/key";
constexpr char LoginKey[] = "connection/login"; // none, token, password
constexpr char AuthnKey[] = "connection/authn";
constexpr char UserKey[] = "connection/user";
constexpr char DefaultUrl[] = "http://127.0.0.1:8080";
constexpr char DefaultAuthn[] = "http://127.0.0.1:52001";

bool isHttpUrl(const QUrl &u)
{
    return u.isValid() && (u.scheme() == "http" || u.scheme() == "https") && !u.host().isEmpty();
}

QUrl urlOf(const QString &text, const char *fallback)
{
    const QString t = text.trimmed();
    return QUrl::fromUserInput(t.isEmpty() ? QString::fromLatin1(fallback) : t);
}

QString loginName(Connection::Login login)
{
    switch (login) {
    case Connection::Login::Token:
        return QStringLiteral("token");
    case Connection::Login::Password:
        return QStringLiteral("password");
    case Connection::Login::None:
        break;
    }
    return QStringLiteral("none");
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
    , m_form(new QFormLayout)
    , m_url(new QLineEdit(this))
    , m_ca(fileField(QStringLiteral("caFile"), tr("for https: the cluster's CA (DIR/tls/ca.pem)")))
    , m_cert(fileField(QStringLiteral("certFile"), tr("mutual TLS only (DIR/tls/client.pem)")))
    , m_key(fileField(QStringLiteral("keyFile"), tr("mutual TLS only (DIR/tls/client.key)")))
    , m_login(new QComboBox(this))
    , m_token(new QLineEdit(this))
    , m_keepToken(new QCheckBox(tr("Remember the token"), this))
    , m_authnUrl(new QLineEdit(this))
    , m_user(new QLineEdit(this))
    , m_password(new QLineEdit(this))
    , m_error(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setWindowTitle(tr("Connect to a cluster"));
    m_url->setObjectName(QStringLiteral("url"));
    m_url->setPlaceholderText(QString::fromLatin1(DefaultUrl));
    m_login->setObjectName(QStringLiteral("login"));
    m_login->addItem(tr("None (auth off)"), int(Connection::Login::None));
    m_login->addItem(tr("Bearer token"), int(Connection::Login::Token));
    m_login->addItem(tr("User and password (AuthN)"), int(Connection::Login::Password));
    m_token->setObjectName(QStringLiteral("token"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("AuthN token (ais auth login; $AIS_AUTHN_TOKEN)"));
    m_authnUrl->setObjectName(QStringLiteral("authnUrl"));
    m_authnUrl->setPlaceholderText(QString::fromLatin1(DefaultAuthn));
    m_user->setObjectName(QStringLiteral("user"));
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    QPalette pal = m_error->palette();
    pal.setColor(QPalette::WindowText, QColor(0xd0, 0x40, 0x40));
    m_error->setPalette(pal);
    m_error->setWordWrap(true);
    m_error->setObjectName(QStringLiteral("error"));

    m_form->addRow(tr("Proxy &URL:"), m_url);
    m_form->addRow(tr("C&A file:"), withBrowse(m_ca, tr("The cluster's CA certificate")));
    m_form->addRow(tr("Client c&ertificate:"), withBrowse(m_cert, tr("Client certificate")));
    m_form->addRow(tr("Client &key:"), withBrowse(m_key, tr("Client key")));
    m_form->addRow(tr("&Login:"), m_login);
    m_form->addRow(tr("&Token:"), m_token);
    m_form->addRow(QString(), m_keepToken);
    m_form->addRow(tr("AuthN U&RL:"), m_authnUrl);
    m_form->addRow(tr("U&ser:"), m_user);
    m_form->addRow(tr("&Password:"), m_password);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
    layout->addWidget(m_error);
    layout->addWidget(m_buttons);

    setConnection(remembered());
    for (QLineEdit *field : {m_url, m_ca, m_cert, m_key, m_token, m_authnUrl, m_user, m_password})
        connect(field, &QLineEdit::textChanged, this, &ConnectDialog::validate);
    connect(m_login, &QComboBox::currentIndexChanged, this, [this] {
        updateLoginRows();
        validate();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this] {
        remember(connection(), m_keepToken->isChecked());
        accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    updateLoginRows();
    validate();
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 70);
}

QLineEdit *ConnectDialog::fileField(const QString &name, const QString &placeholder)
{
    auto *field = new QLineEdit(this);
    field->setObjectName(name);
    field->setPlaceholderText(placeholder);
    field->setClearButtonEnabled(true);
    return field;
}

QWidget *ConnectDialog::withBrowse(QLineEdit *field, const QString &title)
{
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *browse = new QToolButton(row);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose a PEM file"));
    layout->addWidget(field, 1);
    layout->addWidget(browse);
    connect(browse, &QToolButton::clicked, this, [this, field, title] {
        auto *picker = new QFileDialog(this, title, QFileInfo(field->text()).path(),
                                       tr("PEM files (*.pem *.crt *.key);;All files (*)"));
        picker->setAttribute(Qt::WA_DeleteOnClose);
        picker->setFileMode(QFileDialog::ExistingFile);
        connect(picker, &QFileDialog::fileSelected, field, &QLineEdit::setText);
        picker->open();
    });
    return row;
}

void ConnectDialog::updateLoginRows()
{
    const auto login = Connection::Login(m_login->currentData().toInt());
    m_form->setRowVisible(m_token, login == Connection::Login::Token);
    m_form->setRowVisible(m_keepToken, login == Connection::Login::Token);
    for (QLineEdit *field : {m_authnUrl, m_user, m_password})
        m_form->setRowVisible(field, login == Connection::Login::Password);
}

Connection ConnectDialog::connection() const
{
    Connection c;
    c.url = url();
    c.tls = {m_ca->text().trimmed(), m_cert->text().trimmed(), m_key->text().trimmed()};
    c.login = Connection::Login(m_login->currentData().toInt());
    if (c.login == Connection::Login::Token)
        c.token = token();
    c.authnUrl = urlOf(m_authnUrl->text(), DefaultAuthn);
    if (c.login == Connection::Login::Password) {
        c.user = m_user->text().trimmed();
        c.password = m_password->text();
    }
    return c;
}

void ConnectDialog::setConnection(const Connection &c)
{
    m_url->setText(c.url.toString());
    m_ca->setText(c.tls.caFile);
    m_cert->setText(c.tls.certFile);
    m_key->setText(c.tls.keyFile);
    m_login->setCurrentIndex(m_login->findData(int(c.login)));
    m_token->setText(c.token);
    m_keepToken->setChecked(!c.token.isEmpty());
    m_authnUrl->setText(c.authnUrl.toString());
    m_user->setText(c.user);
    m_password->setText(c.password);
    updateLoginRows();
}

QUrl ConnectDialog::url() const
{
    return urlOf(m_url->text(), DefaultUrl);
}

QString ConnectDialog::token() const
{
    return m_token->text().trimmed();
}

void ConnectDialog::setUrl(const QString &url)
{
    m_url->setText(url);
}

QString ConnectDialog::validationError() const
{
    const Connection c = connection();
    if (!isHttpUrl(c.url))
        return tr("Enter an http:// or https:// URL of a proxy");
    if (!c.tls.isEmpty() && c.url.scheme() != QLatin1String("https"))
        return tr("The CA file and client certificate are for an https:// URL");
    for (const QString &file : {c.tls.caFile, c.tls.certFile, c.tls.keyFile}) {
        if (!file.isEmpty() && !QFileInfo(file).isFile())
            return tr("No such file: %1").arg(file);
    }
    if (c.tls.certFile.isEmpty() != c.tls.keyFile.isEmpty())
        return tr("A client certificate needs its key, and a key its certificate");
    if (c.login == Connection::Login::Token && c.token.isEmpty())
        return tr("Enter a token, or choose another login");
    if (c.login == Connection::Login::Password) {
        if (!isHttpUrl(c.authnUrl))
            return tr("Enter the http:// or https:// URL of the AuthN service");
        if (c.user.isEmpty())
            return tr("Enter a user name");
        if (c.password.isEmpty())
            return tr("Enter the password");
    }
    return {};
}

void ConnectDialog::validate()
{
    const QString error = validationError();
    m_error->setText(error);
    m_error->setVisible(!error.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty());
}

Connection ConnectDialog::remembered()
{
    QSettings s;
    Connection c;
    c.url = QUrl(s.value(UrlKey, QString::fromLatin1(DefaultUrl)).toString());
    c.tls = {s.value(CaKey).toString(), s.value(CertKey).toString(), s.value(KeyKey).toString()};
    c.token = s.value(TokenKey).toString();
    c.authnUrl = QUrl(s.value(AuthnKey, QString::fromLatin1(DefaultAuthn)).toString());
    c.user = s.value(UserKey).toString();
    const QString login = s.value(LoginKey).toString();
    c.login = login == QLatin1String("password") ? Connection::Login::Password
        : login == QLatin1String("token") || !c.token.isEmpty() ? Connection::Login::Token
                                                                 : Connection::Login::None;
    return c;
}

QUrl ConnectDialog::rememberedUrl()
{
    return remembered().url;
}

QString ConnectDialog::rememberedToken()
{
    return QSettings().value(TokenKey).toString();
}

void ConnectDialog::remember(const Connection &c, bool keepToken)
{
    QSettings s;
    s.setValue(UrlKey, c.url.toString());
    s.setValue(CaKey, c.tls.caFile);
    s.setValue(CertKey, c.tls.certFile);
    s.setValue(KeyKey, c.tls.keyFile);
    s.setValue(LoginKey, loginName(c.login));
    s.setValue(AuthnKey, c.authnUrl.toString());
    s.setValue(UserKey, c.user);
    if (keepToken && !c.token.isEmpty())
        s.setValue(TokenKey, c.token);
    else
        s.remove(TokenKey);
}

void ConnectDialog::remember(const QUrl &url, const QString &token, bool keepToken)
{
    Connection c = remembered();
    c.url = url;
    c.token = token;
    c.login = token.isEmpty() ? Connection::Login::None : Connection::Login::Token;
    remember(c, keepToken);
}

} // namespace Kiln::Console
