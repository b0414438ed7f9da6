#include "app/dialogs/offlinedialog.h"
#include "app/dialogs/payloadview.h"
#include "app/dialogs/previewdialog.h"
#include "kilncluster.h"

#include <QProgressBar>
#include <QSignalSpy>
#include <QTest>

using namespace Kiln;
using Console::OfflineDialog;
using Console::PayloadView;
using Console::PreviewDialog;
using Console::Test::KilnCluster;

// The transform preview and the offline transform dialogs against a real cluster.
class tst_TransformDialogs : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void previewShowsOriginalAndTransformedSideBySide();
    void previewPicksHexForBinary();
    void offlineJobReportsProgressAndFinishes();
    void offlineDryRunWritesNothing();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
};

void tst_TransformDialogs::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    const QString init = KilnCluster::initEchoEtl(m_api, QStringLiteral("echo-dialogs"));
    QVERIFY2(init.isEmpty(), qPrintable(init));
    const QString put = KilnCluster::putObjects(
        m_cluster.url(), QStringLiteral("txsrc"),
        {{QStringLiteral("a.txt"), "plain text"},
         {QStringLiteral("b.bin"), QByteArray("\x00\x01\x02\xff binary", 11)},
         {QStringLiteral("c.txt"), "third"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

void tst_TransformDialogs::previewShowsOriginalAndTransformedSideBySide()
{
    PreviewDialog dialog(&m_api, {QStringLiteral("echo-dialogs")});
    dialog.show();
    dialog.select(QStringLiteral("txsrc"), QStringLiteral("a.txt"));
    QSignalSpy shown(&dialog, &PreviewDialog::previewShown);
    // The bucket and object lists arrive asynchronously; ask until they are in.
    QTRY_VERIFY_WITH_TIMEOUT((dialog.showPreview(), shown.wait(2000)), 20000);
    QCOMPARE(dialog.originalView()->mode(), PayloadView::Mode::Text);
    QCOMPARE(dialog.originalView()->text(), QStringLiteral("plain text"));
    QCOMPARE(dialog.transformedView()->text(), QStringLiteral("plain text")); // the echo ETL
}

void tst_TransformDialogs::previewPicksHexForBinary()
{
    QCOMPARE(PayloadView::guessMode(QByteArray("\x00\x01\x02\xff", 4)), PayloadView::Mode::Hex);
    QCOMPARE(PayloadView::guessMode("hello\n"), PayloadView::Mode::Text);
    QVERIFY(PayloadView::hexDump("AB", 16).startsWith(QLatin1String("00000000  41 42 ")));
}

void tst_TransformDialogs::offlineJobReportsProgressAndFinishes()
{
    OfflineDialog dialog(&m_api, {QStringLiteral("echo-dialogs")}, {QStringLiteral("txsrc")});
    dialog.show();
    dialog.setSource(QStringLiteral("txsrc"));
    dialog.setDestination(QStringLiteral("txdst"));
    dialog.setEtl(QStringLiteral("echo-dialogs"));
    QSignalSpy finished(&dialog, &OfflineDialog::jobFinished);
    dialog.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY(!dialog.jobId().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(dialog.counts().startsWith(QLatin1String("3 objects")), 5000);
    QVERIFY(dialog.counts().contains(QLatin1String("0 error(s)")));
    QCOMPARE(dialog.progressBar()->value(), dialog.progressBar()->maximum());

    QObject ctx;
    std::optional<Result<QList<Api::ObjectInfo>>> listed;
    m_api.listObjects(QStringLiteral("txdst"), {}, 0, &ctx,
                      [&](const Result<QList<Api::ObjectInfo>> &r) { listed = r; });
    QTRY_VERIFY_WITH_TIMEOUT(listed.has_value(), 10000);
    QVERIFY(*listed);
    QCOMPARE((*listed)->size(), 3);
}

void tst_TransformDialogs::offlineDryRunWritesNothing()
{
    OfflineDialog dialog(&m_api, {QStringLiteral("echo-dialogs")}, {QStringLiteral("txsrc")});
    dialog.setSource(QStringLiteral("txsrc"));
    dialog.setDestination(QStringLiteral("txdry"));
    dialog.setEtl(QStringLiteral("echo-dialogs"));
    dialog.setDryRun(true);
    QSignalSpy finished(&dialog, &OfflineDialog::jobFinished);
    dialog.start();
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QObject ctx;
    std::optional<Result<QList<Api::ObjectInfo>>> listed;
    m_api.listObjects(QStringLiteral("txdry"), {}, 0, &ctx,
                      [&](const Result<QList<Api::ObjectInfo>> &r) { listed = r; });
    QTRY_VERIFY_WITH_TIMEOUT(listed.has_value(), 10000);
    QVERIFY(!*listed || (*listed)->isEmpty()); // no bucket, or an empty one
}

QTEST_MAIN(tst_TransformDialogs)
#include "tst_transformdialogs.moc"
