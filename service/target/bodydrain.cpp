#include "service/target/bodydrain.h"

#include "service/http/bodysource.h"

namespace Kiln::Target {

BodyDrain::BodyDrain(std::unique_ptr<Http::BodySource> source, Sink sink, Done done,
                     QObject *parent)
    : QObject(parent)
    , m_source(std::move(source))
    , m_sink(std::move(sink))
    , m_done(std::move(done))
{
    m_source->setParent(nullptr);
    connect(m_source.get(), &Http::BodySource::readyRead, this, &BodyDrain::pump);
    connect(m_source.get(), &Http::BodySource::failed, this, &BodyDrain::pump);
    QMetaObject::invokeMethod(this, &BodyDrain::pump, Qt::QueuedConnection);
}

BodyDrain::~BodyDrain() = default;

void BodyDrain::pump()
{
    if (!m_done)
        return;
    // Bounded per turn of the event loop: a source that always has data (a file) must not
    // hold the thread for the whole object.
    for (int turn = 0; turn < 16; ++turn) {
        const QByteArray chunk = m_source->read(1024 * 1024);
        // A source reports a failure from inside read() too (failed() runs pump() again,
        // which finishes): nothing is left to do here then.
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
            return finish(false, QStringLiteral("cannot write the result"));
    }
    QMetaObject::invokeMethod(this, &BodyDrain::pump, Qt::QueuedConnection);
}

void BodyDrain::finish(bool ok, const QString &error)
{
    // The source may fail from inside read() or the sink, which runs pump() again: the inner
    // call finishes, the outer one finds nothing left to do.
    if (!m_done)
        return;
    auto done = std::move(m_done);
    m_done = nullptr;
    done(ok, error);
    deleteLater();
}

} // namespace Kiln::Target
