#include "service/http/serverworkers.h"

#include <QTcpSocket>
#include <QThread>

namespace Kiln::Http {

struct ServerWorkers::Worker
{
    QThread thread;
    QObject *anchor = nullptr; // lives on `thread`; the parent of its connections
    Router router;
};

ServerWorkers::ServerWorkers(int count, const RouteSetup &routes)
{
    for (int i = 0; i < count; ++i) {
        auto w = std::make_unique<Worker>();
        routes(w->router);
        w->thread.setObjectName(QStringLiteral("http-%1").arg(i + 1));
        w->anchor = new QObject;
        w->anchor->moveToThread(&w->thread);
        w->thread.start();
        m_workers.push_back(std::move(w));
    }
}

ServerWorkers::~ServerWorkers()
{
    for (auto &w : m_workers) {
        // Connections go on their own thread: their sockets and timers belong to it.
        QMetaObject::invokeMethod(w->anchor, [anchor = w->anchor] { delete anchor; },
                                  Qt::BlockingQueuedConnection);
        w->thread.quit();
        w->thread.wait();
    }
}

void ServerWorkers::adopt(int index, QTcpSocket *socket, const ServerContext &home)
{
    Worker &w = *m_workers.at(std::size_t(index));
    ServerContext context = home;
    context.router = &w.router;
    context.anchor = w.anchor;
    context.home = &home;
    socket->moveToThread(&w.thread);
    QMetaObject::invokeMethod(w.anchor, [socket, context, anchor = w.anchor] {
        new Connection(socket, context, anchor);
    });
}

} // namespace Kiln::Http
