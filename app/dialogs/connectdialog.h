#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace Kiln::Console {

// Asks for the proxy URL and an optional bearer token, remembered in QSettings (the token only
// when the user asks for it).
class ConnectDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    QUrl url() const;
    QString token() const;
    void setUrl(const QString &url);

    // What the last accepted dialog stored; the default is kilnd's (and AIS's) port 8080.
    static QUrl rememberedUrl();
    static QString rememberedToken();
    static void remember(const QUrl &url, const QString &token, bool keepToken);

private:
    void validate();

    QLineEdit *m_url;
    QLineEdit *m_token;
    QCheckBox *m_keepToken;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
};

} // namespace Kiln::Console
