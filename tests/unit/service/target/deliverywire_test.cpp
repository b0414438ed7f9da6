// What Qt puts on the wire for an object delivery (a PUT whose body streams from a QFile, as
// ObjectDelivery::putRemote sends it) that the sender aborts mid-body: the receiver must never
// see a complete request, whatever it parses. A raw socket server records every byte.
#include "tests/unit/support/waituntil.h"

#include <gtest/gtest.h>

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryFile>

#include <memory>
#include <vector>

namespace Kiln::Target::Tests {
namespace {

using Kiln::Test::holdsFor;
using Kiln::Test::waitUntil;

// Accepts connections and records what each one carried; reads only while `reading` is set
// (a receiver that stops reading makes the sender's body stall mid-way).
class WireRecorder
{
public:
    WireRecorder()
    {
        EXPECT_TRUE(m_server.listen(QHostAddress::LocalHost, 0));
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setReadBufferSize(64 * 1024);
                const std::size_t i = m_bytes.size();
                m_bytes.emplace_back();
                m_closed.push_back(false);
                QObject::connect(s, &QTcpSocket::readyRead, s, [this, s, i] {
                    if (reading)
                        m_bytes[i] += s->readAll();
                });
                QObject::connect(s, &QTcpSocket::disconnected, s, [this, s, i] {
                    m_bytes[i] += s->readAll();
                    m_closed[i] = true;
                });
                m_sockets.push_back(s);
            }
        });
    }
    quint16 port() const { return m_server.serverPort(); }
    const std::vector<QByteArray> &connections() const { return m_bytes; }
    bool closed(std::size_t i) const { return m_closed[i]; }
    void drain()
    {
        for (std::size_t i = 0; i < m_sockets.size(); ++i)
            if (m_sockets[i] && m_sockets[i]->isOpen())
                m_bytes[i] += m_sockets[i]->readAll();
    }
    bool reading = true;

private:
    QTcpServer m_server;
    std::vector<QByteArray> m_bytes;
    std::vector<bool> m_closed;
    std::vector<QPointer<QTcpSocket>> m_sockets;
};

qsizetype headEnd(const QByteArray &wire)
{
    const qsizetype at = wire.indexOf("\r\n\r\n");
    return at < 0 ? -1 : at + 4;
}

QNetworkRequest deliveryRequest(quint16 port, qint64 size)
{
    QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/v1/objects/b/o").arg(port)));
    request.setHeader(QNetworkRequest::ContentLengthHeader, size);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/octet-stream");
    request.setRawHeader("Kiln-Intra", "1");
    return request;
}

std::unique_ptr<QTemporaryFile> bodyFile(qint64 size)
{
    auto file = std::make_unique<QTemporaryFile>();
    EXPECT_TRUE(file->open());
    file->write(QByteArray(size, 'x'));
    file->seek(0);
    return file;
}

// Every request on the wire is incomplete: its head announces Content-Length bytes (never
// chunked) and fewer than that many follow.
void expectNothingComplete(const WireRecorder &rec, qint64 size)
{
    ASSERT_FALSE(rec.connections().empty());
    for (const QByteArray &wire : rec.connections()) {
        const qsizetype end = headEnd(wire);
        if (end < 0)
            continue; // not even a whole head
        const QByteArray head = wire.left(end).toLower();
        EXPECT_FALSE(head.contains("transfer-encoding")) << head.constData();
        EXPECT_TRUE(head.contains("content-length: " + QByteArray::number(size)))
            << head.constData();
        EXPECT_LT(wire.size() - end, size) << "a whole body went out: " << head.constData();
        EXPECT_EQ(wire.indexOf("PUT ", end), -1) << "a second request followed";
    }
}

TEST(DeliveryWireTest, AbortMidBodySendsNoCompleteRequest)
{
    WireRecorder rec;
    const qint64 size = 64LL * 1024 * 1024;
    auto file = bodyFile(size);
    QNetworkAccessManager nam;
    QNetworkReply *reply = nam.put(deliveryRequest(rec.port(), size), file.get());
    ASSERT_TRUE(waitUntil([&] { return !rec.connections().empty()
                                       && rec.connections()[0].size() > 1024 * 1024; }));
    rec.reading = false; // the body stalls mid-way, as to an owner that is cut off
    ASSERT_TRUE(holdsFor([&] { return !reply->isFinished(); }, 300));
    reply->abort();
    file->close(); // as putRemote's finished handler does
    rec.reading = true;
    ASSERT_TRUE(waitUntil([&] {
        rec.drain();
        return rec.closed(0);
    }));
    ASSERT_TRUE(holdsFor([&] { return rec.connections().size() == 1; }, 500))
        << "the aborted PUT was sent again";
    rec.drain();
    expectNothingComplete(rec, size);
    for (const QByteArray &wire : rec.connections())
        std::printf("connection: %lld bytes, head:\n%s\n", qint64(wire.size()),
                    wire.left(headEnd(wire)).constData());
    reply->deleteLater();
}

} // namespace
} // namespace Kiln::Target::Tests
