#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace Kiln::Http {
class BodySource;
}

namespace Kiln::Target {

// Pulls a body source to its end into a sink, as the source has data, then reports once and
// deletes itself. Lives on the thread of its parent.
class BodyDrain final : public QObject
{
    Q_OBJECT
public:
    using Sink = std::function<bool(const QByteArray &)>; // false: stop, the write failed
    using Done = std::function<void(bool ok, const QString &error)>;

    BodyDrain(std::unique_ptr<Http::BodySource> source, Sink sink, Done done, QObject *parent);
    ~BodyDrain() override;

private:
    void pump();
    void finish(bool ok, const QString &error);

    std::unique_ptr<Http::BodySource> m_source;
    Sink m_sink;
    Done m_done;
};

} // namespace Kiln::Target
