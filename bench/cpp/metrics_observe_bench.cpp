// What the metrics add to one request, measured alone: the nanoseconds of
// RequestMetrics::observe (what every answered request costs, on the event loop) and of the
// two EtlMetrics calls of an inline transform (label lookups under a shared lock), single
// thread and with two threads on the same series. Prints a Markdown table.
#include "service/http/request.h"
#include "service/metrics/etlmetrics.h"
#include "service/metrics/registry.h"
#include "service/metrics/requestmetrics.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

using namespace Kiln;

namespace {

double nsPerCall(int threads, long calls, const std::function<void()> &fn)
{
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (long i = 0; i < calls; ++i)
                fn();
        });
    for (auto &thread : pool)
        thread.join();
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    return took.count() / double(calls); // per call of one thread (wall)
}

} // namespace

int main()
{
    Metrics::Registry registry;
    Metrics::RequestMetrics requests(registry, "target");
    Metrics::EtlMetrics etl(registry);
    Http::Request get;
    get.method = "GET";
    get.rawPath = "/v1/objects/bench/obj-0001";
    const Http::AnsweredRequest answer{get, 200, 0, 16384, 180000, true};
    const QString name = QStringLiteral("md5-bench"), comm = QStringLiteral("hpush");
    constexpr long Calls = 2'000'000;

    std::printf("| call | threads | ns per call |\n|---|---|---|\n");
    for (int threads : {1, 2}) {
        std::printf("| RequestMetrics::observe (GET 200) | %d | %.1f |\n", threads,
                    nsPerCall(threads, Calls, [&] { requests.observe(answer); }));
        std::printf("| EtlMetrics::answered + streamed | %d | %.1f |\n", threads,
                    nsPerCall(threads, Calls / 4, [&] {
                        etl.answered(name, comm, true, true, 0.001);
                        etl.streamed(name, comm, 16384, 32, true);
                    }));
    }
    return 0;
}
