#include "service/node/intracall.h"
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QNetworkAccessManager>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <vector>

namespace Kiln::Node::Tests {
namespace {

using Kiln::Test::waitUntil;

Cluster::Snode nodeAt(quint16 port)
{
    return Cluster::Snode::make(QStringLiteral("t1"), Cluster::NodeType::Target,
                                QStringLiteral("127.0.0.1"), port);
}

// A listening socket whose accept queue is full and never drained: the kernel drops further
// SYNs, so a new connection to it hangs as to a partitioned host.
class FullBacklog
{
public:
    FullBacklog()
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (::bind(m_fd, reinterpret_cast<sockaddr *>(&addr), len) != 0 || ::listen(m_fd, 0) != 0
            || ::getsockname(m_fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            return;
        m_port = ntohs(addr.sin_port);
        for (int i = 0; i < 4; ++i) {
            m_fillers.push_back(std::make_unique<QTcpSocket>());
            m_fillers.back()->connectToHost(QStringLiteral("127.0.0.1"), m_port);
        }
        waitUntil([] { return false; }, 300); // the handshakes that can complete, do
    }
    ~FullBacklog() { ::close(m_fd); }
    quint16 port() const { return m_port; }

private:
    int m_fd = -1;
    quint16 m_port = 0;
    std::vector<std::unique_ptr<QTcpSocket>> m_fillers;
};

// Nothing comes back from a node whose packets are dropped: the call fails once the connection
// is not up within connectTimeoutMs, not after the whole transfer timeout.
TEST(IntraCall, UnreachableNodeFailsAfterTheConnectTimeout)
{
    FullBacklog sink;
    ASSERT_NE(sink.port(), 0);
    QNetworkAccessManager nam;
    QObject context;
    IntraRequest request{"GET", QStringLiteral("/v1/health")};
    request.timeoutMs = 30000;
    request.connectTimeoutMs = 300;
    std::optional<IntraReply> got;
    QElapsedTimer clock;
    clock.start();
    callNode(nam, nodeAt(sink.port()), request, &context, [&](IntraReply r) { got = r; });
    ASSERT_TRUE(waitUntil([&] { return got.has_value(); }, 10000));
    EXPECT_LT(clock.elapsed(), 5000);
    EXPECT_EQ(got->status, 0);
    EXPECT_TRUE(got->error.contains(QStringLiteral("within 300 ms"))) << got->error.toStdString();
}

// A node that is up but slow to answer is not unreachable: the connect timeout ends with the
// connection, and the call waits for the answer (up to timeoutMs).
TEST(IntraCall, SlowAnswerIsNotAConnectTimeout)
{
    QTcpServer server;
    ASSERT_TRUE(server.listen(QHostAddress::LocalHost));
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&server] {
        QTcpSocket *s = server.nextPendingConnection();
        QTimer::singleShot(900, s, [s] {
            s->write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            s->disconnectFromHost();
        });
    });
    QNetworkAccessManager nam;
    QObject context;
    IntraRequest request{"GET", QStringLiteral("/v1/health")};
    request.connectTimeoutMs = 200;
    std::optional<IntraReply> got;
    callNode(nam, nodeAt(server.serverPort()), request, &context,
             [&](IntraReply r) { got = r; });
    ASSERT_TRUE(waitUntil([&] { return got.has_value(); }, 10000));
    EXPECT_EQ(got->status, 200) << got->error.toStdString();
    EXPECT_EQ(got->body, "ok");
}

} // namespace
} // namespace Kiln::Node::Tests
