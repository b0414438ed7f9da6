#include "app/models/etllistmodel.h"
#include "app/models/etlratepoller.h"
#include "app/models/etlrates.h"
#include "app/views/etldetailsview.h"
#include "kilncluster.h"
#include "shared/api/promtext.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

#include <cmath>

using namespace Kiln;
using Console::EtlRate;
using Console::EtlRates;
using Console::Test::KilnCluster;

// The ETL list's throughput and error columns, from the targets' kiln_etl_* metrics.
class tst_EtlRates : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesLabelsEscapesAndSpecialValues();
    void sumsCountersOverTargetsAndCommTypes();
    void ratesAreGrowthOverTimeAndIgnoreResets();
    void listShowsRatesOnceThereAreTwoPolls();
    void detailsShowTheRateOfTheirEtl();
    void pollsARealClusterAfterInlineGets();
};

namespace {

const QByteArray TargetOne = R"(# HELP kiln_etl_objects_total objects
# TYPE kiln_etl_objects_total counter
kiln_etl_objects_total{node_id="t1",etl="md5",comm="hpush"} 10
kiln_etl_objects_total{node_id="t1",etl="md5",comm="ws"} 2
kiln_etl_errors_total{node_id="t1",etl="md5",comm="hpush"} 1
kiln_etl_bytes_out_total{node_id="t1",etl="md5",comm="hpush"} 320
kiln_etl_transform_duration_seconds_bucket{node_id="t1",etl="md5",comm="hpush",le="+Inf"} 11
)";
const QByteArray TargetTwo = R"(kiln_etl_objects_total{node_id="t2",etl="md5",comm="hpush"} 8
kiln_etl_objects_total{node_id="t2",etl="a \"q\" \\ b",comm="io"} 1
)";

} // namespace

void tst_EtlRates::parsesLabelsEscapesAndSpecialValues()
{
    const QList<Api::PromSample> s = Api::parsePromText(TargetOne + TargetTwo);
    QCOMPARE(s.size(), 7);
    QCOMPARE(s[0].name, QByteArray("kiln_etl_objects_total"));
    QCOMPARE(s[0].labels.value("comm"), QByteArray("hpush"));
    QCOMPARE(s[0].value, 10.0);
    QVERIFY(std::isinf(s[4].value) == false && s[4].labels.value("le") == "+Inf");
    QCOMPARE(s[6].labels.value("etl"), QByteArray("a \"q\" \\ b"));
    QVERIFY(std::isinf(Api::parsePromText("x +Inf\n").value(0).value));
    QVERIFY(Api::parsePromText("broken{a=\"1\" 2\n").isEmpty());
}

void tst_EtlRates::sumsCountersOverTargetsAndCommTypes()
{
    const auto totals
        = EtlRates::totalsFrom({Api::parsePromText(TargetOne), Api::parsePromText(TargetTwo)});
    QCOMPARE(totals.value("md5").objects, 20.0);
    QCOMPARE(totals.value("md5").errors, 1.0);
    QCOMPARE(totals.value("md5").bytesOut, 320.0);
    QCOMPARE(totals.value("a \"q\" \\ b").objects, 1.0);
}

void tst_EtlRates::ratesAreGrowthOverTimeAndIgnoreResets()
{
    EtlRates rates;
    QVERIFY(rates.update(1000, {{"md5", {20, 640, 1}}}).isEmpty()); // no interval yet
    const auto second = rates.update(3000, {{"md5", {30, 1664, 2}}, {"new", {5, 5, 0}}});
    QCOMPARE(second.value("md5").objectsPerSec, 5.0);
    QCOMPARE(second.value("md5").bytesOutPerSec, 512.0);
    QCOMPARE(second.value("md5").errorsPerSec, 0.5);
    QCOMPARE(second.value("md5").errorRatio(), 0.5 / 5.5);
    QCOMPARE(second.value("new").objectsPerSec, 2.5); // no series before: it grew from 0
    // A target restarted: its counters began again at 0.
    QCOMPARE(rates.update(4000, {{"md5", {3, 0, 0}}}).value("md5").objectsPerSec, 0.0);
}

void tst_EtlRates::listShowsRatesOnceThereAreTwoPolls()
{
    Console::EtlListModel model;
    Api::EtlSummary md5;
    md5.name = QStringLiteral("md5");
    model.setEtls({md5});
    const auto cell = [&](int column) { return model.data(model.index(0, column)).toString(); };
    QCOMPARE(cell(Console::EtlListModel::Throughput), QStringLiteral("–"));
    model.setRates({{"md5", EtlRate{12.5, 1.5 * 1024 * 1024, 0}}});
    QCOMPARE(cell(Console::EtlListModel::Throughput), QStringLiteral("12.5 obj/s · 1.5 MiB/s"));
    QCOMPARE(cell(Console::EtlListModel::ErrorRate), QStringLiteral("0 /s"));
    model.setRates({{"md5", EtlRate{9, 0, 1}}});
    QCOMPARE(cell(Console::EtlListModel::ErrorRate), QStringLiteral("1.0 /s (10.0 %)"));
    QVERIFY(
        model.data(model.index(0, Console::EtlListModel::ErrorRate), Qt::ForegroundRole).isValid());
}

void tst_EtlRates::detailsShowTheRateOfTheirEtl()
{
    Api::ApiClient api; // no endpoint: the view's own polling answers "not connected"
    Console::EtlDetailsView view(&api);
    Console::EtlListModel model;
    Api::EtlSummary md5;
    md5.name = QStringLiteral("md5");
    model.setEtls({md5});
    view.setEtl(QStringLiteral("md5"));
    view.setRate(model.rateOf(QStringLiteral("md5")));
    QVERIFY2(view.rateText().contains(QStringLiteral("after two polls")),
             qPrintable(view.rateText()));
    model.setRates({{"md5", EtlRate{4, 2048, 1}}});
    view.setRate(model.rateOf(QStringLiteral("md5")));
    QCOMPARE(view.rateText(),
             QStringLiteral("Throughput 4.0 obj/s · 2.0 KiB/s, errors 1.0 /s (20.0 %)"));
    view.setEtl(QStringLiteral("other")); // another ETL: no stale figures
    QVERIFY(view.rateText().contains(QStringLiteral("after two polls")));
}

void tst_EtlRates::pollsARealClusterAfterInlineGets()
{
    KilnCluster cluster(1);
    const QString started = cluster.start();
    QVERIFY2(started.isEmpty(), qPrintable(started));
    Api::ApiClient api;
    api.setEndpoint(cluster.url());
    const QString put = KilnCluster::putObjects(cluster.url(), QStringLiteral("rates"),
                                                {{QStringLiteral("o"), QByteArray(4096, 'k')}});
    QVERIFY2(put.isEmpty(), qPrintable(put));
    const QString init = KilnCluster::initEchoEtl(api, QStringLiteral("echo-rates"));
    QVERIFY2(init.isEmpty(), qPrintable(init));

    Console::EtlListModel model;
    Api::EtlSummary row;
    row.name = QStringLiteral("echo-rates");
    model.setEtls({row});
    QUrl target;
    api.clusterMap(this, [&target](const Result<Cluster::Smap> &smap) {
        if (smap && !smap->targets().isEmpty())
            target = QUrl(smap->targets().first().url());
    });
    QTRY_VERIFY_WITH_TIMEOUT(target.isValid(), 10000);
    Console::EtlRatePoller poller(&api, &model);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    poller.poll({target}); // the baseline, complete before the GETs
    QTRY_VERIFY_WITH_TIMEOUT(!poller.isPolling(), 10000);
    QVERIFY(changed.isEmpty()); // one poll gives no rate yet

    QNetworkAccessManager nam;
    QUrl get = cluster.url();
    get.setPath(QStringLiteral("/v1/objects/rates/o"));
    get.setQuery(QStringLiteral("etl_name=echo-rates"));
    for (int i = 0; i < 5; ++i) {
        QNetworkRequest request(get);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                             QNetworkRequest::NoLessSafeRedirectPolicy);
        QNetworkReply *reply = nam.get(request);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(30000));
        QCOMPARE(reply->readAll().size(), 4096);
        reply->deleteLater();
    }
    QTest::qWait(200); // a measurable interval between the polls
    poller.poll({target});
    QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), 10000);
    const QString throughput
        = model.data(model.index(0, Console::EtlListModel::Throughput)).toString();
    QVERIFY2(throughput.endsWith(QStringLiteral("/s")) && !throughput.startsWith("0.0 obj"),
             qPrintable(throughput));
    QCOMPARE(model.data(model.index(0, Console::EtlListModel::ErrorRate)).toString(),
             QStringLiteral("0 /s"));
}

QTEST_MAIN(tst_EtlRates)
#include "tst_etlrates.moc"
