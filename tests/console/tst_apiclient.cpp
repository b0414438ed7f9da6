#include "kilncluster.h"
#include "shared/api/apiclient.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace Kiln;
using Console::Test::KilnCluster;

namespace {

// Calls one ApiClient method and waits for its callback (test code only).
template<typename T, typename Call> std::optional<Result<T>> await(Call call, int ms = 30000)
{
    QObject context;
    std::optional<Result<T>> answer;
    call(&context, [&](const Result<T> &r) { answer = r; });
    QTest::qWaitFor([&] { return answer.has_value(); }, ms);
    return answer;
}

} // namespace

class tst_ApiClient : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void readsTheClusterMap();
    void turnsAisErrorBodiesIntoErrors();
    void reportsAnUnreachableProxy();
    void dropsCallbacksOfDeadContexts();

private:
    KilnCluster m_cluster{2};
};

void tst_ApiClient::initTestCase()
{
    const QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void tst_ApiClient::readsTheClusterMap()
{
    Api::ApiClient api;
    api.setEndpoint(m_cluster.url());
    QSignalSpy state(&api, &Api::ApiClient::stateChanged);
    const auto smap
        = await<Cluster::Smap>([&](QObject *ctx, auto done) { api.clusterMap(ctx, done); });
    QVERIFY(smap.has_value());
    QVERIFY2(*smap, *smap ? "" : qPrintable(smap->error().message));
    QCOMPARE((*smap)->targets().size(), 2);
    QCOMPARE(api.state(), Api::ApiClient::State::Connected);
    QCOMPARE(state.count(), 1);
    const auto etls
        = await<QList<Api::EtlSummary>>([&](QObject *ctx, auto done) { api.listEtls(ctx, done); });
    QVERIFY(etls && *etls);
    QVERIFY((*etls)->isEmpty());
}

void tst_ApiClient::turnsAisErrorBodiesIntoErrors()
{
    Api::ApiClient api;
    api.setEndpoint(m_cluster.url());
    const auto missing = await<Api::EtlDetails>(
        [&](QObject *ctx, auto done) { api.etlDetails(QStringLiteral("no-such-etl"), ctx, done); });
    QVERIFY(missing && !*missing);
    QCOMPARE(missing->error().code, ErrorCode::NotFound);
    // The message of the AIS error body, not the JSON around it.
    QVERIFY2(missing->error().message.contains(QLatin1String("etl job no-such-etl does not exist")),
             qPrintable(missing->error().message));
    QVERIFY(!missing->error().message.contains(QLatin1Char('{')));

    const auto bad = await<QString>([&](QObject *ctx, auto done) {
        api.initEtl(QJsonObject{{"name", "x"}, {"communication", "hpush://"}}, ctx, done);
    });
    QVERIFY(bad && !*bad);
    QCOMPARE(bad->error().code, ErrorCode::InvalidArgument);
}

void tst_ApiClient::reportsAnUnreachableProxy()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    Api::ApiClient api;
    api.setMaxRetries(1);
    api.setEndpoint(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    QSignalSpy state(&api, &Api::ApiClient::stateChanged);
    QElapsedTimer clock;
    clock.start();
    const auto etls
        = await<QList<Api::EtlSummary>>([&](QObject *ctx, auto done) { api.listEtls(ctx, done); });
    QVERIFY(etls && !*etls);
    QCOMPARE(etls->error().code, ErrorCode::Unavailable);
    QVERIFY(clock.elapsed() < 5000); // one retry with backoff, not a hang
    QVERIFY(state.count() >= 1);
    QCOMPARE(api.state(), Api::ApiClient::State::Unreachable);
}

void tst_ApiClient::dropsCallbacksOfDeadContexts()
{
    Api::ApiClient api;
    api.setEndpoint(m_cluster.url());
    bool called = false;
    {
        QObject context;
        api.listEtls(&context, [&](const auto &) { called = true; });
    }
    QObject witness;
    bool done = false;
    api.listEtls(&witness, [&](const auto &) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
    QVERIFY(!called);
}

QTEST_MAIN(tst_ApiClient)
#include "tst_apiclient.moc"
