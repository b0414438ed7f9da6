#include "app/dialogs/etleditordialog.h"
#include "app/editors/codeeditor.h"
#include "app/editors/namefield.h"
#include "app/editors/yamleditor.h"
#include "kilncluster.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace Kiln;
using Console::EtlEditorDialog;
using Console::Test::KilnCluster;

class tst_EtlEditorDialog : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void initsAPodSpecEtl();
    void putsAnAlreadyExistsErrorUnderTheName();
    void initsACodeEtlThatTransforms();
    void editReplacesTheRunningEtl();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
};

void tst_EtlEditorDialog::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    const QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("edsrc"),
                                                {{QStringLiteral("hello.txt"), "hello kiln"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

void tst_EtlEditorDialog::initsAPodSpecEtl()
{
    EtlEditorDialog dialog(&m_api);
    dialog.show();
    dialog.nameField()->setName(QStringLiteral("dlg-echo"));
    dialog.specEditor()->setPlainText(QString::fromUtf8(KilnCluster::echoPodYaml("dlg-echo")));
    dialog.specEditor()->validateNow();
    QVERIFY2(dialog.initButton()->isEnabled(), qPrintable(dialog.statusText()));
    QSignalSpy initialized(&dialog, &EtlEditorDialog::initialized);
    QTest::mouseClick(dialog.initButton(), Qt::LeftButton);
    QVERIFY(!dialog.initButton()->isEnabled()); // busy while the cluster inits
    QVERIFY(dialog.statusText().contains(QLatin1String("Initializing")));
    QTRY_COMPARE_WITH_TIMEOUT(initialized.count(), 1, 90000);
    QCOMPARE(initialized.first().at(0).toString(), QStringLiteral("dlg-echo"));
    QVERIFY(initialized.first().at(1).toString().startsWith(QLatin1String("etl-")));
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void tst_EtlEditorDialog::putsAnAlreadyExistsErrorUnderTheName()
{
    EtlEditorDialog dialog(&m_api);
    dialog.show();
    dialog.nameField()->setName(QStringLiteral("dlg-echo")); // taken by the previous test
    dialog.specEditor()->setPlainText(QString::fromUtf8(KilnCluster::echoPodYaml("dlg-echo")));
    dialog.specEditor()->validateNow();
    QVERIFY(dialog.initButton()->isEnabled());
    QTest::mouseClick(dialog.initButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(
        dialog.nameField()->message().contains(QLatin1String("already exists")), 30000);
    QVERIFY(dialog.statusText().contains(QLatin1String("Init failed")));
    QVERIFY(dialog.isVisible()); // the user fixes the name and tries again
    QVERIFY(dialog.initButton()->isEnabled());
}

void tst_EtlEditorDialog::initsACodeEtlThatTransforms()
{
    EtlEditorDialog dialog(&m_api);
    dialog.show();
    dialog.nameField()->setName(QStringLiteral("dlg-upper"));
    dialog.setMode(EtlEditorDialog::Mode::Code); // the template uppercases
    QVERIFY2(dialog.initButton()->isEnabled(), qPrintable(dialog.statusText()));
    QSignalSpy initialized(&dialog, &EtlEditorDialog::initialized);
    QTest::mouseClick(dialog.initButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(initialized.count(), 1, 90000);

    QObject ctx;
    std::optional<Result<QByteArray>> out;
    m_api.getObject(QStringLiteral("edsrc"), QStringLiteral("hello.txt"),
                    QStringLiteral("dlg-upper"), &ctx,
                    [&](const Result<QByteArray> &r) { out = r; });
    QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30000);
    QVERIFY2(*out, *out ? "" : qPrintable(out->error().message));
    QCOMPARE(**out, QByteArray("HELLO KILN"));
}

void tst_EtlEditorDialog::editReplacesTheRunningEtl()
{
    EtlEditorDialog dialog(&m_api);
    dialog.show();
    dialog.loadFrom(QStringLiteral("dlg-upper"));
    QTRY_COMPARE_WITH_TIMEOUT(dialog.nameField()->name(), QStringLiteral("dlg-upper"), 10000);
    QCOMPARE(dialog.mode(), EtlEditorDialog::Mode::Code);
    QVERIFY(dialog.codeEditor()->toPlainText().contains(QLatin1String("upper()")));
    QString code = dialog.codeEditor()->toPlainText();
    code.replace(QStringLiteral("input_bytes.upper()"), QStringLiteral("input_bytes[::-1]"));
    dialog.codeEditor()->setPlainText(code);
    QSignalSpy initialized(&dialog, &EtlEditorDialog::initialized);
    QTest::mouseClick(dialog.initButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(initialized.count(), 1, 90000);

    QObject ctx;
    std::optional<Result<QByteArray>> out;
    m_api.getObject(QStringLiteral("edsrc"), QStringLiteral("hello.txt"),
                    QStringLiteral("dlg-upper"), &ctx,
                    [&](const Result<QByteArray> &r) { out = r; });
    QTRY_VERIFY_WITH_TIMEOUT(out.has_value(), 30000);
    QVERIFY2(*out, *out ? "" : qPrintable(out->error().message));
    QCOMPARE(**out, QByteArray("nlik olleh"));
}

QTEST_MAIN(tst_EtlEditorDialog)
#include "tst_etleditordialog.moc"
