#include "app/dialogs/bucketcopydialog.h"
#include "app/dialogs/objectactiondialog.h"
#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/objectlistmodel.h"
#include "app/views/clusterview.h"
#include "kilncluster.h"

#include <QItemSelectionModel>
#include <QProgressBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace Kiln;
using Console::BucketCopyDialog;
using Console::ClusterView;
using Console::ObjectActionDialog;
using Console::Test::KilnCluster;

// The Cluster tab's object and bucket actions against a real cluster: copy and rename of an
// object, and a bucket copy job with its progress.
class tst_ClusterActions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void copiesAnObjectToAnotherBucket();
    void renamesAnObject();
    void renameOntoItselfIsRefusedInTheDialog();
    void copiesABucketAsAJobWithProgress();
    void maintenanceButtonsFollowTheRebalance();

private:
    void selectBucket(const QString &name);
    void selectObject(const QString &name);
    QByteArray get(const QString &bucket, const QString &object, QString *error = nullptr);
    QStringList names(const QString &bucket);
    Cluster::Smap smap();
    void runNodeAction(const QString &action);

    KilnCluster m_cluster;
    Api::ApiClient m_api;
    Console::ClusterModel m_nodes;
    Console::BucketModel m_buckets;
    ClusterView *m_view = nullptr;
};

void tst_ClusterActions::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("consrc"),
                                          {{QStringLiteral("a.txt"), "alpha"},
                                           {QStringLiteral("dir/b.bin"), QByteArray(5000, 'b')},
                                           {QStringLiteral("c.txt"), "gamma"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
    put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("condst"),
                                  {{QStringLiteral("keep.txt"), "kept"}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

void tst_ClusterActions::init()
{
    m_buckets.setBuckets({QStringLiteral("condst"), QStringLiteral("consrc")});
    m_view = new ClusterView(&m_api, &m_nodes, &m_buckets);
    m_view->show();
}

void tst_ClusterActions::cleanup()
{
    delete m_view;
    m_view = nullptr;
}

void tst_ClusterActions::selectBucket(const QString &name)
{
    QSignalSpy listed(m_view, &ClusterView::objectsRefreshed);
    const int row = int(m_buckets.names().indexOf(name));
    QVERIFY(row >= 0);
    m_view->bucketsTable()->selectRow(row);
    QVERIFY(listed.wait(20000));
    QCOMPARE(m_view->objectsModel()->bucket(), name);
}

void tst_ClusterActions::selectObject(const QString &name)
{
    for (int r = 0; r < m_view->objectsModel()->rowCount(); ++r) {
        if (m_view->objectsModel()->name(r) == name) {
            m_view->objectsTable()->selectRow(r);
            QCOMPARE(m_view->selectedObject(), name);
            return;
        }
    }
    QFAIL(qPrintable(QStringLiteral("no object %1 listed").arg(name)));
}

QByteArray tst_ClusterActions::get(const QString &bucket, const QString &object, QString *error)
{
    std::optional<Result<QByteArray>> got;
    m_api.getObject(bucket, object, {}, this, [&](const Result<QByteArray> &r) { got = r; });
    if (!QTest::qWaitFor([&] { return got.has_value(); }, 20000))
        return "<timeout>";
    if (!*got) {
        if (error)
            *error = got->error().message;
        return "<missing>";
    }
    return **got;
}

QStringList tst_ClusterActions::names(const QString &bucket)
{
    std::optional<Result<QList<Api::ObjectInfo>>> got;
    m_api.listObjects(bucket, {}, 1000, this,
                      [&](const Result<QList<Api::ObjectInfo>> &r) { got = r; });
    if (!QTest::qWaitFor([&] { return got.has_value(); }, 20000) || !*got)
        return {QStringLiteral("<error>")};
    QStringList out;
    for (const Api::ObjectInfo &o : **got)
        out.append(o.name);
    out.sort();
    return out;
}

void tst_ClusterActions::copiesAnObjectToAnotherBucket()
{
    selectBucket(QStringLiteral("consrc"));
    QCOMPARE(m_view->objectsModel()->rowCount(), 3);
    selectObject(QStringLiteral("dir/b.bin"));
    ObjectActionDialog *dialog = m_view->copyObject();
    QVERIFY(dialog);
    QSignalSpy done(dialog, &ObjectActionDialog::done);
    dialog->setDestination(QStringLiteral("condst"), QStringLiteral("copied/b.bin"));
    dialog->run();
    QVERIFY(done.wait(20000));
    QCOMPARE(done.first().at(0).toBool(), true);
    QCOMPARE(get(QStringLiteral("condst"), QStringLiteral("copied/b.bin")), QByteArray(5000, 'b'));
    QCOMPARE(get(QStringLiteral("consrc"), QStringLiteral("dir/b.bin")), QByteArray(5000, 'b'));
}

void tst_ClusterActions::renamesAnObject()
{
    selectBucket(QStringLiteral("consrc"));
    selectObject(QStringLiteral("c.txt"));
    ObjectActionDialog *dialog = m_view->renameObject();
    QVERIFY(dialog);
    QSignalSpy done(dialog, &ObjectActionDialog::done);
    QSignalSpy relisted(m_view, &ClusterView::objectsRefreshed);
    dialog->setDestination(QStringLiteral("consrc"), QStringLiteral("renamed.txt"));
    dialog->run();
    QVERIFY(done.wait(20000));
    QCOMPARE(done.first().at(0).toBool(), true);
    QCOMPARE(get(QStringLiteral("consrc"), QStringLiteral("renamed.txt")), QByteArray("gamma"));
    QString error;
    QCOMPARE(get(QStringLiteral("consrc"), QStringLiteral("c.txt"), &error),
             QByteArray("<missing>"));
    QVERIFY2(error.contains(QStringLiteral("does not exist")), qPrintable(error));
    QTRY_VERIFY_WITH_TIMEOUT(relisted.count() >= 1, 20000); // the list follows the rename
    QVERIFY(names(QStringLiteral("consrc")).contains(QStringLiteral("renamed.txt")));
}

void tst_ClusterActions::renameOntoItselfIsRefusedInTheDialog()
{
    selectBucket(QStringLiteral("consrc"));
    selectObject(QStringLiteral("a.txt"));
    ObjectActionDialog *dialog = m_view->renameObject();
    QSignalSpy done(dialog, &ObjectActionDialog::done);
    dialog->run(); // the proposed name is the old one
    QCOMPARE(done.count(), 1);
    QCOMPARE(done.first().at(0).toBool(), false);
    QVERIFY(dialog->isVisible());
    QCOMPARE(get(QStringLiteral("consrc"), QStringLiteral("a.txt")), QByteArray("alpha"));
}

void tst_ClusterActions::copiesABucketAsAJobWithProgress()
{
    selectBucket(QStringLiteral("consrc"));
    BucketCopyDialog *dialog = m_view->copyBucket();
    QVERIFY(dialog);
    QSignalSpy finished(dialog, &BucketCopyDialog::jobFinished);
    QSignalSpy changed(m_view, &ClusterView::contentChanged);
    dialog->setDestination(QStringLiteral("concopy"));
    dialog->start();
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QVERIFY(!dialog->jobId().isEmpty());
    const QStringList source = names(QStringLiteral("consrc"));
    QCOMPARE(names(QStringLiteral("concopy")), source);
    QTRY_VERIFY_WITH_TIMEOUT(
        dialog->counts().startsWith(QString::number(source.size()) + " objects"), 10000);
    QCOMPARE(dialog->progressBar()->value(), dialog->progressBar()->maximum());
    QCOMPARE(changed.count(), 1);
}

QTEST_MAIN(tst_ClusterActions)
#include "tst_clusteractions.moc"


Cluster::Smap tst_ClusterActions::smap()
{
    std::optional<Result<Cluster::Smap>> got;
    m_api.clusterMap(this, [&](const Result<Cluster::Smap> &r) { got = r; });
    if (!QTest::qWaitFor([&] { return got.has_value(); }, 20000) || !*got)
        return {};
    return **got;
}

void tst_ClusterActions::runNodeAction(const QString &action)
{
    m_view->nodeAction(action);
    QTRY_VERIFY_WITH_TIMEOUT(m_view->rebalanceText().contains(QStringLiteral("finished")), 40000);
    QVERIFY2(m_view->rebalanceText().startsWith(QStringLiteral("rebalance g")),
             qPrintable(m_view->rebalanceText()));
}

void tst_ClusterActions::maintenanceButtonsFollowTheRebalance()
{
    const QStringList before = names(QStringLiteral("consrc"));
    QMap<QString, QByteArray> bytes;
    for (const QString &n : before)
        bytes.insert(n, get(QStringLiteral("consrc"), n));
    m_nodes.setSmap(smap());
    int row = -1;
    for (int r = 0; r < m_nodes.rowCount() && row < 0; ++r) {
        if (m_nodes.index(r, Console::ClusterModel::Role).data().toString() == "target")
            row = r;
    }
    QVERIFY(row >= 0);
    m_view->nodesTable()->selectRow(row);
    const QString sid = m_view->selectedNode();
    QVERIFY(!sid.isEmpty());

    runNodeAction(QStringLiteral("start-maintenance"));
    QVERIFY(smap().target(sid)->inMaintenance());
    m_nodes.setSmap(smap());
    QCOMPARE(m_nodes.index(row, Console::ClusterModel::State).data().toString(),
             QStringLiteral("maintenance"));
    QCOMPARE(names(QStringLiteral("consrc")), before);
    for (auto it = bytes.cbegin(); it != bytes.cend(); ++it)
        QCOMPARE(get(QStringLiteral("consrc"), it.key()), it.value());

    m_view->nodesTable()->selectRow(row);
    runNodeAction(QStringLiteral("stop-maintenance"));
    QVERIFY(!smap().target(sid)->inMaintenance());
    QCOMPARE(names(QStringLiteral("consrc")), before);
}
