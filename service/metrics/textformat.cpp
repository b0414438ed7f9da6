#include "service/metrics/textformat.h"

#include "service/metrics/family.h"

#include <charconv>
#include <cmath>

namespace Kiln::Metrics {

namespace {

const char *typeName(MetricType type)
{
    switch (type) {
    case MetricType::Counter:
        return "counter";
    case MetricType::Gauge:
        return "gauge";
    case MetricType::Histogram:
        return "histogram";
    }
    return "untyped";
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs labelPairs(const ConstLabels &constLabels, const FamilyBase &family,
                 const LabelValues &values)
{
    Pairs pairs(constLabels.begin(), constLabels.end());
    for (std::size_t i = 0; i < family.labelNames().size() && i < values.size(); ++i)
        pairs.emplace_back(family.labelNames()[i], values[i]);
    return pairs;
}

void appendSample(QByteArray &out, const std::string &name, const Pairs &labels,
                  const std::string &value)
{
    out += name.c_str();
    if (!labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < labels.size(); ++i) {
            if (i)
                out += ',';
            out += labels[i].first.c_str();
            out += "=\"";
            out += escapeLabelValue(labels[i].second).c_str();
            out += '"';
        }
        out += '}';
    }
    out += ' ';
    out += value.c_str();
    out += '\n';
}

void appendHistogram(QByteArray &out, const std::string &name, Pairs labels,
                     const Histogram::Snapshot &s)
{
    labels.emplace_back("le", std::string());
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        labels.back().second = i < s.bounds.size() ? formatValue(s.bounds[i]) : "+Inf";
        appendSample(out, name + "_bucket", labels, std::to_string(s.cumulative[i]));
    }
    labels.pop_back();
    appendSample(out, name + "_sum", labels, formatValue(s.sum));
    appendSample(out, name + "_count", labels, std::to_string(s.count()));
}

} // namespace

std::string escapeHelp(const std::string &text)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escapeLabelValue(const std::string &value)
{
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string formatValue(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(value));
    char buffer[32];
    // Shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
    const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, end);
}

void appendFamily(QByteArray &out, const FamilyBase &family, const ConstLabels &constLabels)
{
    const std::string &name = family.name();
    out += "# HELP " + QByteArray::fromStdString(name) + ' '
        + QByteArray::fromStdString(escapeHelp(family.help())) + '\n';
    out += "# TYPE " + QByteArray::fromStdString(name) + ' ' + typeName(family.type()) + '\n';
    if (auto *counters = dynamic_cast<const CounterFamily *>(&family)) {
        counters->forEach([&](const LabelValues &values, const Counter &c) {
            appendSample(out, name, labelPairs(constLabels, family, values),
                         std::to_string(c.value()));
        });
    } else if (auto *gauges = dynamic_cast<const GaugeFamily *>(&family)) {
        gauges->forEach([&](const LabelValues &values, const Gauge &g) {
            appendSample(out, name, labelPairs(constLabels, family, values),
                         formatValue(g.value()));
        });
    } else if (auto *histograms = dynamic_cast<const HistogramFamily *>(&family)) {
        histograms->forEach([&](const LabelValues &values, const Histogram &h) {
            appendHistogram(out, name, labelPairs(constLabels, family, values), h.snapshot());
        });
    }
}

} // namespace Kiln::Metrics
