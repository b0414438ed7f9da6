#include "app/dialogs/connectdialog.h"

#include <QDialogButtonBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTest>

using Kiln::Console::ConnectDialog;

class tst_ConnectDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void remembersTheUrlAndOnlyAKeptToken();
    void refusesWhatIsNotAnHttpUrl();
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

QTEST_MAIN(tst_ConnectDialog)
#include "tst_connectdialog.moc"
