#include "service/metrics/requestmetrics.h"

#include "service/http/request.h"
#include "service/metrics/registry.h"

namespace Kiln::Metrics {

namespace {

struct OpName
{
    const char *name; // AIS's: get.n -> get_count
    const char *what; // for HELP
};
constexpr OpName OpNames[] = {{"get", "GET(object)"},
                              {"put", "PUT(object)"},
                              {"del", "DELETE(object)"},
                              {"head", "HEAD(object)"},
                              {"lst", "list-objects"}};

} // namespace

RequestMetrics::RequestMetrics(Registry &registry, const std::string &nodeType)
{
    const std::string ais = "ais_" + nodeType + '_';
    auto &duration = registry.histogram("kiln_" + nodeType + "_op_duration_seconds",
                                        "time from a request's first byte to its answer's last "
                                        "(seconds), by operation",
                                        {"op"});
    for (int op = 0; op < OpCount; ++op) {
        const std::string name = OpNames[op].name;
        const std::string what = OpNames[op].what;
        OpSeries &s = m_ops[std::size_t(op)];
        s.count = &registry.counter(ais + name + "_count", what + ": total number of operations")
                       .unlabelled();
        s.errors
            = &registry.counter(ais + "err_" + name + "_count", what + ": total number of errors")
                   .unlabelled();
        if (nodeType == "target") // a proxy redirects: no object bytes pass through it
            s.bytes = &registry
                           .counter(ais + name + "_bytes",
                                    what + ": total cumulative size (bytes) of bodies")
                           .unlabelled();
        s.nsTotal = &registry
                         .counter(ais + name + "_ns_total",
                                  what + ": total cumulative time (nanoseconds)")
                         .unlabelled();
        s.duration = &duration.with({name});
    }
    m_requests
        = &registry.counter("kiln_" + nodeType + "_http_requests_total",
                            "answered HTTP requests by method and status code", {"method", "code"});
}

int RequestMetrics::opOf(const Http::Request &request)
{
    // Kiln's wire routes (shared/api/wire.h): /v1/objects/<bucket>/<object> and
    // /v1/buckets/<bucket>; a GET on a bucket is a listing (its body says "list").
    const QByteArray &path = request.rawPath;
    if (path.startsWith("/v1/objects/")) {
        if (request.method == "GET")
            return Get;
        if (request.method == "PUT")
            return Put;
        if (request.method == "DELETE")
            return Del;
        if (request.method == "HEAD")
            return Head;
        return -1;
    }
    if (request.method == "GET" && path.startsWith("/v1/buckets/") && path.size() > 12)
        return Lst;
    return -1;
}

void RequestMetrics::observe(const Http::AnsweredRequest &answer)
{
    m_requests->with({answer.request.method.toStdString(), std::to_string(answer.status)}).inc();
    const int op = opOf(answer.request);
    if (op < 0)
        return;
    OpSeries &s = m_ops[std::size_t(op)];
    if (answer.status >= 400 || answer.status == 0 || !answer.complete) {
        s.errors->inc();
        return;
    }
    s.count->inc();
    if (s.bytes)
        s.bytes->inc(std::uint64_t(op == Put ? answer.bytesIn : answer.bytesOut));
    s.nsTotal->inc(std::uint64_t(answer.elapsedNs));
    s.duration->observe(double(answer.elapsedNs) / 1e9);
}

} // namespace Kiln::Metrics
