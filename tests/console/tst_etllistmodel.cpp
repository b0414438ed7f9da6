#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/etllistmodel.h"
#include "app/models/session.h"
#include "kilncluster.h"

#include <QSignalSpy>
#include <QTest>

using namespace Kiln;
using Console::EtlListModel;
using Console::Session;
using Console::Test::KilnCluster;

class tst_EtlListModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void listsTheClusterEtlsWithCommTypeAndRuntime();
    void followsStopStartAndDelete();
    void showsNodesAndBucketCounts();
    void mergesRowsInPlace();

private:
    KilnCluster m_cluster;
    Api::ApiClient m_api;
};

void tst_EtlListModel::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    const QString init = KilnCluster::initEchoEtl(m_api, QStringLiteral("echo-list"));
    QVERIFY2(init.isEmpty(), qPrintable(init));
    const QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("src"),
                                                {{QStringLiteral("a.txt"), "alpha"},
                                                 {QStringLiteral("b.txt"), "beta"},
                                                 {QStringLiteral("c/d.txt"), "gamma"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

void tst_EtlListModel::listsTheClusterEtlsWithCommTypeAndRuntime()
{
    EtlListModel model;
    Console::ClusterModel nodes;
    Console::BucketModel buckets;
    Session session(&m_api, &model, &nodes, &buckets);
    session.setPollInterval(300);
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 1, 10000);
    const int row = model.rowOf(QStringLiteral("echo-list"));
    QCOMPARE(row, 0);
    QCOMPARE(model.index(row, EtlListModel::Stage).data().toString(), QStringLiteral("Running"));
    // Comm type and runtime come from the ETL's stored init message.
    QTRY_COMPARE_WITH_TIMEOUT(model.index(row, EtlListModel::CommType).data().toString(),
                              QStringLiteral("hpush://"), 10000);
    QCOMPARE(model.index(row, EtlListModel::Runtime).data().toString(),
             QStringLiteral("python:3.11"));
    QVERIFY(model.index(row, EtlListModel::Age).data().toString().endsWith(QLatin1String(" s")));
    QVERIFY(session.isConnected());
}

void tst_EtlListModel::followsStopStartAndDelete()
{
    const QString name = QStringLiteral("echo-actions");
    const QString init = KilnCluster::initEchoEtl(m_api, name);
    QVERIFY2(init.isEmpty(), qPrintable(init));
    EtlListModel model;
    Console::ClusterModel nodes;
    Console::BucketModel buckets;
    Session session(&m_api, &model, &nodes, &buckets);
    session.setPollInterval(300);
    session.start();
    QTRY_VERIFY_WITH_TIMEOUT(model.rowOf(name) >= 0, 10000);
    QSignalSpy finished(&session, &Session::actionFinished);

    session.run(Session::Action::Stop, name);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
    QCOMPARE(finished.last().at(2).toString(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(model.stageOf(name), Etl::Stage::Aborted, 10000);

    session.run(Session::Action::Start, name);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 60000);
    QCOMPARE(finished.last().at(2).toString(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(model.stageOf(name), Etl::Stage::Running, 10000);

    session.run(Session::Action::Restart, name);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 60000);
    QCOMPARE(finished.last().at(2).toString(), QString());
    QTRY_COMPARE_WITH_TIMEOUT(model.stageOf(name), Etl::Stage::Running, 10000);

    // Starting a running ETL is refused by the cluster; the error reaches the caller.
    session.run(Session::Action::Start, name);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 4, 30000);
    QVERIFY(finished.last().at(2).toString().contains(QLatin1String("can't start")));

    session.run(Session::Action::Delete, name);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 5, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(model.rowOf(name), -1, 10000);
    QVERIFY(model.rowOf(QStringLiteral("echo-list")) >= 0);
}

void tst_EtlListModel::showsNodesAndBucketCounts()
{
    EtlListModel model;
    Console::ClusterModel nodes;
    Console::BucketModel buckets;
    Session session(&m_api, &model, &nodes, &buckets);
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(nodes.rowCount(), 4, 10000); // the proxy and 3 targets
    QCOMPARE(nodes.index(0, Console::ClusterModel::Role).data().toString(),
             QStringLiteral("proxy (primary)"));
    for (int row = 0; row < nodes.rowCount(); ++row)
        QCOMPARE(nodes.index(row, Console::ClusterModel::State).data().toString(),
                 QStringLiteral("online"));
    QTRY_COMPARE_WITH_TIMEOUT(buckets.rowCount(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(
        buckets.index(0, Console::BucketModel::Objects).data(Qt::UserRole).toLongLong(), 3LL,
        10000);
    QCOMPARE(buckets.index(0, Console::BucketModel::Name).data().toString(),
             QStringLiteral("ais://src"));
}

void tst_EtlListModel::mergesRowsInPlace()
{
    EtlListModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    Api::EtlSummary a{QStringLiteral("alpha-etl"), Etl::Stage::Running};
    Api::EtlSummary b{QStringLiteral("beta-etl"), Etl::Stage::Running};
    model.setEtls({a, b});
    QCOMPARE(inserted.count(), 2);
    b.stage = Etl::Stage::Aborted;
    model.setEtls({a, b});
    QCOMPARE(inserted.count(), 2); // updated, not re-inserted: selections survive refreshes
    QCOMPARE(model.stageOf(QStringLiteral("beta-etl")), Etl::Stage::Aborted);
    model.setEtls({b});
    QCOMPARE(removed.count(), 1);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(reset.count(), 0);
}

QTEST_MAIN(tst_EtlListModel)
#include "tst_etllistmodel.moc"
