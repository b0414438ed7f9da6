#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/etllistmodel.h"
#include "app/models/session.h"
#include "kilncluster.h"

#include <QDirIterator>
#include <QFile>
#include <QTest>

using namespace Kiln;
using Console::BucketModel;
using Console::Test::KilnCluster;

// The Cluster tab's bucket rows against a real `kilnd cluster --mountpaths 2`: each row shows
// the bucket's redundancy from its props and how many of its objects lack copies, counted from
// the copies the targets list.
class tst_BucketRedundancy : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void rowsShowRedundancyAndObjectsLackingCopies();

private:
    QString cell(const QString &bucket, int column) const;
    QStringList copyFiles(const QString &bucket, const QString &name) const;

    KilnCluster m_cluster{2, {QStringLiteral("--mountpaths"), QStringLiteral("2")}};
    Api::ApiClient m_api;
    Console::EtlListModel m_etls;
    Console::ClusterModel m_nodes;
    BucketModel m_buckets;
};

void tst_BucketRedundancy::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    m_api.setEndpoint(m_cluster.url());
    QList<QPair<QString, QByteArray>> objects;
    for (int i = 0; i < 12; ++i)
        objects.append({QStringLiteral("o%1").arg(i), QByteArray(1000 + i, char('a' + i))});
    QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("plain"), objects);
    QVERIFY2(put.isEmpty(), qPrintable(put));
    put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("mirr"), objects);
    QVERIFY2(put.isEmpty(), qPrintable(put));
    put = KilnCluster::setBucketProps(m_cluster.url(), QStringLiteral("mirr"),
                                      R"({"mirror":{"enabled":true,"copies":2}})");
    QVERIFY2(put.isEmpty(), qPrintable(put));
}

QString tst_BucketRedundancy::cell(const QString &bucket, int column) const
{
    const int row = int(m_buckets.names().indexOf(bucket));
    return row < 0 ? QStringLiteral("<no row>") : m_buckets.index(row, column).data().toString();
}

// The files of the object on every mountpath of every target.
QStringList tst_BucketRedundancy::copyFiles(const QString &bucket, const QString &name) const
{
    QStringList out;
    QDirIterator it(m_cluster.dataDir(), {name}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (path.endsWith(QStringLiteral("/buckets/%1/%2").arg(bucket, name)))
            out.append(path);
    }
    return out;
}

void tst_BucketRedundancy::rowsShowRedundancyAndObjectsLackingCopies()
{
    Console::Session session(&m_api, &m_etls, &m_nodes, &m_buckets);
    session.setPollInterval(200);
    session.start();
    QTRY_COMPARE_WITH_TIMEOUT(cell("mirr", BucketModel::Redundancy), QStringLiteral("mirror ×2"),
                              15000);
    QCOMPARE(cell("plain", BucketModel::Redundancy), QStringLiteral("none"));
    // make-n-copies gave every object its second copy; a plain bucket wants one.
    QTRY_COMPARE_WITH_TIMEOUT(cell("mirr", BucketModel::Lacking), QStringLiteral("0"), 20000);
    QCOMPARE(cell("plain", BucketModel::Lacking), QStringLiteral("0"));
    QCOMPARE(cell("mirr", BucketModel::Objects), QStringLiteral("12"));
    // Two objects lose a copy on disk: the row counts them.
    for (const QString name : {QStringLiteral("o3"), QStringLiteral("o7")}) {
        const QStringList files = copyFiles(QStringLiteral("mirr"), name);
        QCOMPARE(files.size(), 2);
        QVERIFY(QFile::remove(files.last()));
    }
    QTRY_COMPARE_WITH_TIMEOUT(cell("mirr", BucketModel::Lacking), QStringLiteral("2"), 15000);
    QCOMPARE(cell("mirr", BucketModel::Objects), QStringLiteral("12")); // nothing hidden
    const int row = int(m_buckets.names().indexOf(QStringLiteral("mirr")));
    QCOMPARE(m_buckets.index(row, BucketModel::Lacking).data(Qt::ForegroundRole).value<QColor>(),
             QColor(Qt::red));
}

QTEST_MAIN(tst_BucketRedundancy)
#include "tst_bucketredundancy.moc"
