#include "service/kube/watchdecoder.h"

#include "service/kube/kubeerror.h"

#include <QJsonDocument>

namespace Kiln::Kube {

QList<WatchEvent> WatchDecoder::feed(const QByteArray &bytes)
{
    QList<WatchEvent> out;
    m_buffer += bytes;
    qsizetype start = 0;
    qsizetype end;
    while ((end = m_buffer.indexOf('\n', start)) >= 0) {
        const QByteArray line = m_buffer.sliced(start, end - start).trimmed();
        start = end + 1;
        if (!line.isEmpty())
            out.append(decodeLine(line));
    }
    m_buffer.remove(0, start);
    if (m_buffer.size() > MaxLineBytes) {
        m_overflowed = true;
        m_buffer.clear();
    }
    return out;
}

void WatchDecoder::clear()
{
    m_buffer.clear();
    m_overflowed = false;
}

WatchEvent WatchDecoder::decodeLine(const QByteArray &line)
{
    const QJsonObject ev = QJsonDocument::fromJson(line).object();
    WatchEvent out;
    out.type = ev.value("type").toString();
    out.object = ev.value("object").toObject();
    out.resourceVersion =
        out.object.value("metadata").toObject().value("resourceVersion").toString();
    if (out.type == QLatin1String("ERROR")) {
        out.statusCode = statusCode(out.object);
        out.message = out.object.value("message").toString();
    }
    return out;
}

} // namespace Kiln::Kube
