#include "app/models/targethealthmodel.h"
#include "app/views/etldetailsview.h"
#include "kilncluster.h"

#include <QChart>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTest>

using namespace Kiln;
using Console::TargetHealthModel;
using Console::Test::KilnCluster;

class tst_TargetHealthModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void showsEveryTargetsHealthCpuAndMemory();
    void chartsTheHistoryPerTarget();
    void showsAStoppedEtlsStage();
    void computesPercentOfTheMemoryLimit();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
};

void tst_TargetHealthModel::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    const QString init = KilnCluster::initEchoEtl(m_api, QStringLiteral("echo-health"));
    QVERIFY2(init.isEmpty(), qPrintable(init));
}

void tst_TargetHealthModel::showsEveryTargetsHealthCpuAndMemory()
{
    Console::EtlDetailsView view(&m_api);
    view.setRefreshInterval(300);
    view.setEtl(QStringLiteral("echo-health"));
    TargetHealthModel *model = view.model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 3, 10000);
    for (int row = 0; row < 3; ++row) {
        QTRY_COMPARE_WITH_TIMEOUT(model->index(row, TargetHealthModel::Health).data().toString(),
                                  QStringLiteral("Running"), 10000);
        // A live Python process: some resident memory, a CPU figure (possibly 0.0 %).
        QTRY_VERIFY_WITH_TIMEOUT(
            model->index(row, TargetHealthModel::Memory).data(Qt::UserRole).toLongLong() > 0,
            10000);
        QVERIFY(model->index(row, TargetHealthModel::Cpu).data().toString().endsWith(" %"));
        QCOMPARE(model->index(row, TargetHealthModel::MemoryOfLimit).data().toString(),
                 QStringLiteral("no limit"));
        QCOMPARE(model->index(row, TargetHealthModel::Stage).data().toString(),
                 QStringLiteral("Running"));
        QVERIFY(model->index(row, TargetHealthModel::Errors).data().toString().isEmpty());
    }
}

void tst_TargetHealthModel::chartsTheHistoryPerTarget()
{
    Console::EtlDetailsView view(&m_api);
    view.setRefreshInterval(200);
    view.setEtl(QStringLiteral("echo-health"));
    QSignalSpy refreshed(&view, &Console::EtlDetailsView::refreshed);
    QTRY_VERIFY_WITH_TIMEOUT(refreshed.count() >= 3, 15000);
    const QStringList ids = view.model()->targetIds();
    QCOMPARE(ids.size(), 3);
    QVERIFY(view.model()->history(ids.first()).size() >= 3);
    QCOMPARE(view.cpuChart()->series().size(), 3);
    QCOMPARE(view.memoryChart()->series().size(), 3);
    auto *mem = qobject_cast<QLineSeries *>(view.memoryChart()->series().first());
    QVERIFY(mem);
    QVERIFY(mem->count() >= 3);
    QVERIFY(mem->at(0).y() > 0); // MiB of a running interpreter
}

void tst_TargetHealthModel::showsAStoppedEtlsStage()
{
    const QString name = QStringLiteral("echo-stopped");
    const QString init = KilnCluster::initEchoEtl(m_api, name);
    QVERIFY2(init.isEmpty(), qPrintable(init));
    QObject ctx;
    bool stopped = false;
    m_api.stopEtl(name, &ctx, [&](const Result<void> &r) { stopped = bool(r); });
    QTRY_VERIFY_WITH_TIMEOUT(stopped, 30000);
    Console::EtlDetailsView view(&m_api);
    view.setRefreshInterval(300);
    view.setEtl(name);
    TargetHealthModel *model = view.model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 3, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, TargetHealthModel::Stage).data().toString(),
                              QStringLiteral("Aborted"), 10000);
    QVERIFY(model->index(0, TargetHealthModel::Health).data().toString() != "Running");
}

void tst_TargetHealthModel::computesPercentOfTheMemoryLimit()
{
    TargetHealthModel model;
    Api::TargetMetrics m;
    m.targetId = QStringLiteral("t1");
    m.cpuCores = 0.25;
    m.memBytes = 64 << 20;
    m.memLimitBytes = 256 << 20;
    model.setMetrics({m});
    QCOMPARE(model.index(0, TargetHealthModel::Cpu).data().toString(), QStringLiteral("25.0 %"));
    QCOMPARE(model.index(0, TargetHealthModel::MemoryOfLimit).data().toString(),
             QStringLiteral("25.0 % of 256.0 MiB"));
    QCOMPARE(model.index(0, TargetHealthModel::MemoryOfLimit).data(Qt::UserRole).toDouble(), 25.0);
}

QTEST_MAIN(tst_TargetHealthModel)
#include "tst_targethealthmodel.moc"
