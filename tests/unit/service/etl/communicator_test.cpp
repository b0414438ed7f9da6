#include "fakeetl.h"
#include "service/etl/communicator.h"
#include "service/etl/etlmanager.h"
#include "service/etl/pipeline.h"
#include "service/http/bodysource.h"
#include "service/http/errors.h"
#include "shared/cluster/hrw.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QProcessEnvironment>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QWebSocket>

#include <optional>

namespace Kiln::Etl::Tests {
namespace {

using namespace std::chrono_literals;
using Kiln::Test::waitUntil;

// What came back for one object: the whole body, or why it failed.
struct Outcome
{
    std::optional<Error> error; // done's error
    QByteArray body;
    QString streamError; // the body failed part-way
};

class CommunicatorTest : public testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_dir.isValid());
        m_comm.pipeline()->setSpoolDir(m_dir.path());
        m_object = m_dir.filePath("object");
        QFile file(m_object);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(Input);
    }

    void startEtl(const QString &name, CommType comm, const QUrl &endpoint,
                  std::chrono::milliseconds objTimeout = 10s)
    {
        m_runtime.setEndpoint(endpoint);
        EtlRecord record;
        record.msg.name = name;
        record.msg.comm = comm;
        record.msg.objTimeout = objTimeout;
        record.xid = "xid-" + name;
        bool started = false;
        m_manager.begin(record, &m_context, [&started](Result<void> r) {
            EXPECT_TRUE(r.hasValue());
            started = true;
        });
        ASSERT_TRUE(waitUntil([&] { return started; }));
        ASSERT_TRUE(m_manager.commit(name, record.xid).hasValue());
    }

    TransformJob job(const QString &etl) const
    {
        TransformJob job;
        job.etlName = etl;
        job.bucket = "b";
        job.object = "dir/o";
        job.fqn = m_object;
        job.size = Input.size();
        return job;
    }

    Outcome run(const TransformJob &job, int timeoutMs = 10000)
    {
        std::optional<Communicator::Output> output;
        m_comm.transform(job, &m_context,
                         [&output](Communicator::Output out) { output.emplace(std::move(out)); });
        EXPECT_TRUE(waitUntil([&] { return output.has_value(); }, timeoutMs));
        Outcome outcome;
        if (!output)
            return outcome;
        if (!*output) {
            outcome.error = output->error();
            return outcome;
        }
        std::unique_ptr<Http::BodySource> body = std::move(*output).value();
        EXPECT_TRUE(waitUntil(
            [&] {
                outcome.body += body->read(1 << 20);
                return body->atEnd();
            },
            timeoutMs));
        outcome.streamError = body->errorString();
        return outcome;
    }

    static inline const QByteArray Input = "hello";
    QTemporaryDir m_dir;
    QObject m_context;
    FakeRuntime m_runtime;
    EtlManager m_manager{&m_runtime, m_dir.path(), "t1"};
    Communicator m_comm{&m_manager};
    QString m_object;
};

void upper(QTcpSocket *socket, const SeenRequest &request)
{
    FakeEtlServer::reply(socket, 200, request.body.toUpper());
}

TEST_F(CommunicatorTest, HpushPutsTheObjectAndStreamsTheAnswer)
{
    FakeEtlServer server(upper);
    startEtl("up", CommType::Hpush, server.url());
    const Outcome outcome = run(job("up"));
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper());
    EXPECT_TRUE(outcome.streamError.isEmpty());
    ASSERT_EQ(server.requests().size(), 1);
    EXPECT_EQ(server.requests()[0].method, "PUT");
    EXPECT_EQ(server.requests()[0].target, "/b/dir/o");
    EXPECT_EQ(m_manager.find("up")->objCount, 1);
    EXPECT_EQ(m_manager.find("up")->outBytes, Input.size());
}

TEST_F(CommunicatorTest, HrevLetsTheServerGetTheObjectByItsUname)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &) {
        FakeEtlServer::reply(socket, 200, "fetched");
    });
    startEtl("rev", CommType::Hrev, server.url());
    const Outcome outcome = run(job("rev"));
    ASSERT_FALSE(outcome.error.has_value());
    EXPECT_EQ(outcome.body, "fetched");
    ASSERT_EQ(server.requests().size(), 1);
    EXPECT_EQ(server.requests()[0].method, "GET");
    const QByteArray uname
        = QUrl::toPercentEncoding(QString::fromUtf8(Cluster::objectUname("b", "dir/o")), "@");
    EXPECT_EQ(server.requests()[0].target, "/" + uname);
}

TEST_F(CommunicatorTest, TheServersErrorStatusIsPassedOn)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &) {
        FakeEtlServer::reply(socket, 422, "no such thing\n");
    });
    startEtl("picky", CommType::Hpush, server.url());
    const Outcome outcome = run(job("picky"));
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->code, ErrorCode::EtlStatus);
    EXPECT_EQ(Http::statusFor(*outcome.error), 422);
    EXPECT_EQ(outcome.error->message, "ETL error: no such thing");
    const EtlEntry *entry = m_manager.find("picky");
    ASSERT_EQ(entry->objErrors.size(), 1);
    EXPECT_EQ(entry->objErrors[0].code, 422);
}

TEST_F(CommunicatorTest, NoAnswerWithinObjTimeoutIsA400)
{
    FakeEtlServer server([](QTcpSocket *, const SeenRequest &) {}); // never answers
    startEtl("slow", CommType::Hpush, server.url(), 300ms);
    const Outcome outcome = run(job("slow"));
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->code, ErrorCode::EtlTimeout);
    EXPECT_EQ(Http::statusFor(*outcome.error), 400);
    EXPECT_TRUE(outcome.error->message.contains("obj_timeout"))
        << outcome.error->message.toStdString();
}

TEST_F(CommunicatorTest, AServerDyingMidStreamNeverPassesForAShorterObject)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &) {
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npart");
        socket->flush();
        socket->disconnectFromHost();
    });
    startEtl("dies", CommType::Hpush, server.url());
    const Outcome outcome = run(job("dies"));
    ASSERT_FALSE(outcome.error.has_value());
    EXPECT_FALSE(outcome.streamError.isEmpty());
    EXPECT_EQ(m_manager.find("dies")->objCount, 0);
}

TEST_F(CommunicatorTest, ADirectPutTransient503IsTriedAgain)
{
    int answers = 0;
    FakeEtlServer server([&answers](QTcpSocket *socket, const SeenRequest &request) {
        if (answers++ == 0)
            FakeEtlServer::reply(socket, 503, "busy",
                                 "Ais-Etl-Retry-Reason: direct-put-transient\r\n");
        else
            upper(socket, request);
    });
    startEtl("flaky", CommType::Hpush, server.url());
    const Outcome outcome = run(job("flaky"));
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper());
    EXPECT_EQ(server.requests().size(), 2);
    EXPECT_EQ(server.requests()[1].body, Input);
}

TEST_F(CommunicatorTest, APipelineFeedsEachStageTheOneBefore)
{
    FakeEtlServer first(upper);
    FakeEtlServer second([](QTcpSocket *socket, const SeenRequest &request) {
        FakeEtlServer::reply(socket, 200, request.body + "-second");
    });
    startEtl("first", CommType::Hpush, first.url());
    startEtl("second", CommType::Hrev, second.url());
    TransformJob chained = job("first");
    chained.pipeline = QStringList{"second"};
    const Outcome outcome = run(chained);
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper() + "-second");
    ASSERT_EQ(second.requests().size(), 1);
    EXPECT_EQ(second.requests()[0].method, "PUT"); // hrev after the first stage: pushed
}

TEST_F(CommunicatorTest, HpullSendsTheClientToTheServerAndGetsWhatTheTargetTransforms)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &) {
        FakeEtlServer::reply(socket, 200, "pulled");
    });
    startEtl("pull", CommType::Hpull, server.url());
    const QByteArray uname
        = QUrl::toPercentEncoding(QString::fromUtf8(Cluster::objectUname("b", "dir/o")), "@");
    // An inline client is redirected to the server, at the object's uname.
    const QUrl redirect = m_comm.pullUrl(job("pull"));
    EXPECT_EQ(redirect.toString(QUrl::FullyEncoded).toUtf8(),
              server.url().toString().toUtf8() + "/" + uname);
    // What the target transforms itself (an offline job) the server GETs by the same name.
    const Outcome outcome = run(job("pull"));
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, "pulled");
    ASSERT_EQ(server.requests().size(), 1);
    EXPECT_EQ(server.requests()[0].method, "GET");
    EXPECT_EQ(server.requests()[0].target, "/" + uname);
    EXPECT_EQ(m_manager.find("pull")->objCount, 1);
}

TEST_F(CommunicatorTest, HpullPutsABodyItCannotFetch)
{
    FakeEtlServer server(upper);
    startEtl("pull-put", CommType::Hpull, server.url());
    TransformJob pushed = job("pull-put");
    pushed.pushBody = true; // a pipeline stage's input: the server could not GET it
    const Outcome outcome = run(pushed);
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper());
    ASSERT_EQ(server.requests().size(), 1);
    EXPECT_EQ(server.requests()[0].method, "PUT");
    EXPECT_EQ(server.requests()[0].body, Input);
}

// A seed-era server (python's http.server with do_POST only) answers a PUT 501 or 405.
TEST_F(CommunicatorTest, APutRefusedWith405IsAskedAgainWithPostAndPostStays)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &request) {
        if (request.method == "PUT")
            return FakeEtlServer::reply(socket, 405, "Unsupported method ('PUT')");
        upper(socket, request);
    });
    startEtl("post-only", CommType::Hpush, server.url());
    const Outcome first = run(job("post-only"));
    ASSERT_FALSE(first.error.has_value()) << first.error->message.toStdString();
    EXPECT_EQ(first.body, Input.toUpper());
    const Outcome second = run(job("post-only"));
    ASSERT_FALSE(second.error.has_value()) << second.error->message.toStdString();
    EXPECT_EQ(second.body, Input.toUpper());
    QList<QByteArray> methods;
    for (const SeenRequest &r : server.requests())
        methods.append(r.method);
    EXPECT_EQ(methods, (QList<QByteArray>{"PUT", "POST", "POST"}));
    EXPECT_EQ(server.requests()[1].body, Input);
    EXPECT_EQ(m_manager.find("post-only")->objCount, 2);
}

TEST_F(CommunicatorTest, AServerThatHangsUpOnPutIsAskedAgainWithPost)
{
    FakeEtlServer server([](QTcpSocket *socket, const SeenRequest &request) {
        if (request.method == "PUT")
            return socket->disconnectFromHost(); // no answer at all
        upper(socket, request);
    });
    startEtl("hangs-up", CommType::Hpush, server.url());
    const Outcome outcome = run(job("hangs-up"));
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper());
    ASSERT_GE(server.requests().size(), 2);
    EXPECT_EQ(server.requests().first().method, "PUT");
    EXPECT_EQ(server.requests().last().method, "POST");
}

TEST_F(CommunicatorTest, AServerThatAnsweredPutIsNeverAskedWithPost)
{
    int puts = 0;
    FakeEtlServer server([&puts](QTcpSocket *socket, const SeenRequest &request) {
        if (request.method == "PUT" && ++puts > 1)
            return socket->disconnectFromHost();
        upper(socket, request);
    });
    startEtl("put-works", CommType::Hpush, server.url());
    const Outcome first = run(job("put-works"));
    ASSERT_FALSE(first.error.has_value()) << first.error->message.toStdString();
    const Outcome second = run(job("put-works"));
    ASSERT_TRUE(second.error.has_value());
    EXPECT_EQ(second.error->code, ErrorCode::EtlNoAnswer);
    EXPECT_EQ(Http::statusFor(*second.error), 400);
    for (const SeenRequest &r : server.requests())
        EXPECT_EQ(r.method, "PUT");
}

void upperWs(QWebSocket *socket, const QJsonObject &, const QByteArray &object)
{
    socket->sendBinaryMessage(object.toUpper());
}

TEST_F(CommunicatorTest, WsSendsAControlMessageThenTheObjectAndStreamsTheAnswer)
{
    FakeWsEtlServer server(upperWs);
    startEtl("ws-up", CommType::Ws, server.url());
    const Outcome first = run(job("ws-up"));
    ASSERT_FALSE(first.error.has_value()) << first.error->message.toStdString();
    EXPECT_EQ(first.body, Input.toUpper());
    EXPECT_TRUE(first.streamError.isEmpty());
    ASSERT_EQ(server.controls().size(), 1);
    EXPECT_EQ(server.controls()[0].value("path").toString(), QStringLiteral("dir/o"));
    EXPECT_FALSE(server.controls()[0].contains("fqn"));
    // The next object goes over the same connection.
    const Outcome second = run(job("ws-up"));
    ASSERT_FALSE(second.error.has_value()) << second.error->message.toStdString();
    EXPECT_EQ(second.body, Input.toUpper());
    EXPECT_EQ(server.connections(), 1);
    EXPECT_EQ(m_manager.find("ws-up")->objCount, 2);
}

TEST_F(CommunicatorTest, AWsServerThatClosesBeforeAnsweringIsA400)
{
    FakeWsEtlServer server([](QWebSocket *socket, const QJsonObject &, const QByteArray &) {
        socket->close(QWebSocketProtocol::CloseCodeAbnormalDisconnection, "gone");
    });
    startEtl("ws-gone", CommType::Ws, server.url());
    const Outcome outcome = run(job("ws-gone"));
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->code, ErrorCode::EtlNoAnswer);
    EXPECT_EQ(Http::statusFor(*outcome.error), 400);
    EXPECT_EQ(m_manager.find("ws-gone")->objErrors.size(), 1);
}

TEST_F(CommunicatorTest, AnObjectPastTheWsMessageLimitIsRefusedWithoutSending)
{
    FakeWsEtlServer server(upperWs);
    startEtl("ws-big", CommType::Ws, server.url());
    TransformJob big = job("ws-big");
    big.size = qint64(16) << 30 | 1; // past AIS's 16 GiB read limit; never read
    const Outcome outcome = run(big);
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->code, ErrorCode::TooLarge);
    EXPECT_EQ(Http::statusFor(*outcome.error), 413);
    EXPECT_EQ(server.connections(), 0);
}

Runtime::IoCommand shell(const QString &script)
{
    return Runtime::IoCommand{
        "/bin/sh", {"-c", script}, QProcessEnvironment::systemEnvironment(), QDir::tempPath()};
}

TEST_F(CommunicatorTest, IoRunsTheProgramOnTheObject)
{
    m_runtime.setIoCommand(shell("tr a-z A-Z"));
    startEtl("io-up", CommType::Io, {});
    const Outcome outcome = run(job("io-up"));
    ASSERT_FALSE(outcome.error.has_value()) << outcome.error->message.toStdString();
    EXPECT_EQ(outcome.body, Input.toUpper());
    EXPECT_TRUE(outcome.streamError.isEmpty());
    EXPECT_EQ(m_manager.find("io-up")->objCount, 1);
}

TEST_F(CommunicatorTest, AFailedIoProgramIsTheEtls500WithItsStderr)
{
    m_runtime.setIoCommand(shell("cat >/dev/null; echo broken >&2; exit 3"));
    startEtl("io-fails", CommType::Io, {});
    const Outcome outcome = run(job("io-fails"));
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(Http::statusFor(*outcome.error), 500);
    EXPECT_EQ(outcome.error->message, "ETL error: the io:// process exited with status 3: broken");
}

TEST_F(CommunicatorTest, AnIoProgramPastObjTimeoutIsA400)
{
    m_runtime.setIoCommand(shell("exec sleep 30"));
    startEtl("io-slow", CommType::Io, {}, 300ms);
    const Outcome outcome = run(job("io-slow"));
    ASSERT_TRUE(outcome.error.has_value());
    EXPECT_EQ(outcome.error->code, ErrorCode::EtlTimeout);
    EXPECT_EQ(Http::statusFor(*outcome.error), 400);
}

} // namespace
} // namespace Kiln::Etl::Tests
