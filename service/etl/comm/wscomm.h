#pragma once

#include "service/etl/comm/etlcomm.h"

#include <QHash>
#include <QString>

namespace Kiln::Etl {

class WsPool;

// ws://: inline transforms over websockets (AIS framing, protocol §1.3). Keeps one pool of
// long-lived websockets per ETL to that ETL's instance beside this target (WsPool), opened
// lazily, replaced when the instance changes (a new run or a restart) and closed when it stops or
// exits.
//
// Objects stream both ways: the object goes out in frames read from its file as the socket drains,
// and the result is passed on to the client frame by frame, the connection pausing while the
// client is behind, so a busy connection holds a few MiB whatever the object's size. Lives on the
// target's main thread, a child of the Communicator.
class WsComm final : public EtlComm
{
    Q_OBJECT
public:
    explicit WsComm(const CommDeps &deps);
    ~WsComm() override;
    Q_DISABLE_COPY_MOVE(WsComm)

    void transform(const TransformJob &job, EtlEntry &entry, QObject *context,
                   Communicator::Done done) override;
    // Websockets open or opening to an ETL's instance (diagnostics and tests).
    int connectionCount(const QString &etl) const;

private:
    void forget(WsPool *pool);

    Communicator *m_comm;
    QHash<QString, WsPool *> m_pools; // by ETL name; children, gone with their instance
};

} // namespace Kiln::Etl
