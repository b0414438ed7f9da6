#include "service/node/snapshotwriter.h"

#include "shared/core/fileutil.h"

#include <QMetaObject>
#include <QPointer>

namespace Kiln::Node {
SnapshotWriter::SnapshotWriter(QString path, QObject *parent)
    : QObject(parent)
    , m_path(std::move(path))
{
    m_thread.setMaxThreadCount(1);
    m_thread.setObjectName(QStringLiteral("kiln-snapshot"));
}

SnapshotWriter::~SnapshotWriter()
{
    m_thread.waitForDone();
}

void SnapshotWriter::save(QByteArray content, Done done)
{
    quint64 generation = 0;
    {
        QMutexLocker locker(&m_lock);
        generation = ++m_generation;
        m_pending.generation = generation;
        m_pending.content = std::move(content);
        if (done)
            m_pending.waiting.push_back(std::move(done));
    }
    m_thread.start([this, generation] { writeLatest(generation); });
}

void SnapshotWriter::writeLatest(quint64 generation)
{
    Pending taken;
    {
        QMutexLocker locker(&m_lock);
        // A newer save was queued after this one: its task writes the newer content.
        if (m_pending.generation != generation)
            return;
        taken = std::exchange(m_pending, Pending{});
        m_pending.generation = generation;
    }
    Result<void> result = writeFileAtomically(m_path, taken.content);
    QPointer<SnapshotWriter> self(this);
    QMetaObject::invokeMethod(this, [self, result, waiting = std::move(taken.waiting)] {
        if (!self)
            return;
        for (const Done &done : waiting)
            done(result);
    });
}

void SnapshotWriter::waitForSaved()
{
    m_thread.waitForDone();
}

} // namespace Kiln::Node
