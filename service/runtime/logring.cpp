#include "service/runtime/logring.h"

namespace Kiln::Runtime {

void LogRing::append(const QByteArray &data)
{
    m_total += data.size();
    if (data.size() >= m_capacity) {
        m_data = data.right(m_capacity);
        return;
    }
    const qsizetype overflow = m_data.size() + data.size() - m_capacity;
    if (overflow > 0) {
        // Cut at a line boundary when one is near, so the first line is not a fragment.
        qsizetype cut = overflow;
        const qsizetype nl = m_data.indexOf('\n', overflow);
        if (nl >= 0 && nl - overflow < 4096)
            cut = nl + 1;
        m_data.remove(0, cut);
    }
    m_data.append(data);
}

QByteArray LogRing::tail(int lines) const
{
    qsizetype pos = m_data.size();
    if (pos > 0 && m_data.endsWith('\n'))
        --pos;
    for (int i = 0; i < lines && pos > 0; ++i) {
        pos = m_data.lastIndexOf('\n', pos - 1);
        if (pos < 0) {
            pos = 0;
            break;
        }
    }
    return m_data.mid(pos == 0 ? 0 : pos + 1).trimmed();
}

} // namespace Kiln::Runtime
