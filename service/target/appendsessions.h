#pragma once

#include "service/target/objectinfo.h"
#include "shared/cluster/snode.h"
#include "shared/core/result.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QHash>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

namespace Kiln::Target {

class ObjectStore;
class ObjectWriter;

// One object being built by AIS's append protocol: PUT ?append_type=append (several times,
// each answering a handle in Ais-Append-Handle), then ?append_type=flush, which checksums the
// result (against the client's checksum when given) and commits it. Until the flush the object
// is untouched; an append of an existing object starts from its bytes.
struct AppendSession
{
    QString token;
    QString bucket;
    QString object;
    std::unique_ptr<ObjectWriter> writer;
    QFuture<Result<void>> fill; // the existing object's bytes, copied in on the I/O pool
    QElapsedTimer idle;
    bool busy = false; // a request is appending or flushing
};

// The checksum a flush is asked to verify (Ais-Checksum-Type / Ais-Checksum-Value).
struct ExpectedChecksum
{
    QString type;
    QString value;
};

// A target's open append sessions. Handles have AIS's shape
// "<target id>|<token>|<checksum type>|<bytes so far>", so the proxy routes follow-ups to this
// target by the first field; the token alone finds the session. Sessions idle past IdleLimit are
// dropped with their temporary files. Lives on the target's main thread.
class AppendSessions final : public QObject
{
    Q_OBJECT
public:
    static constexpr int IdleLimitMs = 60 * 60 * 1000;

    // self: the target's identity, set once it listens (kept by reference).
    AppendSessions(ObjectStore &store, const Cluster::Snode &self, QObject *parent = nullptr);
    ~AppendSessions() override;

    // The session a request continues (handle given) or a new one (empty handle).
    Result<AppendSession *> open(const QString &bucket, const QString &object,
                                 const QString &handle);
    QString handleOf(const AppendSession &session) const;
    // A failed or abandoned append: the object stays as it was.
    void drop(const QString &token);
    // Waits for the fill, checksums, verifies, commits; the session ends when it succeeds
    // (a checksum mismatch keeps it, as AIS keeps its work file). done gets the outcome on this
    // object's thread.
    using Flushed = std::function<void(const Result<ObjectInfo> &)>;
    void flush(AppendSession *session, const ExpectedChecksum &expected, Flushed done);

private:
    Result<AppendSession *> find(const QString &bucket, const QString &object,
                                 const QString &handle);
    void sweep();

    ObjectStore &m_store;
    const Cluster::Snode &m_self;
    QHash<QString, std::shared_ptr<AppendSession>> m_sessions;
    QTimer m_sweep;
};

} // namespace Kiln::Target
