#!/usr/bin/env python3
"""Server CPU per GiB served by GET: kilnd against nginx (and optionally against kilnd with other
settings), measured in a way a busy, small machine disturbs little.

Wall-clock throughput on a shared 2-CPU machine swings with whatever else runs; the CPU time a
server spends per byte it sends hardly does. This script starts every contender at once (a
1-target `kilnd cluster` per variant, and nginx on the first cluster's bucket folder), then
alternates short GET runs between them for several rounds, and reports per contender the
medians of: target CPU seconds per GiB (psutil), page faults per request (`perf stat`, if perf
is installed) and MiB/s. Client: bench/httpload.py, keep-alive, straight to the target.

    .venv/bin/python bench/get_cpu_per_gib.py
    .venv/bin/python bench/get_cpu_per_gib.py --variant 'malloc=GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432'
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpload  # noqa: E402
import kilnbench as kb  # noqa: E402

BUCKET = "bench"


def page_faults(perf_out: Path) -> float:
    for line in perf_out.read_text().splitlines():
        if "page-faults" in line:
            try:
                return float(line.split(",")[0])
            except ValueError:
                return float("nan")
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default build-bench/, then build/)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=VAR=VALUE",
                    help="an extra kilnd contender run with VAR=VALUE in its environment")
    ap.add_argument("--objects", type=int, default=64)
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per run")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/get_cpu_per_gib.md"))
    args = ap.parse_args()
    kilnd = kb.find_kilnd(args.kilnd)
    facts = kb.machine_facts(kilnd)
    command = kb.command_line(sys.argv)
    perf = shutil.which("perf")
    variants = [("kilnd", {})]
    for v in args.variant:
        name, var, value = v.split("=", 2)
        variants.append((name, {var: value}))
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-cpu-"))
    results: dict = {}
    clusters = []
    try:
        contenders = {}
        for name, env in variants:
            cl = kb.KilnCluster(kilnd, work / name, 1, log_path=work / f"{name}.log", env=env)
            clusters.append(cl.__enter__())
            urls = cl.fill(BUCKET, args.objects, kb.MiB)
            contenders[name] = (urls, [cl.nodes()["target-1"]])
        port = kb.free_port()
        nginx = kb.Nginx(work / "nginx", [(port, clusters[0].bucket_dir("target-1", BUCKET))])
        nginx.__enter__()
        try:
            contenders["nginx"] = ([f"http://127.0.0.1:{port}/obj-{i:04d}"
                                    for i in range(args.objects)], nginx.processes())
            for urls, _ in contenders.values():
                httpload.run_load(urls, 4, 1.0)  # warm-up: page cache, connections
            for rnd in range(args.rounds):
                for conns in args.connections:
                    for name, (urls, procs) in contenders.items():
                        pf_out = work / "perf.txt"
                        mon = None
                        if perf:
                            mon = subprocess.Popen(
                                [perf, "stat", "-x,", "-e", "page-faults", "-p",
                                 ",".join(str(p.pid) for p in procs), "-o", str(pf_out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                            time.sleep(0.3)
                        c0 = kb.cpu_seconds(procs)
                        r = httpload.run_load(urls, conns, args.duration)
                        cpu = kb.cpu_seconds(procs) - c0
                        faults = float("nan")
                        if mon:
                            mon.send_signal(2)
                            mon.wait(10)
                            faults = page_faults(pf_out)
                        gib = r["bytes"] / 2**30 or float("nan")
                        row = {"cpu_s_per_gib": cpu / gib,
                               "faults_per_req": faults / max(1, r["requests"]),
                               "mib_s": r["mib_s"], "errors": r["errors"]}
                        results.setdefault(f"{name}|{conns}", []).append(row)
                        print(f"r{rnd + 1} c={conns:<3} {name:10} {row['cpu_s_per_gib']:.3f} "
                              f"CPU s/GiB  {row['faults_per_req']:6.1f} faults/req  "
                              f"{row['mib_s']:7.0f} MiB/s", flush=True)
        finally:
            nginx.__exit__(None, None, None)
    finally:
        for cl in clusters:
            cl.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)

    lines = ["# GET: server CPU per GiB served, kilnd vs nginx\n",
             kb.facts_markdown(facts, command),
             f"- {args.objects} x 1 MiB objects per 1-target cluster; nginx serves the first "
             "cluster's bucket folder. All contenders run at once; "
             f"{args.rounds} rounds of {args.duration:g} s GET runs alternate between them "
             "(bench/httpload.py, straight to the target). Figures are medians over the rounds.",
             "- CPU s/GiB: user+system CPU of the target (nginx: master and workers) per GiB of "
             "bodies sent. Page faults per request from `perf stat -e page-faults`.",
             "- Variants: " + (", ".join(f"`{n}`: {' '.join(f'{k}={v}' for k, v in e.items())}"
                                         for n, e in variants[1:]) or "none") + "\n",
             "| conns | server | CPU s/GiB | vs nginx | page faults/request | MiB/s | errors |",
             "|---:|---|---:|---:|---:|---:|---:|"]
    for conns in args.connections:
        base = statistics.median(r["cpu_s_per_gib"] for r in results[f"nginx|{conns}"])
        for name in [n for n, _ in variants] + ["nginx"]:
            rows = results[f"{name}|{conns}"]
            cpu = statistics.median(r["cpu_s_per_gib"] for r in rows)
            lines.append(f"| {conns} | {name} | {cpu:.3f} | {cpu / base:.2f} | "
                         f"{statistics.median(r['faults_per_req'] for r in rows):.1f} | "
                         f"{statistics.median(r['mib_s'] for r in rows):.0f} | "
                         f"{sum(r['errors'] for r in rows)} |")
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "runs": results}, indent=1) + "\n")
    print("\n" + text)
    print(f"written: {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
