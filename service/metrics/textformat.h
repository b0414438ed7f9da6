#pragma once

#include <QByteArray>

#include <string>
#include <utility>
#include <vector>

namespace Kiln::Metrics {

class FamilyBase;

// Labels every series of a render carries in front of its own (AIS's node_id).
using ConstLabels = std::vector<std::pair<std::string, std::string>>;

// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
inline constexpr char TextContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Appends "# HELP", "# TYPE" and the samples of one family; a histogram's series become
// _bucket{le=...} lines (cumulative, ending with le="+Inf"), _sum and _count.
void appendFamily(QByteArray &out, const FamilyBase &family, const ConstLabels &constLabels = {});

// HELP text: backslash and line feed escaped.
std::string escapeHelp(const std::string &text);
// Label values: backslash, double quote and line feed escaped.
std::string escapeLabelValue(const std::string &value);
// A sample value as Prometheus parses it: integers without a fraction, +Inf, -Inf, NaN.
std::string formatValue(double value);

} // namespace Kiln::Metrics
