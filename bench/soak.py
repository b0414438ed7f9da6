#!/usr/bin/env python3
"""Soak: --clients concurrent clients for --seconds on a 3-target cluster (kilnd, 127.0.0.1),
mixing PUT, GET, inline GET through ETLs, offline ETL jobs and ETL restarts. Every read is
checked byte-exact; RSS, open fds and threads of every kilnd are sampled over time. Reports
errors (goal 0), p50/p99 per operation per minute, and the growth of RSS and fds (goal: flat).

Each client owns its own names (so what it last wrote is what it must read back) and also reads
a shared, never-rewritten set. Two ETLs (hpush echo servers) take turns: while one is being
restarted (stop, start) the clients use the other, so a restart is not counted as an error.
One client thread runs an offline etl-bck job of the shared set every --job-every seconds and
checks every result. Bounded: the run ends after --seconds, whatever happens.
Writes bench/results/soak.md and .json.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "integration")]

import etlharness as eh  # noqa: E402
import jobapi  # noqa: E402
import kilnbench  # noqa: E402
import kilnharness as kh  # noqa: E402


class Stats:
    def __init__(self, t0: float):
        self.t0 = t0
        self.lock = threading.Lock()
        self.lat = collections.defaultdict(list)  # (op, minute) -> seconds
        self.count = collections.Counter()
        self.errors = collections.Counter()
        self.samples = []  # error texts, the first few

    def ok(self, op: str, took: float) -> None:
        with self.lock:
            self.lat[(op, int((time.monotonic() - self.t0) // 60))].append(took)
            self.count[op] += 1

    def fail(self, op: str, why: str) -> None:
        with self.lock:
            self.errors[op] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{op}: {why}"[:300])


class EtlPair:
    """Two ETL names; `usable()` is one not being restarted."""

    def __init__(self, names):
        self.names = list(names)
        self.down = None
        self.lock = threading.Lock()

    def usable(self) -> str:
        with self.lock:
            return next(n for n in self.names if n != self.down)


def client(url, stats, deadline, idx, shared, etls, sizes):
    s = requests.Session()
    rng = random.Random(idx)
    mine: dict[str, bytes] = {}
    while time.monotonic() < deadline:
        op = rng.choices(["put", "get", "get_shared", "inline"], [3, 3, 2, 2])[0]
        t0 = time.monotonic()
        try:
            if op == "put" or not mine and op == "get":
                op = "put"
                name = f"c{idx}/o{rng.randrange(40)}"
                data = rng.randbytes(rng.choice(sizes))
                r = s.put(url + kh.obj_path("soak", name), data=data, timeout=60)
                if r.status_code != 200:
                    raise AssertionError(f"{r.status_code} {r.text[:200]}")
                mine[name] = data
            elif op == "get":
                name, data = rng.choice(list(mine.items()))
                r = s.get(url + kh.obj_path("soak", name), timeout=60)
                if r.status_code != 200 or r.content != data:
                    raise AssertionError(f"{name}: {r.status_code}, {len(r.content)} B")
            else:
                name, data = rng.choice(shared)
                params = {"etl_name": etls.usable()} if op == "inline" else {}
                r = s.get(url + kh.obj_path("shared", name), params=params, timeout=60)
                if r.status_code != 200 or r.content != data:
                    raise AssertionError(f"{name} {params}: {r.status_code}, {len(r.content)} B "
                                         f"{r.text[:120] if r.status_code != 200 else ''}")
            stats.ok(op, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001 - every failure is counted, none stops the run
            stats.fail(op, f"{type(e).__name__}: {e}")


def restarter(api, etls, stats, deadline, every):
    while time.monotonic() + every < deadline:
        time.sleep(every)
        name = etls.names[0] if etls.down != etls.names[0] else etls.names[1]
        with etls.lock:
            etls.down = name
        time.sleep(2)  # requests already routed to it finish
        t0 = time.monotonic()
        stop = api.http.post(f"{api.url}/v1/etl/{name}/stop", timeout=120)
        start = api.http.post(f"{api.url}/v1/etl/{name}/start", timeout=120)
        if stop.status_code == 200 and start.status_code == 200:
            stats.ok("etl_restart", time.monotonic() - t0)
        else:
            stats.fail("etl_restart", f"stop {stop.status_code} start {start.status_code}")
        with etls.lock:
            etls.down = None


def jobs(cluster, stats, deadline, every, shared, etls):
    n = 0
    while time.monotonic() + every < deadline:
        time.sleep(every)
        n += 1
        dst = f"soakjob{n}"
        t0 = time.monotonic()
        try:
            jid = jobapi.start(cluster.url, "shared", {"id": etls.usable()}, dst=dst).text.strip()
            st = kh.wait_until(lambda: (x := jobapi.status(cluster.url, jid))["end_time"] > 0
                               and x, 300, f"job {jid}", interval=0.5)
            if st["aborted"] or st["err"]:
                raise AssertionError(f"job {jid}: {st}")
            for name, data in shared:
                r = requests.get(cluster.url + kh.obj_path(dst, name), timeout=60)
                if r.content != data:
                    raise AssertionError(f"{dst}/{name}: {r.status_code}, {len(r.content)} B")
            stats.ok("offline_job", time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001
            stats.fail("offline_job", f"{type(e).__name__}: {e}")


def sampler(cluster, deadline, every, out):
    procs = {p.name: psutil.Process(p.pid) for p in [cluster.proxy, *cluster.targets]}
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        row = {"t": round(time.monotonic() - t0, 1)}
        for name, p in procs.items():
            try:
                row[name] = {"rss_mib": p.memory_info().rss / 2**20, "fds": p.num_fds(),
                             "threads": p.num_threads()}
            except psutil.Error:
                row[name] = None
        out.append(row)
        time.sleep(every)


def pct(values, q):
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def report(stats, samples, args, facts, argv) -> str:
    ops = sorted({op for op, _ in stats.lat})
    minutes = sorted({m for _, m in stats.lat})
    rows = ["| op | " + " | ".join(f"min {m}: p50 / p99 ms (n)" for m in minutes) + " |",
            "|---|" + "---|" * len(minutes)]
    for op in ops:
        cells = []
        for m in minutes:
            v = stats.lat.get((op, m), [])
            cells.append(f"{pct(v, 50):.1f} / {pct(v, 99):.1f} ({len(v)})" if v else "–")
        rows.append(f"| {op} | " + " | ".join(cells) + " |")
    growth = ["| node | RSS MiB first → last (max) | fds first → last (max) | threads first → last |",
              "|---|---|---|---|"]
    # After a minute of warm-up (pools, connections and caches fill in the first minute).
    first = next((x for x in samples if x["t"] >= 60), samples[0])
    last = samples[-1]
    for node in [k for k in last if k != "t"]:
        if not first.get(node) or not last.get(node):
            continue
        mx = max(s[node]["rss_mib"] for s in samples if s.get(node))
        mfd = max(s[node]["fds"] for s in samples if s.get(node))
        growth.append(f"| {node} | {first[node]['rss_mib']:.0f} → {last[node]['rss_mib']:.0f} "
                      f"({mx:.0f}) | {first[node]['fds']} → {last[node]['fds']} ({mfd}) | "
                      f"{first[node]['threads']} → {last[node]['threads']} |")
    errors = sum(stats.errors.values())
    return f"""# Soak: {args.clients} clients for {args.seconds} s on 3 targets

{kilnbench.facts_markdown(facts, kilnbench.command_line(argv))}
- Mix per client: PUT of its own names (3), GET of its own (3), GET of the shared set (2), inline
  GET through one of two hpush ETLs (2); one ETL restarted (stop + start) every
  {args.restart_every} s, the other serving meanwhile; an offline etl-bck job of the shared set
  every {args.job_every} s, every result checked. Sizes {args.sizes} bytes.
- Operations: {dict(stats.count)}. **Errors: {errors}** {dict(stats.errors)}
  {('; first: ' + ' | '.join(stats.samples[:5])) if stats.samples else ''}

## Latency per minute

""" + "\n".join(rows) + """

## Process growth (the first sample after 60 s against the last; sampled every 5 s)

""" + "\n".join(growth) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--sizes", default="4096,65536,262144")
    ap.add_argument("--restart-every", type=int, default=90)
    ap.add_argument("--job-every", type=int, default=60)
    ap.add_argument("--out", default=str(HERE / "results" / "soak.md"))
    args = ap.parse_args(argv[1:])
    sizes = [int(x) for x in args.sizes.split(",")]
    facts = kilnbench.machine_facts(kh.KILND)
    facts.pop("nginx", None)
    with tempfile.TemporaryDirectory(prefix="kiln-soak-") as tmp:
        cluster = eh.EtlCluster(Path(tmp) / "cluster", 3, Path(tmp) / "venvs")
        try:
            api = eh.EtlApi(cluster.url)
            names = ["soak-a", "soak-b"]
            for n in names:
                api.init_ok(eh.echo_spec_msg(n, cluster.marker(n)))
            kh.create_bucket(cluster.url, "soak")
            kh.create_bucket(cluster.url, "shared")
            rng = random.Random(7)
            shared = [(f"s{i:04d}", rng.randbytes(rng.choice(sizes))) for i in range(200)]
            for name, data in shared:
                assert requests.put(cluster.url + kh.obj_path("shared", name), data=data,
                                    timeout=60).status_code == 200
            t0 = time.monotonic()
            deadline = t0 + args.seconds
            stats, samples, etls = Stats(t0), [], EtlPair(names)
            threads = [threading.Thread(target=client, args=(cluster.url, stats, deadline, i,
                                                              shared, etls, sizes))
                       for i in range(args.clients)]
            threads += [threading.Thread(target=restarter,
                                         args=(api, etls, stats, deadline, args.restart_every)),
                        threading.Thread(target=jobs, args=(cluster, stats, deadline,
                                                            args.job_every, shared, etls)),
                        threading.Thread(target=sampler, args=(cluster, deadline, 5, samples))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(args.seconds + 400)
        finally:
            cluster.close()
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    text = report(stats, samples, args, facts, argv)
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(json.dumps(
        {"facts": facts, "counts": stats.count, "errors": stats.errors,
         "error_samples": stats.samples, "samples": samples}, indent=1))
    print(text)
    return 0 if not stats.errors else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
