// Fuzz target: the HTTP/1.1 request reader (service/http: Connection over http-parser, with
// chunked bodies, keep-alive, pipelining, the router and the early errors) on a real loopback
// connection. Each input is written as-is by a client that then half-closes; the run ends when
// the server has closed the connection (bounded at 2 s). Routes: a buffered PUT/GET that echoes
// its body and a streaming PUT that reads its body through a BodyReader.
#include "service/http/httpserver.h"
#include "tests/fuzz/fuzzjson.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QTcpSocket>

#include <sys/socket.h>

#include <cstdlib>
#include <memory>

namespace {

using namespace Kiln::Http;

void addRoutes(Router &router)
{
    router.add({"GET", "HEAD", "PUT", "POST"}, QStringLiteral("/v1/objects/{bucket}/{*object}"),
               [](Exchange ex) {
                   ex.respond(200, ex.body() + ex.param(QStringLiteral("object")).toUtf8());
               });
    router.add({"PUT"}, QStringLiteral("/v1/stream/{*object}"), [](Exchange ex) {
        auto total = std::make_shared<qint64>(0);
        ex.readBody({[total](const char *, qsizetype size) {
                         *total += size;
                         return *total < 1024 * 1024;
                     },
                     [ex, total]() mutable { ex.respond(200, QByteArray::number(*total)); },
                     []() {}});
    }, RouteOptions{.streamBody = true});
    router.add({"GET"}, QStringLiteral("/small"), [](Exchange ex) { ex.ok(); },
               RouteOptions{.maxBody = 64});
}

HttpServer &server()
{
    static int argc = 1;
    static char name[] = "fuzz_http";
    static char *argv[] = {name, nullptr};
    static QCoreApplication app(argc, argv);
    static HttpServer *s = [] {
        auto *srv = new HttpServer;
        addRoutes(srv->router());
        if (!srv->listen(QHostAddress::LocalHost, 0))
            std::abort();
        return srv;
    }();
    return *s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    HttpServer &srv = server();
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, srv.port());
    if (!client.waitForConnected(2000))
        std::abort();
    client.write(Kiln::Fuzz::bytes(data, size));
    client.flush();
    ::shutdown(int(client.socketDescriptor()), SHUT_WR);
    const QDeadlineTimer deadline(2000);
    while (client.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 20);
        client.readAll();
    }
    client.abort();
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QCoreApplication::processEvents();
    return 0;
}
