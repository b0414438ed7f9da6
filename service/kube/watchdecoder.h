#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Kiln::Kube {

// One event of a watch stream: {"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}.
struct WatchEvent
{
    QString type; // empty when the line was not a JSON object with a type
    QJsonObject object;
    QString resourceVersion; // object.metadata.resourceVersion, when there is one
    int statusCode = 0; // an ERROR event's Status code (410: the version is too old)
    QString message; // an ERROR event's Status message
};

// Splits a watch stream (newline-delimited JSON, in chunks as the network hands them over) into
// events. Blank lines are skipped. A line longer than MaxLineBytes is not a watch event from a
// sane server: overflowed() says so and the bytes are dropped, so memory stays bounded. Pure:
// no I/O, no Qt event loop (the fuzz target drives it directly).
class WatchDecoder final
{
public:
    static constexpr qsizetype MaxLineBytes = 32 * 1024 * 1024;

    // The events of the lines these bytes complete, in order.
    QList<WatchEvent> feed(const QByteArray &bytes);
    void clear();
    bool overflowed() const { return m_overflowed; }
    qsizetype pendingBytes() const { return m_buffer.size(); }

    static WatchEvent decodeLine(const QByteArray &line);

private:
    QByteArray m_buffer; // bytes of an event not yet ended by '\n'
    bool m_overflowed = false;
};

} // namespace Kiln::Kube
