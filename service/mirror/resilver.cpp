#include "service/mirror/resilver.h"

#include "service/mirror/replicas.h"
#include "service/target/objectstore.h"
#include "shared/api/names.h"
#include "shared/core/logging.h"
#include "shared/core/whenready.h"

#include <QDirIterator>
#include <QSet>
#include <QtConcurrent>

namespace Kiln::Mirror {

Resilver::Resilver(Target::ObjectStore &store, QObject *parent)
    : QObject(parent)
    , m_store(store)
{ }

void Resilver::onSettings(const QHash<QString, Target::WriteSettings> &settings)
{
    if (m_started)
        return;
    m_started = true;
    QHash<QString, int> buckets;
    for (auto it = settings.constBegin(); it != settings.constEnd(); ++it) {
        if (it->copies > 1)
            buckets.insert(it.key(), it->copies);
    }
    if (buckets.isEmpty() || m_store.mountpaths().size() <= 1)
        return;
    m_running = true;
    Log::store().info("resilver: {} mirrored bucket(s), in the background", buckets.size());
    Target::ObjectStore *store = &m_store;
    whenReady(
        QtConcurrent::run(m_store.ioPool(), [store, buckets] { return run(*store, buckets); }),
        this, [this](const ResilverStats &stats) {
            m_running = false;
            Log::store().info("resilver done: {} objects, {} copies written, {} removed, {} errors",
                              stats.objects, stats.written, stats.removed, stats.errors);
            Q_EMIT finished(stats);
        });
}

ResilverStats Resilver::run(Target::ObjectStore &store, const QHash<QString, int> &buckets)
{
    ResilverStats stats;
    for (auto b = buckets.constBegin(); b != buckets.constEnd(); ++b) {
        // Every name on any mountpath: a lost primary is found through its copies.
        QSet<QString> names;
        for (const QString &mp : store.mountpaths()) {
            const QString root = store.bucketDir(mp, b.key());
            QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                            QDirIterator::Subdirectories);
            while (it.hasNext())
                names.insert(it.next().mid(root.size() + 1));
        }
        for (const QString &name : names) {
            ++stats.objects;
            auto synced = store.replicas().sync(b.key(), name, b.value());
            if (!synced) {
                ++stats.errors;
                Log::store().error("resilver: {}: {}",
                                   Api::objectCname(b.key(), name).toStdString(),
                                   synced.error().message.toStdString());
                continue;
            }
            stats.written += synced->written;
            stats.removed += synced->removed;
        }
    }
    return stats;
}

} // namespace Kiln::Mirror
