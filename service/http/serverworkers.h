#pragma once

#include "service/http/connection.h"
#include "service/http/router.h"

#include <functional>
#include <memory>
#include <vector>

class QTcpSocket;

namespace Kiln::Http {

// The worker threads of an HttpServer (docs/event-loop-threads.md): each runs its own event
// loop with its own router, holding the routes that are safe off the node's thread (a target's
// plain object reads). The server hands every other accepted connection to a worker; a request
// a worker has no route for is served on the home thread (Connection::passHome), so a worker
// never touches the node's state.
class ServerWorkers final
{
public:
    using RouteSetup = std::function<void(Router &)>;

    // `count` threads, started now; each router is filled by `routes` on the calling thread and
    // only read after that.
    ServerWorkers(int count, const RouteSetup &routes);
    // Drops every connection of every worker (on its own thread) and stops the threads.
    ~ServerWorkers();

    int size() const { return int(m_workers.size()); }
    // Moves an accepted socket (parentless, on the calling thread) to worker `index`, where it
    // becomes a connection of `home` with the worker's router.
    void adopt(int index, QTcpSocket *socket, const ServerContext &home);

private:
    struct Worker;
    std::vector<std::unique_ptr<Worker>> m_workers;
};

} // namespace Kiln::Http
