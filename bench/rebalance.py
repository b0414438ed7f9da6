#!/usr/bin/env python3
"""Global rebalance: MiB/s moved per target when a fourth target joins three, and the GET p99
during that rebalance against the same cluster idle, in one run.

Starts a proxy and three targets (kilnd, 127.0.0.1, a temporary folder), writes --objects
objects of --size bytes, measures a bounded GET loop while idle, then joins a fourth target
and runs the same GET loop until every target reports the rebalance of the new map done. Writes
bench/results/rebalance.md (command, machine, load, commit, figures).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "integration")]

import kilnbench  # noqa: E402
import kilnharness as kh  # noqa: E402
import rebalanceharness as rh  # noqa: E402


def p99_ms(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98] * 1000


def get_loop(cluster, bucket, objects, max_gets):
    loop = rh.GetLoop(cluster.url, bucket, objects, max_gets=max_gets)
    loop.start()
    return loop


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objects", type=int, default=4000)
    ap.add_argument("--size", type=int, default=64 * 1024, help="bytes per object")
    ap.add_argument("--idle-gets", type=int, default=1500)
    ap.add_argument("--out", default=str(HERE / "results" / "rebalance.md"))
    args = ap.parse_args(argv[1:])
    facts = kilnbench.machine_facts(kh.KILND)
    facts.pop("nginx", None)
    with tempfile.TemporaryDirectory(prefix="kiln-rebalance-") as tmp:
        cluster = kh.Cluster(Path(tmp), 3, keepalive=("1s", "3s"))
        try:
            kh.create_bucket(cluster.url, "bench")
            objects = {k: (v * (args.size // len(v) + 1))[: args.size]
                       for k, v in rh.payloads(args.objects).items()}
            rh.put_many(cluster.url, "bench", objects)
            idle = get_loop(cluster, "bench", objects, args.idle_gets)
            idle.join(300)
            during = get_loop(cluster, "bench", objects, 10**6)
            t0 = time.monotonic()
            cluster.start_target(Path(tmp) / "target-4", name="target-4")
            states = rh.wait_rebalanced(cluster, timeout=300)
            seconds = time.monotonic() - t0
            during.stop()
            failures = idle.failures + during.failures
            assert rh.mismatches(cluster.url, "bench", objects) == []
        finally:
            cluster.close()
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*__import__("os").getloadavg())
    moved = sum(s["received_bytes"] for s in states)
    rows = [f"| {s['id']} on {i} | {s['sent_objects']} | {s['sent_bytes'] / 2**20:.1f} | "
            f"{s['sent_bytes'] / 2**20 / seconds:.1f} | {s['received_objects']} | "
            f"{s['received_bytes'] / 2**20 / seconds:.1f} |" for i, s in enumerate(states)]
    idle_p99, during_p99 = p99_ms(idle.latencies), p99_ms(during.latencies)
    text = f"""# Global rebalance: a fourth target joins three

{kilnbench.facts_markdown(facts, kilnbench.command_line(argv))}
- Data: {args.objects} objects of {args.size} bytes ({args.objects * args.size / 2**20:.0f} MiB)
  on 3 targets; target-4 joins; the rebalance ran {seconds:.2f} s from the join until every
  target reported it done, moving {moved / 2**20:.1f} MiB ({moved / 2**20 / seconds:.1f} MiB/s
  in all).
- GET (one client thread, random objects, every byte checked): idle {len(idle.latencies)} GETs,
  p99 {idle_p99:.2f} ms, median {statistics.median(idle.latencies) * 1000:.2f} ms; during the
  rebalance {len(during.latencies)} GETs, p99 {during_p99:.2f} ms, median
  {statistics.median(during.latencies) * 1000:.2f} ms. **p99 during / idle: {during_p99 / idle_p99:.2f}**.
  Wrong answers: {len(failures)}.

| target (rebalance id) | objects sent | MiB sent | MiB/s sent | objects received | MiB/s received |
|---|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    Path(args.out).write_text(text)
    print(text)
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
