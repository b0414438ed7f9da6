#pragma once

#include "app/models/connection.h"

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace Kiln::Console {

// Asks how to reach a cluster (Connection): the proxy URL; for https the CA file and, for mutual
// TLS, a client certificate and key; and who the user is: no login, a bearer token, or a user
// and password the console logs in with at an AuthN service. Remembered in QSettings: all but
// the password, and the token only when the user asks for it.
class ConnectDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    Connection connection() const;
    void setConnection(const Connection &connection);
    QUrl url() const;
    QString token() const;
    void setUrl(const QString &url);
    // Why Connect is disabled; empty when the fields are fine.
    QString validationError() const;

    // What the last accepted dialog stored (no password); the default URL is kilnd's (and
    // AIS's) port 8080, the default AuthN URL AIS AuthN's port 52001.
    static Connection remembered();
    static QUrl rememberedUrl();
    static QString rememberedToken();
    static void remember(const Connection &connection, bool keepToken);
    static void remember(const QUrl &url, const QString &token, bool keepToken);

private:
    QLineEdit *fileField(const QString &name, const QString &placeholder);
    QWidget *withBrowse(QLineEdit *field, const QString &title);
    void updateLoginRows();
    void validate();

    QFormLayout *m_form;
    QLineEdit *m_url;
    QLineEdit *m_ca;
    QLineEdit *m_cert;
    QLineEdit *m_key;
    QComboBox *m_login;
    QLineEdit *m_token;
    QCheckBox *m_keepToken;
    QLineEdit *m_authnUrl;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace Kiln::Console
