#pragma once

#include "service/runtime/instance.h"
#include "shared/api/etlwire.h"
#include "shared/core/result.h"
#include "shared/etl/etlmd.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

namespace Kiln::Node {
class SnapshotWriter;
}

namespace Kiln::Etl {

// A transformation error kept for the ETL's details (AIS keeps the first 128).
using ObjError = Api::ObjError; // one definition, with its wire codec

// What a target knows of one ETL: its record, its instance, counters and errors.
struct EtlEntry
{
    EtlRecord record; // stage here is the target's view
    QPointer<Runtime::Instance> instance; // owned by the manager (QObject child)
    QString error; // why the instance failed or exited
    qint64 objCount = 0;
    qint64 inBytes = 0;
    qint64 outBytes = 0;
    QList<ObjError> objErrors;

    bool isRunning() const { return record.stage == Stage::Running && instance; }
    void addError(const ObjError &e);
};

// The target's side of ETLs: starts instances through the runtime in the 2-phase init (begin
// waits for ready, commit makes it Running, abort stops it), stops and deletes them, restores
// Running ones after a restart, and matches the cluster's ETL metadata when the proxy pushes it.
// Persists its entries in <data>/etl.json. Lives on the target's main thread.
class EtlManager final : public QObject
{
    Q_OBJECT
public:
    EtlManager(Runtime::Runtime *runtime, QString dataDir, QString targetId,
               QObject *parent = nullptr);
    ~EtlManager() override;

    // The base the instances read objects from: <target url>; set once the target listens.
    void setTargetUrl(const QString &url) { m_targetUrl = url; }
    // Restores saved entries; Running ones are started again.
    void restore();

    using Done = std::function<void(Result<void>)>;
    void begin(const EtlRecord &record, QObject *context, Done done);
    Result<void> commit(const QString &name, const QString &xid);
    void stop(const QString &name, const QString &why, QObject *context,
              std::function<void()> done);
    void remove(const QString &name, QObject *context, std::function<void()> done);
    // Starts what the cluster runs and this target does not; stops what the cluster stopped.
    void reconcile(const EtlMd &md);

    EtlEntry *find(const QString &name);
    const QHash<QString, EtlEntry> &entries() const { return m_entries; }
    // Every process id of every instance (leak checks, diagnostics).
    QList<qint64> pids() const;
    // Sets the ETL metrics' CPU and memory gauges from the running instances (before a scrape).
    void publishUsage();

Q_SIGNALS:
    // An instance failed after it was running (crash, or a restore that did not come up): the
    // target tells the proxy, which aborts the ETL everywhere.
    void instanceFailed(const QString &name, const QString &xid, const QString &error);

private:
    void startInstance(const QString &name, Done done);
    // An init still uncommitted past its timeout (and CommitGrace): the proxy forgot it.
    void dropUncommitted(const QString &name, const QString &xid);
    void save();
    QString workDirFor(const QString &name) const;

    Runtime::Runtime *m_runtime;
    QString m_dataDir;
    QString m_targetId;
    QString m_targetUrl;
    QHash<QString, EtlEntry> m_entries;
    Node::SnapshotWriter *m_writer; // etl.json, a child
};

} // namespace Kiln::Etl
