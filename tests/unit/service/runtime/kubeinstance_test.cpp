#include "../kube/fakeapiserver.h"
#include "service/kube/kubeclient.h"
#include "service/kube/podbuilder.h"
#include "service/runtime/kubeinstance.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QJsonDocument>

namespace Kiln::Runtime {
namespace {

using Kube::Test::FakeApiServer;
using Kiln::Test::waitUntil;
using Reply = FakeApiServer::Reply;
using namespace std::chrono_literals;

constexpr char PodPath[] = "/api/v1/namespaces/kiln/pods/echo-t1";

QByteArray event(const char *type, const char *fixture)
{
    return "{\"type\":\"" + QByteArray(type) + "\",\"object\":"
        + QJsonDocument::fromJson(FakeApiServer::fixture(fixture)).toJson(QJsonDocument::Compact)
        + '}';
}

// The API server's side of one pod: POST creates it (409 while it exists), GET reads it,
// DELETE removes it and tells the watchers, ?watch=true streams.
class KubeInstanceTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_server.listen());
        m_server.setHandler([this](const FakeApiServer::Request &r) { return handle(r); });
        Kube::KubeConfig config;
        config.server = QUrl(m_server.url());
        config.nameSpace = QStringLiteral("kiln");
        auto client = Kube::KubeClient::create(config, &m_context);
        ASSERT_TRUE(client);
        m_client = *client;
    }

    Reply handle(const FakeApiServer::Request &r)
    {
        if (r.query.queryItemValue("watch") == "true") {
            m_watchVersions.append(r.query.queryItemValue("resourceVersion"));
            if (m_expireNextWatch) {
                m_expireNextWatch = false;
                return Reply{410, FakeApiServer::fixture("status-410-expired.json")};
            }
            return Reply{200, {}, true};
        }
        if (r.method == "POST") {
            if (!m_forbidden.isEmpty())
                return Reply{403, FakeApiServer::fixture(m_forbidden)};
            if (m_exists)
                return Reply{409, FakeApiServer::fixture("status-409-pod.json")};
            m_exists = true;
            if (m_current.isEmpty())
                m_current = "pod-created.json";
            return Reply{201, FakeApiServer::fixture("pod-created.json")};
        }
        if (r.method == "DELETE") {
            if (!m_exists)
                return Reply{404, FakeApiServer::fixture("status-404-pod.json")};
            m_exists = false;
            m_server.pushEvent(event("DELETED", "pod-deleting.json"));
            return Reply{200, FakeApiServer::fixture("pod-deleting.json")};
        }
        if (r.path.endsWith("/log"))
            return Reply{200, FakeApiServer::fixture("pod-logs.txt")};
        if (r.path.startsWith("/apis/metrics.k8s.io"))
            return Reply{200, FakeApiServer::fixture("pod-metrics.json")};
        if (!m_exists)
            return Reply{404, FakeApiServer::fixture("status-404-pod.json")};
        return Reply{200, FakeApiServer::fixture(m_current)};
    }

    KubeInstance *makeInstance(std::chrono::milliseconds initTimeout = 10s)
    {
        auto msg = Etl::InitMsg::fromJson(
            R"({"name":"echo-etl","runtime":{"image":"aistorage/transformer_echo:latest"},
                "resources":{"limits":{"cpu":"500m","memory":"256Mi"}}})");
        EXPECT_TRUE(msg);
        msg->initTimeout = initTimeout;
        InstanceSpec spec{
            *msg, QStringLiteral("t1"), QStringLiteral("http://t1/v1/etl/_object/echo/s"), {}};
        auto pod = Kube::PodBuilder::build({spec.msg, spec.targetId, spec.aisTargetUrl, "node-1"});
        EXPECT_TRUE(pod);
        QJsonObject meta = pod->value("metadata").toObject();
        EXPECT_EQ(meta.value("name").toString(), "echo-etl-t1");
        // The recorded objects are of pod echo-t1.
        meta["name"] = "echo-t1";
        pod->insert("metadata", meta);
        auto *instance = new KubeInstance(spec, *pod, m_client, &m_context);
        QObject::connect(instance, &Instance::ready, &m_context, [this] { ++m_ready; });
        QObject::connect(instance, &Instance::failed, &m_context,
                         [this](const Error &e) { m_failed.append(e); });
        QObject::connect(instance, &Instance::exited, &m_context,
                         [this](const Error &e) { m_exited.append(e); });
        QObject::connect(instance, &Instance::stopped, &m_context, [this] { ++m_stopped; });
        return instance;
    }

    int podGets() const { return m_server.requestsTo("GET", PodPath).size(); }

    QObject m_context;
    FakeApiServer m_server;
    Kube::KubeClient *m_client = nullptr;
    bool m_exists = false;
    bool m_expireNextWatch = false;
    QString m_current;
    QString m_forbidden;
    QStringList m_watchVersions;
    int m_ready = 0;
    int m_stopped = 0;
    QList<Error> m_failed;
    QList<Error> m_exited;
};

TEST_F(KubeInstanceTest, BecomesReadyByWatchNotByPolling)
{
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    EXPECT_EQ(m_watchVersions, QStringList{"185"}); // from the created object's version
    EXPECT_EQ(instance->phase(), "Pending");
    m_server.pushEvent(event("MODIFIED", "pod-running-unready.json"));
    waitUntil([] { return false; }, 100);
    EXPECT_EQ(m_ready, 0);
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    EXPECT_EQ(instance->endpoint().toString(), "http://10.244.1.7:8000");
    EXPECT_EQ(instance->phase(), "Running");
    EXPECT_EQ(podGets(), 0);
    EXPECT_TRUE(m_failed.isEmpty());
}

TEST_F(KubeInstanceTest, ImagePullBackOffFailsAtOnce)
{
    KubeInstance *instance = makeInstance(60s);
    QElapsedTimer clock;
    clock.start();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-containercreating.json"));
    m_server.pushEvent(event("MODIFIED", "pod-imagepullbackoff.json"));
    ASSERT_TRUE(waitUntil([&] { return m_failed.size() == 1; }));
    EXPECT_LT(clock.elapsed(), 5000);
    const QString m = m_failed.first().message;
    EXPECT_TRUE(m.contains("ETL echo-etl on target t1 (pod echo-t1)")) << m.toStdString();
    EXPECT_TRUE(m.contains("ImagePullBackOff")) << m.toStdString();
    // The broken pod is removed right away.
    ASSERT_TRUE(waitUntil([&] { return !m_exists; }));
    EXPECT_EQ(m_ready, 0);
}

TEST_F(KubeInstanceTest, CrashLoopBackOffFailsWithTheLastExit)
{
    KubeInstance *instance = makeInstance(60s);
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-crashloopbackoff.json"));
    ASSERT_TRUE(waitUntil([&] { return m_failed.size() == 1; }));
    EXPECT_TRUE(m_failed.first().message.contains("No module named 'fastapi'"));
}

TEST_F(KubeInstanceTest, TimeoutSaysWhatThePodWaitsFor)
{
    KubeInstance *instance = makeInstance(400ms);
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-containercreating.json"));
    ASSERT_TRUE(waitUntil([&] { return m_failed.size() == 1; }));
    // AIS answers an init timeout as an ETL error with no code of its own: 400.
    EXPECT_EQ(m_failed.first().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(m_failed.first().message.contains("did not become ready within"));
    EXPECT_TRUE(m_failed.first().message.contains("ContainerCreating"))
        << m_failed.first().message.toStdString();
}

TEST_F(KubeInstanceTest, StopDeletesWithGraceZeroAndWaitsUntilGone)
{
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    instance->stop();
    ASSERT_TRUE(waitUntil([&] { return m_stopped == 1; }));
    const auto deletes = m_server.requestsTo("DELETE", PodPath);
    ASSERT_EQ(deletes.size(), 1);
    EXPECT_EQ(deletes.first().query.queryItemValue("gracePeriodSeconds"), "0");
    EXPECT_FALSE(m_exists);
    EXPECT_TRUE(m_exited.isEmpty()); // a stop is not a crash
    instance->stop();
    ASSERT_TRUE(waitUntil([&] { return m_stopped == 2; }));
}

TEST_F(KubeInstanceTest, ALeftoverPodIsReplaced)
{
    m_exists = true;
    m_current = "pod-running-ready.json";
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] {
        return m_server.openStreams() >= 1
            && m_server.requestsTo("POST", "/api/v1/namespaces/kiln/pods").size() == 2;
    }));
    EXPECT_EQ(m_server.requestsTo("DELETE", PodPath).size(), 1);
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
}

TEST_F(KubeInstanceTest, ExpiredWatchReadsThePodAgain)
{
    m_expireNextWatch = true;
    KubeInstance *instance = makeInstance();
    m_current = "pod-running-unready.json";
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    EXPECT_EQ(podGets(), 1);
    EXPECT_EQ(m_watchVersions, (QStringList{"185", "1003"}));
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
}

TEST_F(KubeInstanceTest, ForbiddenCreateFailsWithTheRbacRule)
{
    m_forbidden = "status-403-create-pods.json";
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_failed.size() == 1; }));
    EXPECT_TRUE(m_failed.first().message.contains("verb \"create\" on resource \"pods\""));
}

TEST_F(KubeInstanceTest, DeletedWhileReadyIsAnExit)
{
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    m_server.pushEvent(event("DELETED", "pod-deleting.json"));
    ASSERT_TRUE(waitUntil([&] { return m_exited.size() == 1; }));
    EXPECT_TRUE(m_exited.first().message.contains("deleted"));
    EXPECT_EQ(instance->phase(), "Succeeded");
}

TEST_F(KubeInstanceTest, MissingMetricsApiIsUnavailableNotNotFound)
{
    m_server.setHandler([this](const FakeApiServer::Request &r) {
        if (r.path.startsWith("/apis/metrics.k8s.io"))
            return Reply{404, "404 page not found\n"};
        return handle(r);
    });
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    std::optional<Result<Usage>> usage;
    instance->fetchUsage(&m_context, [&](Result<Usage> r) { usage = r; });
    ASSERT_TRUE(waitUntil([&] { return usage.has_value(); }));
    ASSERT_FALSE(*usage);
    EXPECT_EQ(usage->error().code, ErrorCode::Unavailable);
    EXPECT_TRUE(usage->error().message.contains("metrics-server"));
}

TEST_F(KubeInstanceTest, FollowsAStreamRecordedFromKubeApiserver)
{
    // Bound, Running/Ready, then deleted by someone else (grace 0: deletionTimestamp, DELETED).
    const QList<QByteArray> recorded
        = FakeApiServer::fixture("watch-ready-then-deleted.jsonl").trimmed().split('\n');
    ASSERT_EQ(recorded.size(), 4);
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(recorded.at(0));
    m_server.pushEvent(recorded.at(1));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    EXPECT_EQ(instance->endpoint().toString(), "http://10.244.1.7:8000");
    m_server.pushEvent(recorded.at(2));
    ASSERT_TRUE(waitUntil([&] { return m_exited.size() == 1; }));
    EXPECT_TRUE(m_exited.first().message.contains("being deleted"));
    m_server.pushEvent(recorded.at(3));
    waitUntil([] { return false; }, 100);
    EXPECT_EQ(m_exited.size(), 1);
}

TEST_F(KubeInstanceTest, LogsAndUsageComeFromTheApi)
{
    KubeInstance *instance = makeInstance();
    instance->start();
    ASSERT_TRUE(waitUntil([&] { return m_server.openStreams() == 1; }));
    m_server.pushEvent(event("MODIFIED", "pod-running-ready.json"));
    ASSERT_TRUE(waitUntil([&] { return m_ready == 1; }));
    std::optional<Result<QByteArray>> logs;
    std::optional<Result<Usage>> usage;
    instance->fetchLogs(&m_context, [&](Result<QByteArray> r) { logs = r; });
    instance->fetchUsage(&m_context, [&](Result<Usage> r) { usage = r; });
    ASSERT_TRUE(waitUntil([&] { return logs && usage; }));
    ASSERT_TRUE(*logs);
    EXPECT_TRUE((*logs)->contains("Application startup complete"));
    ASSERT_TRUE(*usage);
    EXPECT_NEAR((*usage)->cpuCores, 0.0025, 1e-4);
    EXPECT_EQ((*usage)->memBytes, 43328 * 1024);
    EXPECT_DOUBLE_EQ((*usage)->cpuLimit, 0.5);
    EXPECT_EQ((*usage)->memLimit, 256 * 1024 * 1024);
    EXPECT_EQ(instance->logs(), **logs);
    const auto logReq = m_server.requestsTo("GET", QString(PodPath) + "/log");
    ASSERT_EQ(logReq.size(), 1);
    EXPECT_EQ(logReq.first().query.queryItemValue("container"), "echo-etl");
}

} // namespace
} // namespace Kiln::Runtime
