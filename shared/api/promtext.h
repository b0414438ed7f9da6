#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>

namespace Kiln::Api {

// One sample line of the Prometheus text format: name{labels} value.
struct PromSample
{
    QByteArray name;
    QHash<QByteArray, QByteArray> labels; // values unescaped
    double value = 0;
};

// The samples of a Prometheus text exposition (format 0.0.4, as kilnd's GET /metrics writes
// it); comment lines and lines that do not parse are skipped.
QList<PromSample> parsePromText(const QByteArray &text);

} // namespace Kiln::Api
