#pragma once

#include "service/target/objectinfo.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QString>

namespace Kiln::Target {
class ObjectStore;
}

namespace Kiln::Mirror {

// What one resilver pass did.
struct ResilverStats
{
    qint64 objects = 0; // objects visited
    qint64 written = 0; // copies made or repaired
    qint64 removed = 0; // extra copies dropped
    qint64 errors = 0;
};

// AIS's resilver, at a target's start: every object of each mirrored bucket gets its copies back
// on the mountpaths where they belong (a mountpath's folder that was deleted or replaced comes
// back full), from a copy whose checksum holds. Runs once per process, when the first bucket
// metadata is applied, as one task on the store's I/O pool; the event loop never waits for it.
class Resilver final : public QObject
{
    Q_OBJECT
public:
    explicit Resilver(Target::ObjectStore &store, QObject *parent = nullptr);

    // The buckets' write settings as the target applies them; the first call starts the pass.
    void onSettings(const QHash<QString, Target::WriteSettings> &settings);
    bool isRunning() const { return m_running; }

    // One blocking pass over the buckets (bucket -> copies); for the pool and for tests.
    static ResilverStats run(Target::ObjectStore &store, const QHash<QString, int> &buckets);

Q_SIGNALS:
    void finished(const Mirror::ResilverStats &stats);

private:
    Target::ObjectStore &m_store;
    bool m_started = false;
    bool m_running = false;
};

} // namespace Kiln::Mirror
