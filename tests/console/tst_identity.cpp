#include "app/models/bucketmodel.h"
#include "app/models/clustermodel.h"
#include "app/models/identity.h"
#include "app/views/clusterview.h"
#include "app/windows/mainwindow.h"
#include "kilncluster.h"

#include <QAction>
#include <QDateTime>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QTest>

using namespace Kiln;
using Console::Identity;
using Console::MainWindow;
using Console::Test::KilnCluster;

namespace {

constexpr quint64 ReadOnly = Identity::Get | (1ULL << 1) | (1ULL << 8) | Identity::ObjList;
constexpr quint64 ClusterRO = Identity::ListBuckets | Identity::ShowCluster;
constexpr quint64 ReadWrite = ReadOnly | Identity::Put | (1ULL << 3) | Identity::ObjDelete
    | Identity::ObjMove;

// An AIS AuthN token's shape; the console reads the claims without checking the signature.
QString tokenFor(const QJsonObject &claims)
{
    const auto part = [](const QJsonObject &o) {
        return QJsonDocument(o).toJson(QJsonDocument::Compact).toBase64(
            QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    };
    return QString::fromLatin1(part({{"alg", "HS256"}, {"typ", "JWT"}}) + '.' + part(claims)
                               + ".c2lnbmF0dXJl");
}

QJsonObject clusterAcl(quint64 perms)
{
    return {{"id", ""}, {"perm", QString::number(perms)}};
}

// A bucket's permissions, in the cluster with this UUID (AuthN's namespace.uuid).
QJsonObject bucketAcl(const QString &bucket, quint64 perms, const QString &cluster = {})
{
    const QJsonObject bck{{"name", bucket}, {"provider", "ais"},
                          {"namespace", QJsonObject{{"uuid", cluster}, {"name", ""}}}};
    return {{"bck", bck}, {"perm", QString::number(perms)}};
}

QString userToken(const QString &sub, bool admin, quint64 clusterPerms,
                  const QJsonArray &buckets = {})
{
    return tokenFor({{"sub", sub},
                     {"exp", QDateTime::currentSecsSinceEpoch() + 3600},
                     {"admin", admin},
                     {"clusters", QJsonArray{clusterAcl(clusterPerms)}},
                     {"buckets", buckets}});
}

} // namespace

class tst_Identity : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void readsTheClaims();
    void noTokenOrAnUnreadableOneGreysNothing();
    void bucketAclComesBeforeTheClusterAcl();
    void initTestCase();
    void adminHasEveryAction();
    void readOnlyUserSeesActionsGreyedWithWhy();
    void bucketWriterMayRenameInItsBucketOnly();

private:
    void connectAs(const QString &token);
    QPushButton *button(const char *name) const;

    KilnCluster m_cluster{1};
    Api::ApiClient m_api;
    std::unique_ptr<MainWindow> m_window;
};

void tst_Identity::readsTheClaims()
{
    const Identity admin = Identity::fromToken(userToken("root", true, 0));
    QVERIFY(admin.hasToken());
    QVERIFY(admin.decodeError().isEmpty());
    QCOMPARE(admin.subject(), QStringLiteral("root"));
    QVERIFY(admin.isAdmin() && admin.mayAdminister() && admin.mayWrite("any"));
    QCOMPARE(admin.summary(), QStringLiteral("root (admin)"));
    QVERIFY(admin.expiresAt() > QDateTime::currentSecsSinceEpoch());

    const Identity reader = Identity::fromToken(userToken("bob", false, ReadOnly | ClusterRO));
    QVERIFY(!reader.isAdmin());
    QVERIFY(!reader.mayAdminister());
    QVERIFY(!reader.mayWrite("b1"));
    QVERIFY(!reader.mayWriteSomewhere());
    QVERIFY(reader.may(Identity::Get | Identity::ObjList, "b1"));
    QVERIFY(reader.may(Identity::ListBuckets));
    QCOMPARE(reader.summary(), QStringLiteral("bob (read-only)"));
    QCOMPARE(reader.needsAdminText(), QStringLiteral("Needs an admin: bob is not one"));

    const Identity writer = Identity::fromToken(userToken("ann", false, ReadWrite | ClusterRO));
    QVERIFY(writer.mayWrite("b1") && writer.mayWriteSomewhere() && !writer.mayAdminister());
    QCOMPARE(writer.summary(), QStringLiteral("ann (read-write)"));
}

void tst_Identity::noTokenOrAnUnreadableOneGreysNothing()
{
    const Identity none = Identity::fromToken({});
    QVERIFY(!none.hasToken());
    QVERIFY(none.mayAdminister() && none.mayWriteSomewhere());
    QCOMPARE(none.summary(), QStringLiteral("no token"));
    for (const char *bad : {"not-a-jwt", "a.%%%.c", "a.bm90IGpzb24.c"}) {
        const Identity id = Identity::fromToken(QString::fromLatin1(bad));
        QVERIFY2(!id.decodeError().isEmpty(), bad);
        QVERIFY(id.mayAdminister()); // the cluster will answer 401; nothing to grey
    }
}

void tst_Identity::bucketAclComesBeforeTheClusterAcl()
{
    // Read-only on the cluster, but write on "mine"; and nothing at all on "locked".
    const Identity id = Identity::fromToken(userToken(
        "carl", false, ReadOnly | ClusterRO,
        QJsonArray{bucketAcl("mine", ReadWrite), bucketAcl("locked", 0)}));
    QVERIFY(id.mayWrite("mine"));
    QVERIFY(!id.mayWrite("other"));
    QVERIFY(id.may(Identity::Get, "other"));
    QVERIFY(!id.may(Identity::Get, "locked"));
    QVERIFY(id.mayWriteSomewhere());

    // Once the cluster's UUID is known, only its buckets' permissions apply (as on the proxy).
    Identity other = Identity::fromToken(userToken(
        "carl", false, ReadOnly | ClusterRO, QJsonArray{bucketAcl("mine", ReadWrite, "uuid-a")}));
    QVERIFY(other.mayWrite("mine"));
    other.setClusterId(QStringLiteral("uuid-b"));
    QVERIFY(!other.mayWrite("mine"));
    QVERIFY(!other.mayWriteSomewhere());
    other.setClusterId(QStringLiteral("uuid-a"));
    QVERIFY(other.mayWrite("mine"));
}

void tst_Identity::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString put = KilnCluster::putObjects(m_cluster.url(), QStringLiteral("idb"),
                                                {{QStringLiteral("o1"), QByteArray("one")}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
    m_window = std::make_unique<MainWindow>(&m_api);
    m_window->session()->setPollInterval(300);
    m_window->show();
}

void tst_Identity::connectAs(const QString &token)
{
    // This cluster runs without auth: it answers everyone, so what is greyed comes from the
    // token's claims alone.
    m_window->connectTo(m_cluster.url(), token);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->session()->isConnected(), 10000);
    auto *view = m_window->clusterView();
    QTRY_VERIFY_WITH_TIMEOUT(view->nodesTable()->model()->rowCount() > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(view->bucketsTable()->model()->rowCount() > 0, 10000);
    view->bucketsTable()->selectRow(0);
    QTRY_VERIFY_WITH_TIMEOUT(view->objectsTable()->model()->rowCount() > 0, 10000);
    view->objectsTable()->selectRow(0);
    QCOMPARE(view->selectedObject(), QStringLiteral("o1"));
    // Last, and checked before the event loop runs again: a new cluster map drops it.
    const QAbstractItemModel *nodes = view->nodesTable()->model();
    for (int row = 0; row < nodes->rowCount(); ++row) {
        if (nodes->index(row, Console::ClusterModel::Role).data().toString() == "target")
            view->nodesTable()->selectRow(row);
    }
    QVERIFY(!view->selectedNode().isEmpty());
}

QPushButton *tst_Identity::button(const char *name) const
{
    auto *b = m_window->clusterView()->findChild<QPushButton *>(QString::fromLatin1(name));
    Q_ASSERT(b);
    return b;
}

void tst_Identity::adminHasEveryAction()
{
    connectAs(userToken("root", true, 0));
    QCOMPARE(m_window->identityLabel()->text(), QStringLiteral("Logged in: root (admin)"));
    QVERIFY(m_window->newEtlAction()->isEnabled());
    QVERIFY(!m_window->newEtlAction()->toolTip().contains(QLatin1String("Needs")));
    for (const char *name : {"startMaintenance", "decommission", "copyBucket", "copyObject",
                             "renameObject"})
        QVERIFY2(button(name)->isEnabled(), name);
}

void tst_Identity::readOnlyUserSeesActionsGreyedWithWhy()
{
    connectAs(userToken("bob", false, ReadOnly | ClusterRO));
    QCOMPARE(m_window->identityLabel()->text(), QStringLiteral("Logged in: bob (read-only)"));
    QAction *newEtl = m_window->newEtlAction();
    QVERIFY(!newEtl->isEnabled());
    QCOMPARE(newEtl->toolTip(), QStringLiteral("Needs an admin: bob is not one"));
    for (const char *name : {"startMaintenance", "stopMaintenance", "decommission"}) {
        QVERIFY2(!button(name)->isEnabled(), name);
        QCOMPARE(button(name)->toolTip(), QStringLiteral("Needs an admin: bob is not one"));
    }
    for (const char *name : {"copyBucket", "copyObject", "renameObject"}) {
        QVERIFY2(!button(name)->isEnabled(), name);
        QVERIFY(button(name)->toolTip().startsWith(QLatin1String("Needs write permission")));
    }
    // Polls keep going: the server, not the token, decides what is shown.
    QVERIFY(m_window->session()->isConnected());

    // Back to an admin: everything comes back, with the actions' own tooltips.
    connectAs(userToken("root", true, 0));
    QVERIFY(newEtl->isEnabled());
    QVERIFY(newEtl->toolTip().startsWith(QLatin1String("Define and init a new ETL")));
    QVERIFY(button("decommission")->isEnabled());
}

void tst_Identity::bucketWriterMayRenameInItsBucketOnly()
{
    const QString uuid = m_window->session()->clusterUuid();
    QVERIFY(!uuid.isEmpty());
    connectAs(userToken("carl", false, ReadOnly | ClusterRO,
                        QJsonArray{bucketAcl("idb", ReadWrite, uuid)}));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->session()->clusterUuid(), uuid, 10000);
    QCOMPARE(m_window->identityLabel()->text(), QStringLiteral("Logged in: carl (read-write)"));
    QVERIFY(button("renameObject")->isEnabled());
    QVERIFY(button("copyObject")->isEnabled());
    QVERIFY(!button("decommission")->isEnabled());
    QVERIFY(!m_window->newEtlAction()->isEnabled());

    connectAs(userToken("dora", false, ReadOnly | ClusterRO,
                        QJsonArray{bucketAcl("elsewhere", ReadWrite, uuid)}));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->session()->clusterUuid(), uuid, 10000);
    QVERIFY(!button("renameObject")->isEnabled()); // idb is read-only for her
    QCOMPARE(button("renameObject")->toolTip(),
             QStringLiteral("Needs write permission on idb: dora may not write there"));
    QVERIFY(button("copyObject")->isEnabled()); // into "elsewhere"
}

QTEST_MAIN(tst_Identity)
#include "tst_identity.moc"
