// The console's client against a real `kilnd cluster --tls --auth` and a `kilnd authn` with the
// same secret: HTTPS with the cluster's CA file, a login through AuthN, the token on every call;
// a missing CA, a wrong password, no token and a read-only token fail with clear messages.
#include "app/models/clustermodel.h"
#include "app/views/clusterview.h"
#include "app/windows/mainwindow.h"
#include "kilnauthn.h"
#include "kilncluster.h"
#include "shared/api/apierror.h"

#include <QAction>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QTableView>
#include <QTemporaryFile>
#include <QTest>

#include <algorithm>
#include <optional>

using namespace Kiln;
using Console::Connection;
using Console::MainWindow;
using Console::Test::KilnAuthn;
using Console::Test::KilnCluster;

namespace {

constexpr int CallTimeoutMs = 15000;
const QString Bucket = QStringLiteral("tls-console");

template<typename T> std::optional<Result<T>> waitFor(auto call)
{
    QObject context;
    std::optional<Result<T>> answer;
    call(&context, [&answer](const Result<T> &r) { answer = r; });
    // The caller checks whether an answer came.
    (void)QTest::qWaitFor([&answer] { return answer.has_value(); }, CallTimeoutMs);
    return answer;
}

QString randomHex(int bytes)
{
    QByteArray raw(bytes, '\0');
    for (char &c : raw)
        c = char(QRandomGenerator::global()->bounded(256));
    return QString::fromLatin1(raw.toHex());
}

// An HS256 token signed with the cluster's secret, as AuthN would issue it.
QString signedToken(const QJsonObject &claims, const QByteArray &secret)
{
    const auto part = [](const QByteArray &bytes) {
        return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    };
    const QByteArray signingInput
        = part(R"({"alg":"HS256","typ":"JWT"})") + '.'
        + part(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray mac
        = QMessageAuthenticationCode::hash(signingInput, secret, QCryptographicHash::Sha256);
    return QString::fromLatin1(signingInput + '.' + part(mac));
}

bool listed(const QList<Api::BucketInfo> &buckets, const QString &name)
{
    return std::any_of(buckets.begin(), buckets.end(),
                       [&name](const Api::BucketInfo &b) { return b.name == name; });
}

} // namespace

class tst_ConsoleTls : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void refusesTlsFilesThatDoNotLoad();
    void failsCleanlyWithoutTheCa();
    void logsInAndListsBucketsOverHttps();
    void wrongPasswordAndNoTokenAre401();
    void windowLogsInAndShowsWho();
    void windowShowsALoginFailure();
    void readOnlyUserSees403AndGreyedActions();
    void mutualTlsNeedsTheClientCertificate();

private:
    Connection connection(const QString &password) const;

    QByteArray m_secret = randomHex(16).toLatin1();
    QString m_adminPass = QStringLiteral("adm-") + randomHex(4);
    KilnCluster m_cluster{1, {QStringLiteral("--tls"), QStringLiteral("--auth")}};
    KilnAuthn m_authn;
};

void tst_ConsoleTls::initTestCase()
{
    qputenv("KILN_AUTH_SECRET", m_secret);
    qputenv("AIS_AUTHN_SU_PASS", m_adminPass.toUtf8());
    QString error = m_cluster.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(m_cluster.url().scheme(), QStringLiteral("https"));
    error = m_authn.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));

    // A bucket to list, made by the admin over HTTPS.
    Api::ApiClient api;
    QVERIFY(api.setTls({m_cluster.caFile(), {}, {}}));
    const auto token = waitFor<QString>([&](QObject *ctx, auto done) {
        api.login(m_authn.url(), QStringLiteral("admin"), m_adminPass, ctx, done);
    });
    QVERIFY(token && *token);
    api.setEndpoint(m_cluster.url(), **token);
    Api::Request create;
    create.method = "POST";
    create.path = QStringLiteral("/v1/buckets/") + Bucket;
    create.query.addQueryItem(QStringLiteral("provider"), QStringLiteral("ais"));
    create.body = R"({"action":"create-bck","name":"","value":null})";
    const auto made = waitFor<QByteArray>(
        [&](QObject *ctx, auto done) { api.send(create, ctx, done); });
    QVERIFY(made);
    QVERIFY2(bool(*made), *made ? "" : qPrintable(made->error().message));
}

Connection tst_ConsoleTls::connection(const QString &password) const
{
    Connection c;
    c.url = m_cluster.url();
    c.tls.caFile = m_cluster.caFile();
    c.login = Connection::Login::Password;
    c.authnUrl = m_authn.url();
    c.user = QStringLiteral("admin");
    c.password = password;
    return c;
}

void tst_ConsoleTls::refusesTlsFilesThatDoNotLoad()
{
    Api::ApiClient api;
    auto missing = api.setTls({QStringLiteral("/nonexistent/ca.pem"), {}, {}});
    QVERIFY(!missing);
    QVERIFY2(missing.error().message.contains(QLatin1String("cannot read the CA file")),
             qPrintable(missing.error().message));
    QTemporaryFile junk;
    QVERIFY(junk.open());
    junk.write("not a certificate\n");
    junk.flush();
    auto notPem = api.setTls({junk.fileName(), {}, {}});
    QVERIFY(!notPem);
    QVERIFY(notPem.error().message.contains(QLatin1String("holds no PEM certificate")));
    auto halfPair = api.setTls({m_cluster.caFile(), m_cluster.caFile(), {}});
    QVERIFY(!halfPair);
    QVERIFY(halfPair.error().message.contains(QLatin1String("needs its key")));
    QVERIFY(api.tls().isEmpty()); // nothing changed
}

void tst_ConsoleTls::failsCleanlyWithoutTheCa()
{
    Api::ApiClient api; // the system's CAs only
    api.setEndpoint(m_cluster.url());
    const auto answer = waitFor<QList<Api::BucketInfo>>(
        [&](QObject *ctx, auto done) { api.listBuckets(ctx, done); });
    QVERIFY(answer.has_value());
    QVERIFY(!*answer);
    const QString message = answer->error().message;
    qInfo().noquote() << "without the CA:" << message;
    QVERIFY2(message.contains(QLatin1String("TLS handshake with 127.0.0.1")), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("CA file")), qPrintable(message));
    QCOMPARE(api.state(), Api::ApiClient::State::Unreachable);
    QCOMPARE(Api::errorKind(answer->error()), Api::ErrorKind::Unavailable);
}

void tst_ConsoleTls::logsInAndListsBucketsOverHttps()
{
    Api::ApiClient api;
    QVERIFY(api.setTls({m_cluster.caFile(), {}, {}}));
    const auto token = waitFor<QString>([&](QObject *ctx, auto done) {
        api.login(m_authn.url(), QStringLiteral("admin"), m_adminPass, ctx, done);
    });
    QVERIFY(token && *token);
    api.setEndpoint(m_cluster.url(), **token);
    const auto buckets = waitFor<QList<Api::BucketInfo>>(
        [&](QObject *ctx, auto done) { api.listBuckets(ctx, done); });
    QVERIFY(buckets.has_value());
    QVERIFY2(bool(*buckets), *buckets ? "" : qPrintable(buckets->error().message));
    QVERIFY(listed(**buckets, Bucket));
    QCOMPARE(api.state(), Api::ApiClient::State::Connected);
}

void tst_ConsoleTls::wrongPasswordAndNoTokenAre401()
{
    Api::ApiClient api;
    QVERIFY(api.setTls({m_cluster.caFile(), {}, {}}));
    const auto token = waitFor<QString>([&](QObject *ctx, auto done) {
        api.login(m_authn.url(), QStringLiteral("admin"), QStringLiteral("wrong"), ctx, done);
    });
    QVERIFY(token && !*token);
    QCOMPARE(Api::errorKind(token->error()), Api::ErrorKind::Unauthorized);
    QVERIFY(token->error().message.contains(QLatin1String("invalid credentials")));

    api.setEndpoint(m_cluster.url()); // no token
    const auto buckets = waitFor<QList<Api::BucketInfo>>(
        [&](QObject *ctx, auto done) { api.listBuckets(ctx, done); });
    QVERIFY(buckets && !*buckets);
    QCOMPARE(Api::errorKind(buckets->error()), Api::ErrorKind::Unauthorized);
}

void tst_ConsoleTls::windowLogsInAndShowsWho()
{
    Api::ApiClient api;
    MainWindow window(&api);
    window.session()->setPollInterval(300);
    window.connectWith(connection(m_adminPass));
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->isConnected(), CallTimeoutMs);
    QCOMPARE(window.identityLabel()->text(), QStringLiteral("Logged in: admin (admin)"));
    QCOMPARE(api.tls().caFile, m_cluster.caFile());
    QTRY_VERIFY_WITH_TIMEOUT(window.clusterView()->bucketsTable()->model()->rowCount() > 0,
                             CallTimeoutMs);
    QVERIFY(window.newEtlAction()->isEnabled());
    QVERIFY(window.accessBanner()->isHidden());
    // The targets are reached over https too (their /metrics; the nodes view shows it).
    const QAbstractItemModel *nodes = window.clusterView()->nodesTable()->model();
    QTRY_VERIFY_WITH_TIMEOUT(nodes->rowCount() > 1, CallTimeoutMs);
    for (int row = 0; row < nodes->rowCount(); ++row)
        QVERIFY(nodes->index(row, Console::ClusterModel::Url)
                    .data()
                    .toString()
                    .startsWith(QLatin1String("https://127.0.0.1:")));
    QVERIFY(window.banner()->isHidden());
}

void tst_ConsoleTls::windowShowsALoginFailure()
{
    Api::ApiClient api;
    MainWindow window(&api);
    window.connectWith(connection(QStringLiteral("wrong")));
    QTRY_VERIFY_WITH_TIMEOUT(window.banner()->isVisibleTo(&window), CallTimeoutMs);
    const QString text = window.banner()->text();
    QVERIFY2(text.contains(QLatin1String("Login as admin")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("invalid credentials")), qPrintable(text));
    QVERIFY(!window.session()->isConnected());
}

void tst_ConsoleTls::readOnlyUserSees403AndGreyedActions()
{
    const quint64 ro = (1ULL << 0) | (1ULL << 1) | (1ULL << 8) | (1ULL << 9);
    const quint64 clusterRo = (1ULL << 12) | (1ULL << 13);
    const QJsonObject claims{
        {"sub", "reader"},
        {"exp", QDateTime::currentSecsSinceEpoch() + 600},
        {"admin", false},
        {"clusters",
         QJsonArray{QJsonObject{{"id", ""}, {"perm", QString::number(ro | clusterRo)}}}}};
    Api::ApiClient api;
    QVERIFY(api.setTls({m_cluster.caFile(), {}, {}}));
    MainWindow window(&api);
    window.session()->setPollInterval(300);
    window.connectTo(m_cluster.url(), signedToken(claims, m_secret));
    QCOMPARE(window.identityLabel()->text(), QStringLiteral("Logged in: reader (read-only)"));
    // Listing ETLs needs an admin: the cluster's 403 and its AIS message show in the banner.
    QTRY_VERIFY_WITH_TIMEOUT(window.accessBanner()->isVisibleTo(&window), CallTimeoutMs);
    const QString text = window.accessBanner()->text();
    qInfo().noquote() << "read-only banner:" << text;
    QVERIFY2(text.contains(QLatin1String("403")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("insufficient permissions")), qPrintable(text));
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->isConnected(), CallTimeoutMs);
    // Buckets it may list still arrive; what it may not do is greyed out.
    QTRY_VERIFY_WITH_TIMEOUT(window.clusterView()->bucketsTable()->model()->rowCount() > 0,
                             CallTimeoutMs);
    QVERIFY(!window.newEtlAction()->isEnabled());
    QCOMPARE(window.newEtlAction()->toolTip(), QStringLiteral("Needs an admin: reader is not one"));
}

void tst_ConsoleTls::mutualTlsNeedsTheClientCertificate()
{
    KilnCluster mutual(1, {QStringLiteral("--tls-mutual")});
    const QString error = mutual.start();
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const auto list = [&mutual](const Api::TlsFiles &files) {
        Api::ApiClient api;
        api.setMaxRetries(0);
        if (auto set = api.setTls(files); !set)
            return std::optional<Result<QList<Api::BucketInfo>>>(set.error());
        api.setEndpoint(mutual.url());
        return waitFor<QList<Api::BucketInfo>>(
            [&](QObject *ctx, auto done) { api.listBuckets(ctx, done); });
    };
    const auto refused = list({mutual.caFile(), {}, {}});
    QVERIFY(refused && !*refused);
    const QString message = refused->error().message;
    qInfo().noquote() << "mutual TLS without a client certificate:" << message;
    QVERIFY2(message.contains(QLatin1String("client certificate")), qPrintable(message));

    const auto served = list({mutual.caFile(), mutual.clientCertFile(), mutual.clientKeyFile()});
    QVERIFY(served.has_value());
    QVERIFY2(bool(*served), *served ? "" : qPrintable(served->error().message));
}

QTEST_MAIN(tst_ConsoleTls)
#include "tst_consoletls.moc"
