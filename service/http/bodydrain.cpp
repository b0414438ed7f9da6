#include "service/http/bodydrain.h"

#include "service/http/bodysource.h"

namespace Kiln::Http {

BodyDrain::BodyDrain(std::unique_ptr<BodySource> source, Sink sink, Done done, QObject *parent)
    : QObject(parent)
    , m_source(std::move(source))
    , m_sink(std::move(sink))
    , m_done(std::move(done))
{
    m_source->setParent(nullptr);
    connect(m_source.get(), &BodySource::readyRead, this, &BodyDrain::pump);
    connect(m_source.get(), &BodySource::failed, this, &BodyDrain::pump);
    // Reports come from the event loop, never from inside the constructor's caller.
    QMetaObject::invokeMethod(this, &BodyDrain::pump, Qt::QueuedConnection);
}

BodyDrain::~BodyDrain() = default;

void BodyDrain::pump()
{
    constexpr qint64 Chunk = 1024 * 1024;
    // Bounded per turn of the event loop: a source that always has data (a file) must not hold
    // the thread for the whole body.
    constexpr int ChunksPerTurn = 16;
    if (!m_done)
        return;
    for (int turn = 0; turn < ChunksPerTurn; ++turn) {
        const QByteArray chunk = m_source->read(Chunk);
        // A source may fail from inside read(); its failed() runs pump() again, which reports:
        // nothing is left to do here then.
        if (!m_done)
            return;
        if (!m_source->errorString().isEmpty())
            return finish(false, m_source->errorString());
        if (chunk.isEmpty()) {
            if (m_source->atEnd())
                finish(true, {});
            return;
        }
        if (!m_sink(chunk))
            return finish(false, QStringLiteral("cannot write the body"));
    }
    QMetaObject::invokeMethod(this, &BodyDrain::pump, Qt::QueuedConnection);
}

void BodyDrain::finish(bool ok, const QString &error)
{
    if (!m_done)
        return;
    const Done done = std::exchange(m_done, nullptr);
    done(ok, error);
    deleteLater();
}

} // namespace Kiln::Http
