#include "shared/api/promtext.h"

#include <cmath>
#include <limits>

namespace Kiln::Api {

namespace {

// Reads the label set starting after '{' at *pos; leaves *pos after '}'. False when malformed.
bool parseLabels(const QByteArray &line, qsizetype *pos, QHash<QByteArray, QByteArray> *labels)
{
    qsizetype i = *pos;
    while (i < line.size() && line[i] != '}') {
        const qsizetype eq = line.indexOf('=', i);
        if (eq < 0 || eq + 1 >= line.size() || line[eq + 1] != '"')
            return false;
        const QByteArray key = line.mid(i, eq - i).trimmed();
        QByteArray value;
        qsizetype j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
            if (line[j] == '\\' && j + 1 < line.size()) {
                ++j;
                value += line[j] == 'n' ? '\n' : line[j];
            } else {
                value += line[j];
            }
        }
        if (j >= line.size())
            return false;
        labels->insert(key, value);
        i = j + 1;
        if (i < line.size() && line[i] == ',')
            ++i;
    }
    if (i >= line.size())
        return false;
    *pos = i + 1;
    return true;
}

double parseValue(const QByteArray &text, bool *ok)
{
    if (text == "+Inf")
        return std::numeric_limits<double>::infinity();
    if (text == "-Inf")
        return -std::numeric_limits<double>::infinity();
    if (text == "NaN")
        return std::nan("");
    return text.toDouble(ok);
}

} // namespace

QList<PromSample> parsePromText(const QByteArray &text)
{
    QList<PromSample> samples;
    for (const QByteArray &raw : text.split('\n')) {
        const QByteArray line = raw.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        PromSample s;
        qsizetype pos = 0;
        while (pos < line.size() && line[pos] != '{' && line[pos] != ' ')
            ++pos;
        s.name = line.left(pos);
        if (pos < line.size() && line[pos] == '{') {
            ++pos;
            if (!parseLabels(line, &pos, &s.labels))
                continue;
        }
        // The value, then an optional timestamp.
        const QList<QByteArray> rest = line.mid(pos).trimmed().split(' ');
        bool ok = true;
        s.value = parseValue(rest.value(0), &ok);
        if (ok && !s.name.isEmpty())
            samples.append(std::move(s));
    }
    return samples;
}

} // namespace Kiln::Api
