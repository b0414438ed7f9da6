-- wrk script for Kiln's GET benchmark: each connection request rotates through the request
-- paths listed in a file (one per line, e.g. "/v1/objects/b/o-0001?provider=ais"), threads
-- starting at different offsets; done() prints one machine-readable summary line.
-- Usage: wrk -t2 -c8 -d10s -s bench/wrk_rotate.lua http://127.0.0.1:PORT -- PATHS_FILE

local threads = {}
local counter = 0

function setup(thread)
    counter = counter + 1
    thread:set("thread_index", counter)
    table.insert(threads, thread)
end

local paths = {}
local idx = 0

function init(args)
    for line in io.lines(args[1]) do
        if #line > 0 then
            paths[#paths + 1] = line
        end
    end
    -- thread_index is set by setup() before init() runs in the thread's own Lua state.
    idx = ((thread_index or 1) - 1) * 97 % #paths
end

function request()
    idx = idx % #paths + 1
    return wrk.format("GET", paths[idx])
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
        '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
        e.timeout, latency:percentile(50), latency:percentile(99)))
end
