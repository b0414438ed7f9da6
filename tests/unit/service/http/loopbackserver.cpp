#include "tests/unit/service/http/loopbackserver.h"
#include "tests/unit/support/randombytes.h"

#include "service/http/bodysource.h"
#include "service/http/exchange.h"

#include <QFile>

#include <memory>

namespace Kiln::Http::Tests {
namespace {

// Hands out its pieces one per event-loop turn, so the connection sees "nothing ready yet" in
// between and must wait for readyRead, as with a body fetched from another node.
class PiecesBodySource final : public BodySource
{
public:
    explicit PiecesBodySource(QList<QByteArray> pieces)
        : m_pieces(std::move(pieces))
    {
        scheduleRelease();
    }

    qint64 size() const override { return -1; }
    QByteArray read(qint64 maxBytes) override
    {
        QByteArray chunk = m_ready.left(maxBytes);
        m_ready.remove(0, chunk.size());
        if (m_ready.isEmpty())
            scheduleRelease();
        return chunk;
    }
    bool atEnd() const override { return m_ready.isEmpty() && m_pieces.isEmpty(); }

private:
    void scheduleRelease()
    {
        if (m_scheduled || m_pieces.isEmpty())
            return;
        m_scheduled = true;
        QTimer::singleShot(1, this, [this] {
            m_scheduled = false;
            m_ready += m_pieces.takeFirst();
            if (m_ready.isEmpty() && !m_pieces.isEmpty())
                scheduleRelease(); // an empty piece: nothing to announce yet
            else
                Q_EMIT readyRead();
        });
    }

    QList<QByteArray> m_pieces; // not yet released
    QByteArray m_ready; // released, not yet read
    bool m_scheduled = false; // a release is pending
};

// A FileBodySource that counts the bytes the connection copied out of it with read(), so a test
// sees whether the body went by sendfile (FileSpan) or through user space.
class CountingFileSource final : public BodySource
{
public:
    CountingFileSource(OwnedFd fd, qint64 size, qint64 *copied)
        : m_inner(std::move(fd), 0, size)
        , m_copied(copied)
    { }

    qint64 size() const override { return m_inner.size(); }
    QByteArray read(qint64 maxBytes) override
    {
        QByteArray chunk = m_inner.read(maxBytes);
        *m_copied += chunk.size();
        return chunk;
    }
    bool atEnd() const override { return m_inner.atEnd(); }
    QString errorString() const override { return m_inner.errorString(); }
    FileSpan fileSpan() const override { return m_inner.fileSpan(); }
    void skip(qint64 bytes) override { m_inner.skip(bytes); }

private:
    FileBodySource m_inner;
    qint64 *m_copied;
};

} // namespace

LoopbackServer::LoopbackServer()
{
    m_server.setNodeName("t[loopback]");
    addRoutes();
    const Result<quint16> port = m_server.listen(QHostAddress::LocalHost, 0);
    EXPECT_TRUE(port) << port.error().message.toStdString();
    m_port = port ? *port : 0;
}

QByteArray LoopbackServer::makeBigFile(qint64 size)
{
    const QByteArray bytes = Kiln::Test::randomBytes(size, 20240601);
    m_bigPath = m_dir.filePath("big.bin");
    QFile file(m_bigPath);
    EXPECT_TRUE(file.open(QIODevice::WriteOnly));
    EXPECT_EQ(file.write(bytes), size);
    return bytes;
}

QList<QByteArray> LoopbackServer::unsizedPieces()
{
    return {"first piece;", QByteArray(100000, 'x'), "", "last piece"};
}

void LoopbackServer::addRoutes()
{
    Router &router = m_server.router();
    router.add({"GET", "HEAD"}, "/hello",
               [](Exchange exchange) { exchange.respond(200, "hello", "text/plain"); });
    router.add({"GET", "HEAD"}, "/missing", [](Exchange exchange) {
        exchange.fail(Error{ErrorCode::NotFound, "ais://b/o does not exist", "ErrObjNotFound"});
    });
    router.add({"GET"}, "/params/{bucket}/{*object}", [](Exchange exchange) {
        exchange.respond(200, (exchange.param("bucket") + '\n' + exchange.param("object")).toUtf8(),
                         "text/plain");
    });
    // Registered out of order so that the 405 Allow list shows it is sorted.
    for (const QByteArray method : {"PUT", "GET", "DELETE"})
        router.add({method}, "/multi", [](Exchange exchange) { exchange.ok(); });

    RouteOptions streaming;
    streaming.streamBody = true;
    router.add(
        {"PUT"}, "/echo",
        [](Exchange exchange) {
            auto received = std::make_shared<QByteArray>();
            exchange.readBody(BodyReader{[received](const char *data, qsizetype size) {
                                             received->append(data, size);
                                             return true;
                                         },
                                         [exchange, received]() mutable {
                                             exchange.respond(200, *received,
                                                              "application/octet-stream");
                                         },
                                         [] {}});
        },
        streaming);
    router.add(
        {"PUT"}, "/reject",
        [](Exchange exchange) {
            exchange.fail(Error{ErrorCode::NotFound, "bucket ais://nope does not exist", {}});
        },
        streaming);
    RouteOptions small;
    small.maxBody = 1024;
    router.add(
        {"PUT"}, "/buffered",
        [](Exchange exchange) { exchange.respond(200, exchange.body(), "text/plain"); }, small);

    router.add({"GET"}, "/delay/{ms}", [this](Exchange exchange) {
        const int ms = exchange.param("ms").toInt();
        QTimer::singleShot(ms, &m_server, [this, exchange, ms]() mutable {
            ++m_delayedAnswers;
            exchange.respond(200, QByteArray::number(ms), "text/plain");
        });
    });
    // GET of the big file, as the body source `wrap` makes of its descriptor and size.
    const auto bigFile = [this](auto wrap) {
        return [this, wrap](Exchange exchange) {
            OwnedFd file = OwnedFd::openReadOnly(m_bigPath);
            const qint64 size = file.size();
            if (size < 0)
                return exchange.fail(Error{ErrorCode::NotFound, "no big file", {}});
            exchange.respondStream(200, wrap(std::move(file), size), "application/octet-stream");
        };
    };
    router.add({"GET"}, "/big", bigFile([](OwnedFd fd, qint64 size) {
                   return std::make_unique<FileBodySource>(std::move(fd), 0, size);
               }));
    router.add({"GET"}, "/bigcounted", bigFile([this](OwnedFd fd, qint64 size) {
                   return std::make_unique<CountingFileSource>(std::move(fd), size, &m_copiedBytes);
               }));
    router.add({"GET"}, "/unsized", [](Exchange exchange) {
        exchange.respondStream(200, std::make_unique<PiecesBodySource>(unsizedPieces()),
                               "text/plain");
    });
}

} // namespace Kiln::Http::Tests
