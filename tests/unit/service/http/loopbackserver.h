#pragma once

#include "service/http/httpserver.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QEventLoop>
#include <QTemporaryDir>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>

namespace Kiln::Http::Tests {

using namespace std::chrono_literals;

// A real Http::HttpServer on 127.0.0.1, port 0, with the routes the HTTP suites talk to:
//   GET|HEAD /hello                  200 "hello"
//   GET|HEAD /missing                404 through Exchange::fail (AIS error body / Hdr-Error)
//   GET /params/{bucket}/{*object}   200 "<bucket>\n<object>"
//   GET|PUT|DELETE /multi            200, one route per method (for 405 answers)
//   PUT /echo                        streaming route: answers with the body it read
//   PUT /reject                      streaming route: answers 404 at once, reads nothing
//   PUT /buffered                    buffered route, at most 1 KiB: answers with the body
//   GET /delay/{ms}                  answers "<ms>" after ms milliseconds
//   GET /big                         streams the file made by makeBigFile()
//   GET /bigcounted                  the same, counting the bytes copied through user space
//   GET /unsized                     a body of unknown length, produced piece by piece
// Lives on the test's main thread, which must run the event loop (runClient, tests/unit/support's waitUntil).
class LoopbackServer final
{
public:
    LoopbackServer();

    quint16 port() const { return m_port; }
    HttpServer &server() { return m_server; }
    // Writes `size` random bytes for GET /big and returns them.
    QByteArray makeBigFile(qint64 size);
    // What GET /unsized sends, in order.
    static QList<QByteArray> unsizedPieces();
    // Answers GET /delay gave (or tried to give, the client may have left).
    int delayedAnswers() const { return m_delayedAnswers; }
    // Bytes of GET /bigcounted bodies the connection read() (copied) rather than sendfile'd.
    qint64 copiedBytes() const { return m_copiedBytes; }

    // Runs client() on a thread of its own while this thread serves the event loop, and returns
    // its result. The client's socket reads time out, so a stuck exchange ends as a failure.
    template<typename Client> static auto runClient(Client client) -> std::invoke_result_t<Client>
    {
        std::optional<std::invoke_result_t<Client>> result;
        std::atomic_bool done = false;
        QEventLoop loop;
        std::thread thread([&] {
            result.emplace(client());
            done = true;
            QMetaObject::invokeMethod(&loop, &QEventLoop::quit, Qt::QueuedConnection);
        });
        QTimer::singleShot(30s, &loop, &QEventLoop::quit);
        loop.exec();
        if (!done)
            ADD_FAILURE() << "the client did not finish within 30 s";
        while (!done)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        thread.join();
        return std::move(*result);
    }

private:
    void addRoutes();

    QTemporaryDir m_dir;
    HttpServer m_server;
    quint16 m_port = 0;
    QString m_bigPath;
    int m_delayedAnswers = 0;
    qint64 m_copiedBytes = 0;
};

} // namespace Kiln::Http::Tests
