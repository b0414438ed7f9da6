#pragma once

#include "service/etl/comm/wsbodysource.h"
#include "service/etl/communicator.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace Kiln::Http {
class WsClient;
}

namespace Kiln::Runtime {
class Instance;
}

namespace Kiln::Etl {

struct EtlEntry;

// One object on its way through a ws:// pool: queued, then on one connection until its reply.
struct WsRequest
{
    TransformJob job;
    QPointer<QObject> context;
    Communicator::Done done;
    QTimer deadline; // obj_timeout from submission: the wait in the queue plus the exchange
    bool answered = false;
};
using WsRequestPtr = std::shared_ptr<WsRequest>;

// The websockets of one ETL to its instance beside this target (at most PoolSize), each carrying
// one object at a time, replies matched FIFO per connection as AIS does. Objects wait in a bounded
// queue while all are busy. A connection that failed, timed out or got a reply it cannot match is
// dropped; the next object opens a new one. Lives on the target's main thread, a child of the
// WsComm, which forgets it once it emitted closed().
class WsPool final : public QObject
{
    Q_OBJECT
public:
    // AIS reads messages of up to 16 GiB (the servers run with --ws-max-size 17179869184).
    static constexpr quint64 AisReadLimit = quint64(16) << 30;

    WsPool(Communicator *comm, const EtlEntry &entry, QObject *parent);
    ~WsPool() override;
    Q_DISABLE_COPY_MOVE(WsPool)

    // Whether this pool talks to the entry's current instance (same object, same run).
    bool serves(const EtlEntry &entry) const;
    void submit(WsRequestPtr request);
    // Fails whatever is queued or in flight (EtlNoAnswer), closes every socket, emits closed().
    void shutdown(const QString &why);
    int connectionCount() const { return int(m_connections.size()); }

Q_SIGNALS:
    void closed();

private:
    struct Connection
    {
        quint64 id = 0;
        Http::WsClient *socket = nullptr; // child of the pool, deleted later once dropped
        bool open = false;
        WsRequestPtr current; // the object on this connection, null while idle
        bool sent = false;
        bool replying = false; // the reply message has begun
        bool textReply = false; // a text message: the object went elsewhere by direct put
        // Where a binary reply streams to: owned here until handed to the caller (once the whole
        // message or MaxBuffered bytes of it arrived), then watched.
        std::unique_ptr<WsBodySource> pending;
        QPointer<WsBodySource> reply;
    };

    void dispatch();
    Connection *openConnection();
    void start(Connection *c, WsRequestPtr request);
    void trySend(Connection *c);
    void onReplyBegun(quint64 id, bool binary);
    void onReplyData(quint64 id, const QByteArray &chunk);
    void onReplyEnded(quint64 id);
    void onBroken(quint64 id, const QString &why);
    void onDeadline(const WsRequestPtr &request);
    void drop(quint64 id);
    Connection *find(quint64 id);
    void succeed(const WsRequestPtr &request, std::unique_ptr<WsBodySource> body);
    void fail(const WsRequestPtr &request, const Error &error, bool record = true);

    Communicator *m_comm;
    QString m_etl;
    QString m_xid;
    QPointer<Runtime::Instance> m_instance;
    QUrl m_url; // ws://<instance>/ws
    std::chrono::milliseconds m_objTimeout;
    bool m_fqnMode; // the control message names the file; no bytes follow
    std::vector<std::unique_ptr<Connection>> m_connections;
    QQueue<WsRequestPtr> m_queue;
    quint64 m_nextId = 1;
    bool m_dispatching = false;
    bool m_closed = false;
};

} // namespace Kiln::Etl
