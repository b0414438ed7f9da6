#include "app/dialogs/connectdialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <QFile>

using Kiln::Console::ConnectDialog;
using Kiln::Console::Connection;

namespace {

QLineEdit *field(ConnectDialog &dialog, const char *name)
{
    auto *f = dialog.findChild<QLineEdit *>(QString::fromLatin1(name));
    Q_ASSERT(f);
    return f;
}

void setLogin(ConnectDialog &dialog, Connection::Login login)
{
    auto *box = dialog.findChild<QComboBox *>(QStringLiteral("login"));
    box->setCurrentIndex(box->findData(int(login)));
}

QString touch(const QTemporaryDir &dir, const char *name)
{
    const QString path = dir.filePath(QString::fromLatin1(name));
    QFile f(path);
    f.open(QIODevice::WriteOnly);
    f.write("pem\n");
    return path;
}

} // namespace

class tst_ConnectDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void remembersTheUrlAndOnlyAKeptToken();
    void refusesWhatIsNotAnHttpUrl();
    void tlsFilesNeedHttpsAndExist();
    void loginNeedsItsFields();
    void remembersAllButThePassword();
};

void tst_ConnectDialog::initTestCase()
{
    // Settings go to a test location, never the user's.
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("KilnTest"));
    QCoreApplication::setApplicationName(QStringLiteral("tst_connectdialog"));
    QSettings().clear();
}

void tst_ConnectDialog::remembersTheUrlAndOnlyAKeptToken()
{
    QCOMPARE(ConnectDialog::rememberedUrl(), QUrl(QStringLiteral("http://127.0.0.1:8080")));
    ConnectDialog::remember(QUrl(QStringLiteral("http://proxy:9080")), QStringLiteral("t0k"),
                            false);
    QCOMPARE(ConnectDialog::rememberedUrl(), QUrl(QStringLiteral("http://proxy:9080")));
    QVERIFY(ConnectDialog::rememberedToken().isEmpty());
    ConnectDialog::remember(QUrl(QStringLiteral("http://proxy:9080")), QStringLiteral("t0k"), true);
    QCOMPARE(ConnectDialog::rememberedToken(), QStringLiteral("t0k"));

    ConnectDialog dialog;
    QCOMPARE(dialog.url(), QUrl(QStringLiteral("http://proxy:9080")));
    QCOMPARE(dialog.token(), QStringLiteral("t0k"));
}

void tst_ConnectDialog::refusesWhatIsNotAnHttpUrl()
{
    ConnectDialog dialog;
    auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    dialog.setUrl(QStringLiteral("ftp://proxy:21"));
    QVERIFY(!ok->isEnabled());
    dialog.setUrl(QStringLiteral("127.0.0.1:51080"));
    QVERIFY(ok->isEnabled()); // a bare host:port becomes http://
    QCOMPARE(dialog.url().scheme(), QStringLiteral("http"));
    QCOMPARE(dialog.url().port(), 51080);
}

void tst_ConnectDialog::tlsFilesNeedHttpsAndExist()
{
    QTemporaryDir dir;
    const QString ca = touch(dir, "ca.pem");
    const QString cert = touch(dir, "client.pem");
    const QString key = touch(dir, "client.key");
    ConnectDialog dialog;
    setLogin(dialog, Connection::Login::None);
    auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    dialog.setUrl(QStringLiteral("http://127.0.0.1:8080"));
    field(dialog, "caFile")->setText(ca);
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QLatin1String("https://")));
    dialog.setUrl(QStringLiteral("https://127.0.0.1:8080"));
    QVERIFY2(ok->isEnabled(), qPrintable(dialog.validationError()));
    QCOMPARE(dialog.connection().tls.caFile, ca);

    field(dialog, "caFile")->setText(dir.filePath(QStringLiteral("missing.pem")));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().startsWith(QLatin1String("No such file")));
    // The error shows under the fields.
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("error"))->text().startsWith(
        QLatin1String("No such file")));
    field(dialog, "caFile")->setText(ca);

    field(dialog, "certFile")->setText(cert);
    QVERIFY(!ok->isEnabled()); // a certificate without its key
    QVERIFY(dialog.validationError().contains(QLatin1String("needs its key")));
    field(dialog, "keyFile")->setText(key);
    QVERIFY(ok->isEnabled());
    const Connection c = dialog.connection();
    QCOMPARE(c.tls.certFile, cert);
    QCOMPARE(c.tls.keyFile, key);
    QCOMPARE(c.login, Connection::Login::None);
    QVERIFY(c.token.isEmpty());
}

void tst_ConnectDialog::loginNeedsItsFields()
{
    ConnectDialog dialog;
    auto *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
    dialog.setUrl(QStringLiteral("http://127.0.0.1:8080"));
    setLogin(dialog, Connection::Login::Token);
    field(dialog, "token")->clear();
    QVERIFY(!ok->isEnabled());
    QVERIFY(field(dialog, "token")->isVisibleTo(&dialog));
    QVERIFY(!field(dialog, "password")->isVisibleTo(&dialog));
    field(dialog, "token")->setText(QStringLiteral(" abc.def.ghi "));
    QVERIFY(ok->isEnabled());
    QCOMPARE(dialog.connection().token, QStringLiteral("abc.def.ghi"));

    setLogin(dialog, Connection::Login::Password);
    QVERIFY(!field(dialog, "token")->isVisibleTo(&dialog));
    QVERIFY(field(dialog, "user")->isVisibleTo(&dialog));
    QVERIFY(dialog.connection().token.isEmpty()); // the token is not sent with a login
    field(dialog, "authnUrl")->setText(QStringLiteral("ftp://authn"));
    field(dialog, "user")->setText(QStringLiteral("bob"));
    field(dialog, "password")->setText(QStringLiteral("secret"));
    QVERIFY(!ok->isEnabled());
    QVERIFY(dialog.validationError().contains(QLatin1String("AuthN")));
    field(dialog, "authnUrl")->setText(QStringLiteral("127.0.0.1:52001"));
    QVERIFY(ok->isEnabled());
    field(dialog, "password")->clear();
    QCOMPARE(dialog.validationError(), QStringLiteral("Enter the password"));
    field(dialog, "user")->clear();
    field(dialog, "password")->setText(QStringLiteral("secret"));
    QCOMPARE(dialog.validationError(), QStringLiteral("Enter a user name"));
    field(dialog, "user")->setText(QStringLiteral("bob"));
    const Connection c = dialog.connection();
    QCOMPARE(c.login, Connection::Login::Password);
    QCOMPARE(c.authnUrl, QUrl(QStringLiteral("http://127.0.0.1:52001")));
    QCOMPARE(c.user, QStringLiteral("bob"));
    QCOMPARE(c.password, QStringLiteral("secret"));
}

void tst_ConnectDialog::remembersAllButThePassword()
{
    QTemporaryDir dir;
    Connection c;
    c.url = QUrl(QStringLiteral("https://proxy:8080"));
    c.tls = {touch(dir, "ca.pem"), touch(dir, "c.pem"), touch(dir, "c.key")};
    c.login = Connection::Login::Password;
    c.authnUrl = QUrl(QStringLiteral("http://authn:52001"));
    c.user = QStringLiteral("bob");
    c.password = QStringLiteral("secret");
    ConnectDialog::remember(c, false);
    const Connection back = ConnectDialog::remembered();
    QCOMPARE(back.url, c.url);
    QCOMPARE(back.tls, c.tls);
    QCOMPARE(back.login, Connection::Login::Password);
    QCOMPARE(back.authnUrl, c.authnUrl);
    QCOMPARE(back.user, QStringLiteral("bob"));
    QVERIFY(back.password.isEmpty());
    QVERIFY(!QSettings().allKeys().join(' ').contains(QLatin1String("pass")));
    for (const QString &key : QSettings().allKeys())
        QVERIFY(QSettings().value(key).toString() != QLatin1String("secret"));

    ConnectDialog dialog; // opens on what was remembered, asking for the password only
    QCOMPARE(field(dialog, "user")->text(), QStringLiteral("bob"));
    QCOMPARE(dialog.validationError(), QStringLiteral("Enter the password"));
}

QTEST_MAIN(tst_ConnectDialog)
#include "tst_connectdialog.moc"
