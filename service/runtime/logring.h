#pragma once

#include <QByteArray>

namespace Kiln::Runtime {

// The last `capacity` bytes an instance wrote (stdout and stderr interleaved). Bounded, so a
// chatty transformer cannot grow the target; kept after the instance dies, so its last words
// explain the crash.
class LogRing
{
public:
    explicit LogRing(qsizetype capacity = 4 * 1024 * 1024)
        : m_capacity(capacity)
    {}

    void append(const QByteArray &data);
    QByteArray contents() const { return m_data; }
    // The last n lines, for error messages.
    QByteArray tail(int lines) const;
    qint64 totalBytes() const { return m_total; }

private:
    qsizetype m_capacity;
    QByteArray m_data;
    qint64 m_total = 0;
};

} // namespace Kiln::Runtime
