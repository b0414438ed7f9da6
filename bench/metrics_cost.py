#!/usr/bin/env python3
"""The CPU cost of the metrics on the GET path: target CPU per 16 KiB GET with metrics on (the
default) and with KILN_METRICS=off, measured like get_cpu_per_gib.py so that a busy, small
machine disturbs it little: both 1-target clusters run at once, short keep-alive GET runs
straight to the target alternate between them for several rounds, and the report gives the
medians of target CPU microseconds per request and their ratio (on / off).

    .venv/bin/python bench/metrics_cost.py
    .venv/bin/python bench/metrics_cost.py --rounds 2 --duration 2     # smoke test

On a shared 2-CPU machine the round-to-round spread of CPU per GET is a few percent, more than
the metrics cost, so the report adds the cost of the metrics calls alone, from the micro-bench
bench/cpp/metrics_observe_bench.cpp (built here with `cmake --build build --target
kiln_metrics_observe_bench`), set against the CPU of one GET.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpload  # noqa: E402
import kilnbench as kb  # noqa: E402

BUCKET = "bench"
VARIANTS = [("metrics on", {}), ("metrics off", {"KILN_METRICS": "off"})]


def measure(args, kilnd: Path, work: Path) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}
    clusters = []
    try:
        contenders = {}
        for name, env in VARIANTS:
            slug = name.replace(" ", "-")
            cl = kb.KilnCluster(kilnd, work / slug, 1, log_path=work / f"{slug}.log", env=env)
            clusters.append(cl.__enter__())
            urls = cl.fill(BUCKET, args.objects, args.size)
            turl = cl.target_urls()["target-1"]
            has_metrics = requests.get(f"{turl}/metrics", timeout=10).status_code == 200
            assert has_metrics == (not env), f"{name}: /metrics answered {has_metrics}"
            contenders[name] = (urls, [cl.nodes()["target-1"]])
        for urls, _ in contenders.values():
            httpload.run_load(urls, 4, 1.0)  # warm-up: page cache, connections
        for rnd in range(args.rounds):
            order = list(contenders.items())
            if rnd % 2:
                order.reverse()  # neither variant always runs first
            for name, (urls, procs) in order:
                c0 = kb.cpu_seconds(procs)
                r = httpload.run_load(urls, args.connections, args.duration)
                cpu = kb.cpu_seconds(procs) - c0
                row = {"cpu_us_per_req": cpu / max(1, r["requests"]) * 1e6,
                       "req_s": r["requests"] / args.duration, "errors": r["errors"]}
                results.setdefault(name, []).append(row)
                print(f"r{rnd + 1} {name:12} {row['cpu_us_per_req']:7.1f} CPU us/GET  "
                      f"{row['req_s']:7.0f} GET/s  {row['errors']} errors", flush=True)
    finally:
        for cl in clusters:
            cl.__exit__(None, None, None)
    return results


def micro_bench(kilnd: Path) -> str:
    exe = kilnd.parents[1] / "bench/cpp/kiln_metrics_observe_bench"
    subprocess.run(["cmake", "--build", str(kilnd.parents[1]), "--target", exe.name],
                   check=True, stdout=subprocess.DEVNULL)
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout


def observe_ns(table: str) -> float:
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0].startswith("RequestMetrics::observe") and cells[1] == "1":
            return float(cells[2])
    raise ValueError("no single-thread observe row in the micro-bench output")


def report(args, facts, command, results, micro: str) -> str:
    med = {n: statistics.median(r["cpu_us_per_req"] for r in rows) for n, rows in results.items()}
    ratio = med["metrics on"] / med["metrics off"]
    lines = ["# GET 16 KiB: CPU cost of the metrics\n",
             kb.facts_markdown(facts, command),
             f"- {args.objects} x {args.size} B objects per 1-target cluster, both clusters "
             f"running at once; {args.rounds} rounds of {args.duration:g} s keep-alive GET runs "
             f"({args.connections} connections, bench/httpload.py, straight to the target) "
             "alternate between them.\n",
             "- CPU us/GET: user+system CPU of the target process per request (psutil), median "
             "over the rounds (min-max in brackets).\n\n",
             "| variant | CPU us/GET | GET/s | errors |", "|---|---|---|---|"]
    for name, rows in results.items():
        cpus = [r["cpu_us_per_req"] for r in rows]
        lines.append(f"| {name} | {med[name]:.1f} ({min(cpus):.1f}-{max(cpus):.1f}) | "
                     f"{statistics.median(r['req_s'] for r in rows):.0f} | "
                     f"{sum(r['errors'] for r in rows)} |")
    spans = [(min(r["cpu_us_per_req"] for r in rows), max(r["cpu_us_per_req"] for r in rows))
             for rows in results.values()]
    overlap = max(lo for lo, _ in spans) <= min(hi for _, hi in spans)
    lines.append(f"\n**on / off = {ratio:.3f}** ({(ratio - 1) * 100:+.1f} % target CPU per GET "
                 "with the metrics on); the two variants' min-max ranges "
                 + ("overlap: the difference is within the round-to-round spread.\n" if overlap
                    else "do not overlap.\n"))
    ns = observe_ns(micro)
    lines += ["## The metrics calls alone\n",
              "`build/bench/cpp/kiln_metrics_observe_bench` (bench/cpp/metrics_observe_bench.cpp), "
              "2 M calls per row; with 2 threads both update the same series:\n", micro,
              f"One GET's metrics cost {ns:.0f} ns (`RequestMetrics::observe`) against "
              f"{med['metrics off']:.1f} us of target CPU per 16 KiB GET without metrics: "
              f"**{ns / (med['metrics off'] * 1000) * 100:.2f} %** of the GET's CPU.\n"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default build-bench/, then build/)")
    ap.add_argument("--objects", type=int, default=256)
    ap.add_argument("--size", type=int, default=16 * 1024)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per run")
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/metrics_cost.md"))
    args = ap.parse_args()
    kilnd = kb.find_kilnd(args.kilnd)
    facts = kb.machine_facts(kilnd)
    command = kb.command_line(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-metrics-"))
    try:
        results = measure(args, kilnd, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    micro = micro_bench(kilnd)
    text = report(args, facts, command, results, micro)
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({"facts": facts, "command": command, "results": results,
                    "micro_bench": micro}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
