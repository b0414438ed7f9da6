#pragma once

#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace Kiln::Http {

class BodySource;

// Pulls a body source to its end into a sink (a file, a writer) as the source produces, in
// chunks of at most 1 MiB (16 a turn of the event loop), and reports once: ok, or why not.
// Deletes itself after reporting; a sink that refuses a chunk ends it. Lives on the thread of
// its parent. The one drain for ETL pipelines, object delivery and offline jobs.
class BodyDrain final : public QObject
{
    Q_OBJECT
public:
    using Sink = std::function<bool(const QByteArray &chunk)>;
    using Done = std::function<void(bool ok, const QString &error)>;

    BodyDrain(std::unique_ptr<BodySource> source, Sink sink, Done done, QObject *parent);
    ~BodyDrain() override;

private:
    void pump();
    void finish(bool ok, const QString &error);

    std::unique_ptr<BodySource> m_source;
    Sink m_sink;
    Done m_done; // empty once reported
};

} // namespace Kiln::Http
