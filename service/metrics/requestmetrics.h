#pragma once

#include "service/http/answerobserver.h"
#include "service/metrics/family.h"

#include <array>
#include <string>

namespace Kiln::Metrics {

class Registry;

// Counts a node's answered requests by kind, under AIS's names (stats/common.go and
// target_stats.go in NVIDIA/aistore): ais_<node>_get_count, ..._err_get_count,
// ..._get_bytes, ..._get_ns_total, for get, put, del, head (objects) and lst (GET on a bucket),
// plus kiln_<node>_op_duration_seconds{op} for percentiles and kiln_<node>_http_requests_total
// {method,code} for every request. A status under 400 is a success (the proxy's redirects
// included), 400 and up an error. GET counts the bytes sent, PUT the bytes received.
// Series are made up front, so observe() costs a few relaxed atomic adds on the event loop.
class RequestMetrics final
{
public:
    // nodeType: "target" or "proxy", as in AIS's metric names.
    RequestMetrics(Registry &registry, const std::string &nodeType);

    void observe(const Http::AnsweredRequest &answer);

private:
    enum Op { Get, Put, Del, Head, Lst, OpCount };
    struct OpSeries
    {
        Counter *count = nullptr;
        Counter *errors = nullptr;
        Counter *bytes = nullptr;
        Counter *nsTotal = nullptr;
        Histogram *duration = nullptr;
    };
    static int opOf(const Http::Request &request);

    std::array<OpSeries, OpCount> m_ops;
    CounterFamily *m_requests; // {method, code}
};

} // namespace Kiln::Metrics
