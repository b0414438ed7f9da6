#include "app/models/etllistmodel.h"
#include "app/windows/mainwindow.h"
#include "kilncluster.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <QTimer>

#include <csignal>

using namespace Kiln;
using Console::EtlListModel;
using Console::MainWindow;
using Console::Session;
using Console::Test::KilnCluster;

class tst_MainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void stopsAndStartsThroughTheUi();
    void filtersTheList();
    void deletesOnlyAfterConfirmation();
    void staysResponsiveWhenTheProxyHangs();
    void staysResponsiveWhenTheProxyDies();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
    std::unique_ptr<MainWindow> m_window;
};

void tst_MainWindow::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    for (const char *name : {"echo-ui-one", "echo-ui-two"}) {
        const QString init = KilnCluster::initEchoEtl(m_api, QString::fromLatin1(name));
        QVERIFY2(init.isEmpty(), qPrintable(init));
    }
    m_window = std::make_unique<MainWindow>(&m_api);
    m_window->session()->setPollInterval(300);
    m_window->show();
    m_window->connectTo(m_cluster.url(), {});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->etlModel()->rowCount(), 2, 10000);
    QVERIFY(m_window->banner()->isHidden());
    QVERIFY(m_window->connectionLabel()->text().contains(QLatin1String("Connected")));
}

void tst_MainWindow::stopsAndStartsThroughTheUi()
{
    const QString name = QStringLiteral("echo-ui-one");
    m_window->selectEtl(name);
    QCOMPARE(m_window->selectedEtl(), name);
    QAction *stop = m_window->action(Session::Action::Stop);
    QAction *start = m_window->action(Session::Action::Start);
    QTRY_VERIFY_WITH_TIMEOUT(stop->isEnabled(), 5000);
    QVERIFY(!start->isEnabled()); // Running: only stop
    stop->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->etlModel()->stageOf(name), Etl::Stage::Aborted, 30000);
    const QModelIndex stageCell = m_window->etlTable()->model()->index(
        m_window->etlTable()->selectionModel()->selectedRows().first().row(), EtlListModel::Stage);
    QCOMPARE(stageCell.data().toString(), QStringLiteral("Aborted"));
    QTRY_VERIFY_WITH_TIMEOUT(start->isEnabled(), 5000);
    start->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->etlModel()->stageOf(name), Etl::Stage::Running, 60000);
    // The selection survived every refresh.
    QCOMPARE(m_window->selectedEtl(), name);
}

void tst_MainWindow::filtersTheList()
{
    QTest::keyClicks(m_window->filterBox(), QStringLiteral("two"));
    QCOMPARE(m_window->etlTable()->model()->rowCount(), 1);
    QCOMPARE(m_window->etlTable()->model()->index(0, 0).data().toString(),
             QStringLiteral("echo-ui-two"));
    m_window->filterBox()->clear();
    QCOMPARE(m_window->etlTable()->model()->rowCount(), 2);
}

void tst_MainWindow::deletesOnlyAfterConfirmation()
{
    const QString name = QStringLiteral("echo-ui-two");
    m_window->selectEtl(name);
    QAction *del = m_window->action(Session::Action::Delete);
    QTRY_VERIFY_WITH_TIMEOUT(del->isEnabled(), 5000);

    del->trigger();
    QMessageBox *box = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT(
        (box = m_window->findChild<QMessageBox *>(QStringLiteral("confirmDelete"))), 5000);
    QSignalSpy refreshed(m_window->session(), &Session::etlsRefreshed);
    box->button(QMessageBox::Cancel)->click();
    // Several refreshes of the list after the cancel: nothing may have happened.
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 3, 20000);
    QVERIFY(m_window->etlModel()->rowOf(name) >= 0);

    del->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(
        (box = m_window->findChild<QMessageBox *>(QStringLiteral("confirmDelete"))), 5000);
    box->button(QMessageBox::Yes)->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_window->etlModel()->rowOf(name), -1, 30000);
}

void tst_MainWindow::staysResponsiveWhenTheProxyHangs()
{
    // A frozen proxy accepts connections and never answers: only timeouts can tell.
    const qint64 proxy = m_cluster.proxyPid();
    QVERIFY(proxy > 0);
    m_api.setDefaultTimeout(2000);
    QElapsedTimer beat;
    qint64 worstGap = 0;
    QTimer heart;
    heart.setInterval(20);
    connect(&heart, &QTimer::timeout, this, [&] { worstGap = qMax(worstGap, beat.restart()); });
    QCOMPARE(::kill(pid_t(proxy), SIGSTOP), 0);
    beat.start();
    heart.start();
    const bool bannerShown
        = QTest::qWaitFor([&] { return m_window->banner()->isVisible(); }, 20000);
    heart.stop();
    ::kill(pid_t(proxy), SIGCONT);
    QVERIFY(bannerShown);
    QVERIFY2(worstGap < 500, qPrintable(QStringLiteral("GUI blocked for %1 ms").arg(worstGap)));
    // Thawed, it answers again and the console notices by itself.
    QTRY_VERIFY_WITH_TIMEOUT(m_window->banner()->isHidden(), 30000);
    m_api.setDefaultTimeout(10000);
}

void tst_MainWindow::staysResponsiveWhenTheProxyDies()
{
    const quint16 port = m_cluster.port();
    // The event loop's heartbeat: the largest gap between 20 ms ticks while the cluster is down.
    QElapsedTimer beat;
    qint64 worstGap = 0;
    QTimer heart;
    heart.setInterval(20);
    connect(&heart, &QTimer::timeout, this, [&] { worstGap = qMax(worstGap, beat.restart()); });

    m_cluster.stop();
    beat.start();
    heart.start();
    QTRY_VERIFY_WITH_TIMEOUT(m_window->banner()->isVisible(), 15000);
    QVERIFY(m_window->banner()->text().contains(QString::number(port)));
    QVERIFY(m_window->connectionLabel()->text().contains(QLatin1String("Disconnected")));
    QVERIFY(!m_window->action(Session::Action::Stop)->isEnabled());
    // Keep clicking about while it retries: every event is handled at once.
    for (int i = 0; i < 10; ++i) {
        m_window->mainTabs()->setCurrentIndex(i % 2);
        QTest::qWait(300);
    }
    heart.stop();
    QVERIFY2(worstGap < 500, qPrintable(QStringLiteral("GUI blocked for %1 ms").arg(worstGap)));

    // The cluster comes back on the same port: the console reconnects on its own.
    const QString error = m_cluster.start(port);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->banner()->isHidden(), 30000);
    QVERIFY(m_window->connectionLabel()->text().contains(QLatin1String("Connected")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->etlModel()->rowOf(QStringLiteral("echo-ui-one")) >= 0,
                             10000);
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
