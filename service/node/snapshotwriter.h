#pragma once

#include "shared/core/result.h"

#include <QByteArray>
#include <QMutex>
#include <QObject>
#include <QString>
#include <QThreadPool>

#include <functional>
#include <vector>

namespace Kiln::Node {

// Saves one small metadata file (etlmd.json, bmd.json, smap.json, ...) off the event loop:
// each save is written atomically (writeFileAtomically: temp file, fsync, rename) on a thread
// of the writer's own, in the order save() was called, and done runs on the caller's thread
// once that content is on disk. Saves queued behind a newer one are skipped (their done runs
// with the newer save's result): the file only ever needs its latest content.
class SnapshotWriter : public QObject
{
public:
    using Done = std::function<void(const Result<void> &)>;

    explicit SnapshotWriter(QString path, QObject *parent = nullptr);
    ~SnapshotWriter() override; // waits for the writes under way: nothing saved is dropped

    const QString &path() const { return m_path; }
    void save(QByteArray content, Done done = {});
    // Blocks until every save so far is on disk: for shutdown and tests, never a request path.
    void waitForSaved();

private:
    struct Pending
    {
        quint64 generation = 0;
        QByteArray content;
        std::vector<Done> waiting;
    };
    void writeLatest(quint64 generation); // on the writer's thread

    QString m_path;
    QThreadPool m_thread; // one thread: saves land in order
    QMutex m_lock; // guards m_generation and m_pending (the owner's thread and the writer's)
    quint64 m_generation = 0;
    Pending m_pending; // the newest content not yet taken by the thread
};

} // namespace Kiln::Node
