#include "fakeapiserver.h"
#include "service/kube/kubeclient.h"
#include "service/kube/kubewatch.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QJsonDocument>

#include <optional>
#include <utility>

namespace Kiln::Kube {
namespace {

using Test::FakeApiServer;
using Kiln::Test::waitUntil;
using Reply = FakeApiServer::Reply;

constexpr char PodPath[] = "/api/v1/namespaces/kiln/pods/echo-t1";
constexpr char PodsPath[] = "/api/v1/namespaces/kiln/pods";

QByteArray event(const char *type, const QByteArray &object)
{
    return "{\"type\":\"" + QByteArray(type)
        + "\",\"object\":" + QJsonDocument::fromJson(object).toJson(QJsonDocument::Compact) + '}';
}

class KubeClientTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_server.listen());
        KubeConfig config;
        config.server = QUrl(m_server.url());
        config.nameSpace = QStringLiteral("kiln");
        config.token = "t0ken";
        auto client = KubeClient::create(config, &m_context);
        ASSERT_TRUE(client);
        m_client = *client;
    }

    Result<QJsonObject> getPod()
    {
        std::optional<Result<QJsonObject>> result;
        m_client->getPod("echo-t1", &m_context, [&](Result<QJsonObject> r) { result = r; });
        EXPECT_TRUE(waitUntil([&] { return result.has_value(); }));
        return result.value_or(Result<QJsonObject>(makeError(ErrorCode::Internal, "no answer")));
    }

    QObject m_context;
    FakeApiServer m_server;
    KubeClient *m_client = nullptr;
};

TEST_F(KubeClientTest, CreatesAPodWithTheBearerToken)
{
    m_server.setHandler([](const auto &) {
        return Reply{201, FakeApiServer::fixture("pod-created.json")};
    });
    std::optional<Result<QJsonObject>> created;
    m_client->createPod(QJsonObject{{"metadata", QJsonObject{{"name", "echo-t1"}}}}, &m_context,
                        [&](Result<QJsonObject> r) { created = r; });
    ASSERT_TRUE(waitUntil([&] { return created.has_value(); }));
    ASSERT_TRUE(*created) << created->error().message.toStdString();
    EXPECT_EQ(std::as_const(**created)["metadata"]["resourceVersion"].toString(), "185");
    ASSERT_EQ(m_server.requests().size(), 1);
    const auto &req = m_server.requests().first();
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.path, PodsPath);
    EXPECT_EQ(req.headers.value("authorization"), "Bearer t0ken");
    EXPECT_EQ(req.headers.value("content-type"), "application/json");
    EXPECT_EQ(QJsonDocument::fromJson(req.body)["metadata"]["name"].toString(), "echo-t1");
}

TEST_F(KubeClientTest, ForbiddenNamesTheMissingVerbAndResource)
{
    m_server.setHandler([](const auto &) {
        return Reply{403, FakeApiServer::fixture("status-403-create-pods.json")};
    });
    std::optional<Result<QJsonObject>> created;
    m_client->createPod(QJsonObject{{"metadata", QJsonObject{{"name", "echo-t1"}}}}, &m_context,
                        [&](Result<QJsonObject> r) { created = r; });
    ASSERT_TRUE(waitUntil([&] { return created.has_value(); }));
    ASSERT_FALSE(*created);
    const QString m = created->error().message;
    EXPECT_TRUE(m.contains("needs verb \"create\" on resource \"pods\" in namespace \"kiln\""))
        << m.toStdString();
    EXPECT_TRUE(m.contains("system:serviceaccount:kiln:kiln-target")) << m.toStdString();
}

TEST_F(KubeClientTest, StatusCodesBecomeKilnErrors)
{
    struct Case
    {
        int status;
        const char *fixture;
        ErrorCode code;
        const char *says;
    };
    const Case cases[] = {
        {401, "status-401.json", ErrorCode::Unavailable, "credentials"},
        {404, "status-404-pod.json", ErrorCode::NotFound, "pods \"echo-t1\" not found"},
        {409, "status-409-pod.json", ErrorCode::AlreadyExists, "already exists"},
        {410, "status-410-expired.json", ErrorCode::Conflict, "too old resource version"},
    };
    for (const Case &c : cases) {
        m_server.setHandler([&](const auto &) {
            return Reply{c.status, FakeApiServer::fixture(c.fixture)};
        });
        const auto pod = getPod();
        ASSERT_FALSE(pod) << c.status;
        EXPECT_EQ(pod.error().code, c.code) << c.status;
        EXPECT_TRUE(pod.error().message.contains(c.says)) << pod.error().message.toStdString();
        EXPECT_TRUE(pod.error().message.contains("get pods echo-t1 in namespace kiln"))
            << pod.error().message.toStdString();
    }
}

TEST_F(KubeClientTest, DroppedConnectionIsUnavailable)
{
    m_server.setHandler([](const auto &) { return Reply{.drop = true}; });
    const auto pod = getPod();
    ASSERT_FALSE(pod);
    EXPECT_EQ(pod.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(pod.error().message.contains("unreachable")) << pod.error().message.toStdString();
}

TEST_F(KubeClientTest, DeleteIsImmediateLogsAreTailedMetricsComeFromMetricsApi)
{
    m_server.setHandler([](const FakeApiServer::Request &r) {
        if (r.path.endsWith("/log"))
            return Reply{200, FakeApiServer::fixture("pod-logs.txt")};
        if (r.path.startsWith("/apis/metrics.k8s.io"))
            return Reply{200, FakeApiServer::fixture("pod-metrics.json")};
        return Reply{200, FakeApiServer::fixture("pod-deleting.json")};
    });
    int answers = 0;
    m_client->deletePod("echo-t1", &m_context, [&](Result<QJsonObject> r) { answers += bool(r); });
    QByteArray logs;
    m_client->podLogs("echo-t1", "echo", 50, &m_context, [&](Result<QByteArray> r) {
        answers += bool(r);
        logs = r ? *r : QByteArray();
    });
    m_client->podMetrics("echo-t1", &m_context, [&](Result<QJsonObject> r) { answers += bool(r); });
    ASSERT_TRUE(waitUntil([&] { return answers == 3; }));
    EXPECT_TRUE(logs.contains("Uvicorn running"));
    const auto del = m_server.requestsTo("DELETE", PodPath);
    ASSERT_EQ(del.size(), 1);
    EXPECT_EQ(del.first().query.queryItemValue("gracePeriodSeconds"), "0");
    const auto log = m_server.requestsTo("GET", QString(PodPath) + "/log");
    ASSERT_EQ(log.size(), 1);
    EXPECT_EQ(log.first().query.queryItemValue("container"), "echo");
    EXPECT_EQ(log.first().query.queryItemValue("tailLines"), "50");
    EXPECT_EQ(
        m_server.requestsTo("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/kiln/pods/echo-t1")
            .size(),
        1);
}

TEST_F(KubeClientTest, ContextGoneMeansNoCallback)
{
    m_server.setHandler([](const auto &) {
        return Reply{200, FakeApiServer::fixture("pod-created.json")};
    });
    bool called = false;
    {
        QObject shortLived;
        m_client->getPod("echo-t1", &shortLived, [&](Result<QJsonObject>) { called = true; });
    }
    waitUntil([&] { return !m_server.requests().isEmpty(); }, 1000);
    waitUntil([] { return false; }, 200);
    EXPECT_FALSE(called);
}

TEST(KubeClientTlsTest, TrustsOnlyTheClusterCa)
{
    FakeApiServer server;
    ASSERT_TRUE(server.listenTls());
    server.setHandler([](const auto &) {
        return Reply{200, FakeApiServer::fixture("pod-created.json")};
    });
    QObject context;
    auto get = [&](const QByteArray &ca) {
        KubeConfig config;
        config.server = QUrl(server.url());
        config.nameSpace = QStringLiteral("kiln");
        config.caPem = ca;
        auto client = KubeClient::create(config, &context);
        EXPECT_TRUE(client);
        std::optional<Result<QJsonObject>> result;
        (*client)->getPod("echo-t1", &context, [&](Result<QJsonObject> r) { result = r; });
        EXPECT_TRUE(waitUntil([&] { return result.has_value(); }));
        return result.value_or(Result<QJsonObject>(makeError(ErrorCode::Internal, "no answer")));
    };
    const auto trusted = get(FakeApiServer::fixture("server-ca.crt"));
    ASSERT_TRUE(trusted) << trusted.error().message.toStdString();
    EXPECT_EQ(trusted->value("kind").toString(), "Pod");
    // Another CA (the system's are not consulted once a cluster CA is given) is refused.
    const auto untrusted = get(FakeApiServer::fixture("ca.crt"));
    ASSERT_FALSE(untrusted);
    EXPECT_EQ(untrusted.error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(untrusted.error().message.contains("is the cluster CA right?"))
        << untrusted.error().message.toStdString();
}

class KubeWatchTest : public KubeClientTest
{
protected:
    void SetUp() override
    {
        KubeClientTest::SetUp();
        m_server.setHandler([this](const FakeApiServer::Request &r) {
            if (r.query.queryItemValue("watch") != "true")
                return Reply{404, FakeApiServer::fixture("status-404-pod.json")};
            m_watchVersions.append(r.query.queryItemValue("resourceVersion"));
            if (!m_watchReplies.isEmpty())
                return m_watchReplies.takeFirst();
            return Reply{200, {}, true};
        });
    }

    KubeWatch *watch()
    {
        KubeWatch *w = m_client->watchPod("echo-t1", "1001", &m_context);
        QObject::connect(
            w, &KubeWatch::event, &m_context, [this](const QString &type, const QJsonObject &o) {
                m_events.append(type + ' ' + o["metadata"]["resourceVersion"].toString());
            });
        QObject::connect(w, &KubeWatch::expired, &m_context, [this] { ++m_expired; });
        QObject::connect(w, &KubeWatch::failed, &m_context,
                         [this](const Error &e) { m_failures.append(e.message); });
        return w;
    }

    QStringList m_watchVersions;
    QList<Reply> m_watchReplies;
    QStringList m_events;
    QStringList m_failures;
    int m_expired = 0;
};

TEST_F(KubeWatchTest, DeliversEventsOfTheNamedPod)
{
    watch();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    const auto req = m_server.requests().first();
    EXPECT_EQ(req.path, PodsPath);
    EXPECT_EQ(req.query.queryItemValue("fieldSelector", QUrl::FullyDecoded),
              "metadata.name=echo-t1");
    EXPECT_EQ(req.query.queryItemValue("resourceVersion"), "1001");
    EXPECT_EQ(req.query.queryItemValue("allowWatchBookmarks"), "true");
    m_server.pushEvent(event("MODIFIED", FakeApiServer::fixture("pod-running-unready.json")));
    m_server.pushEvent(
        R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1003x"}}})");
    m_server.pushEvent(event("MODIFIED", FakeApiServer::fixture("pod-running-ready.json")));
    ASSERT_TRUE(waitUntil([&] { return m_events.size() == 2; }));
    EXPECT_EQ(m_events, (QStringList{"MODIFIED 1003", "MODIFIED 1004"}));
}

TEST_F(KubeWatchTest, ResumesFromTheLastVersionAfterADrop)
{
    KubeWatch *w = watch();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", FakeApiServer::fixture("pod-running-unready.json")));
    ASSERT_TRUE(waitUntil([&] { return m_events.size() == 1; }));
    m_server.dropStreams();
    ASSERT_TRUE(
        waitUntil([&] { return m_watchVersions.size() == 2 && m_server.openStreams() == 1; }));
    EXPECT_EQ(m_watchVersions.last(), "1003");
    // A clean end (the server's timeoutSeconds) resumes the same way.
    m_server.pushEvent(event("MODIFIED", FakeApiServer::fixture("pod-running-ready.json")));
    ASSERT_TRUE(waitUntil([&] { return m_events.size() == 2; }));
    m_server.endStreams();
    ASSERT_TRUE(waitUntil([&] { return m_watchVersions.size() == 3; }));
    EXPECT_EQ(m_watchVersions.last(), "1004");
    EXPECT_GE(w->reconnects(), 2);
    EXPECT_TRUE(m_failures.isEmpty());
}

TEST_F(KubeWatchTest, ExpiredVersionInTheStreamAsksForARelist)
{
    watch();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent("{\"type\":\"ERROR\",\"object\":"
                       + QJsonDocument::fromJson(FakeApiServer::fixture("status-410-expired.json"))
                             .toJson(QJsonDocument::Compact)
                       + "}");
    ASSERT_TRUE(waitUntil([&] { return m_expired == 1; }));
    waitUntil([] { return false; }, 300);
    EXPECT_EQ(m_watchVersions.size(), 1); // no blind reconnect with the stale version
}

TEST_F(KubeWatchTest, GoneAnswerAsksForARelistAndForbiddenFails)
{
    m_watchReplies = {Reply{410, FakeApiServer::fixture("status-410-expired.json")}};
    KubeWatch *w = watch();
    ASSERT_TRUE(waitUntil([&] { return m_expired == 1; }));
    m_watchReplies
        = {Reply{403, FakeApiServer::status(403, "Forbidden", "pods is forbidden: cannot watch")}};
    w->start("1200");
    ASSERT_TRUE(waitUntil([&] { return m_failures.size() == 1; }));
    EXPECT_TRUE(m_failures.first().contains("verb \"watch\" on resource \"pods\""))
        << m_failures.first().toStdString();
    EXPECT_EQ(m_watchVersions.last(), "1200");
}

} // namespace
} // namespace Kiln::Kube
