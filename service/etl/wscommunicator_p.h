#pragma once

#include "service/etl/communicator.h"
#include "service/http/bodysource.h"

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

class QThreadPool;
class QWebSocket;

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
// WsCommunicator, which forgets it once it emitted closed().
class WsPool final : public QObject
{
    Q_OBJECT
public:
    WsPool(Communicator *comm, QThreadPool *readers, const EtlEntry &entry, QObject *parent);
    ~WsPool() override;
    Q_DISABLE_COPY_MOVE(WsPool)

    // Whether this pool talks to the entry's current instance (same object, same run).
    bool serves(const EtlEntry &entry) const;
    void submit(WsRequestPtr request);
    // Fails whatever is queued or in flight with 502, closes every socket, emits closed().
    void shutdown(const QString &why);
    int connectionCount() const { return int(m_connections.size()); }

Q_SIGNALS:
    void closed();

private:
    struct Connection
    {
        quint64 id = 0;
        QWebSocket *socket = nullptr; // child of the pool, deleted later once dropped
        bool open = false;
        WsRequestPtr current; // the object on this connection, null while idle
        QByteArray payload; // the object's bytes, read and not sent yet
        bool payloadReady = false;
        bool sent = false;
    };

    void dispatch();
    Connection *openConnection();
    void start(Connection *c, WsRequestPtr request);
    void trySend(Connection *c);
    void onReply(quint64 id, QByteArray body, bool direct);
    void onBroken(quint64 id, const QString &why);
    void onDeadline(const WsRequestPtr &request);
    void drop(quint64 id);
    Connection *find(quint64 id);
    void succeed(const WsRequestPtr &request, QByteArray body, bool direct);
    void fail(const WsRequestPtr &request, int status, const Error &error, bool record = true);

    Communicator *m_comm;
    QThreadPool *m_readers;
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

// A transformed object held in memory (a websocket message arrives whole), handed to the client
// in pieces. done(bytes, ok) runs once: ok when the client got all of it.
class BufferBodySource final : public Http::BodySource
{
    Q_OBJECT
public:
    BufferBodySource(QByteArray data, std::function<void(qint64 bytes, bool ok)> done,
                     QObject *parent = nullptr);
    ~BufferBodySource() override;

    qint64 size() const override { return m_data.size(); }
    QByteArray read(qint64 maxBytes) override;
    bool atEnd() const override { return m_sent >= m_data.size(); }

private:
    QByteArray m_data;
    qint64 m_sent = 0;
    std::function<void(qint64, bool)> m_done;
};

} // namespace Kiln::Etl
