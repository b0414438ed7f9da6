#pragma once

#include "service/etl/communicator.h"

#include <QHash>
#include <QObject>
#include <QString>
#include <QThreadPool>

namespace Kiln::Etl {

struct EtlEntry;
class WsPool;

// Inline transforms over ws:// (AIS framing, protocol §1.3). Keeps one pool of long-lived
// websockets per ETL to that ETL's instance beside this target, opened lazily, replaced when the
// instance changes (a new run or a restart) and closed when it stops or exits.
//
// A websocket message is whole by nature: each object is read into memory (off the event loop)
// and sent as one binary message, and its result arrives as one message, so every busy
// connection holds one object and one result in memory. That is the protocol's price; hpush://
// streams instead. Lives on the target's main thread, a child of the Communicator.
class WsCommunicator final : public QObject
{
    Q_OBJECT
public:
    explicit WsCommunicator(Communicator *communicator);
    ~WsCommunicator() override;
    Q_DISABLE_COPY_MOVE(WsCommunicator)

    // Exactly one call of done (unless context is gone by then), as Communicator::transform.
    void transform(const TransformJob &job, const EtlEntry &entry, QObject *context,
                   Communicator::Done done);
    // Websockets open or opening to an ETL's instance (diagnostics and tests).
    int connectionCount(const QString &etl) const;

private:
    void forget(WsPool *pool);

    Communicator *m_comm;
    QHash<QString, WsPool *> m_pools; // by ETL name; children, gone with their instance
    QThreadPool m_readers; // reads object files so the event loop never waits on disk
};

} // namespace Kiln::Etl
