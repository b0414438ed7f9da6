#!/usr/bin/env python3
"""kilnd, AIStore's aisnode and nginx in one run, on the same machine and the same objects.

Starts `kilnd cluster --targets 1`, an AIStore of 1 proxy + 1 target (tests/aisnode/aisnode.py,
aisnode v1.5.0 from scripts/install-aisnode) and our own nginx whose root is the kilnd target's
bucket folder (so nginx serves the very files kilnd serves). The same random objects (16 KiB and
1 MiB) are PUT through both proxies and checked by SHA-256. Then, per round, interleaved:

  GET 16 KiB, GET 1 MiB   direct (straight at the target; nginx) with wrk and the Python client
                          (bench/httpload.py); through the proxy (kilnd 301, AIS 307, followed)
                          with the Python client only: wrk does not follow redirects
  PUT 1 MiB               direct: bench/putload.py at the Location the proxy's 307 named;
                          through the proxy: bench/httpload.py, which sends the body again
                          after the 307 (so the proxy path moves the body twice)
for each connection count (default 8 and 32). Per row, medians over the rounds of MiB/s, the
server's CPU (all its processes, in cores), MiB/s per server core, server CPU µs per request,
and the ratios kilnd / aisnode and kilnd / nginx. The machine is shared, so the CPU everything
else used during each run is recorded too ("other cores"), with the load average.

Writes bench/results/peers.md and peers.json (command, machine, load, commit). aisnode listens
on every address, so the script re-runs itself in a private network namespace (loopback only).

    .venv/bin/python bench/peers.py --quick     # 1 round of 2 s runs, ~3 min
    .venv/bin/python bench/peers.py             # 3 rounds of 5 s runs, ~12 min
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "aisnode"))
import aisnode  # noqa: E402
import httpload  # noqa: E402
import kilnbench as kb  # noqa: E402
import netns  # noqa: E402
from sidebyside import (BUCKET, PREFIX, SIZES, Side, create_bucket, fill,  # noqa: E402
                        put_run, run_facts, timed, wrk_get)

SERVERS = ("kilnd", "aisnode", "nginx")


def object_urls(side: Side, label: str, count: int, via: str) -> list[str]:
    names = [f"{PREFIX[label]}-{i:04d}" for i in range(count)]
    if side.name == "nginx":
        return [f"{side.target}/{n}" for n in names]
    base = side.proxy if via == "proxy" else side.target
    return [f"{base}/v1/objects/{BUCKET}/{n}?provider=ais" for n in names]


def py_get(side: Side, urls: list[str], conns: int, duration: float, size: int) -> dict:
    def run():
        r = httpload.run_load(urls, conns, duration)
        return {"requests": r["requests"], "req_s": r["req_s"],
                "mib_s": r["requests"] * size / r["duration"] / kb.MiB, "errors": r["errors"],
                "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "client_cpu_s": r["client_cpu_s"]}
    return timed(side, run)


def py_put_via_proxy(side: Side, conns: int, duration: float) -> dict:
    body = os.urandom(kb.MiB)
    jobs = [("PUT", f"{side.proxy}/v1/objects/{BUCKET}/pput-{i:03d}?provider=ais", body, None)
            for i in range(conns * 16)]

    def run():
        r = httpload.run_jobs(jobs, conns, duration)
        return {"requests": r["requests"], "req_s": r["req_s"], "mib_s": r["req_s"],
                "errors": r["errors"], "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                "client_cpu_s": r["client_cpu_s"]}
    return timed(side, run)


def record(runs: list, rnd: int, work: str, client: str, via: str, conns: int, side: Side,
           res: dict) -> None:
    res["us_per_req"] = (res["server_cpu"] / res["req_s"] * 1e6) if res["req_s"] else 0.0
    runs.append({"round": rnd, "work": work, "client": client, "via": via, "conns": conns,
                 "server": side.name, **res})
    print(f"  r{rnd} {work} {client} {via} c={conns} {side.name}: {res['mib_s']:.0f} MiB/s, "
          f"server {res['server_cpu']:.2f} cores ({res['us_per_req']:.0f} µs/req), "
          f"other {res['other_cpu']:.2f}, errors {res['errors']}", flush=True)


def get_runs(args, sides: list[Side], work: Path, rnd: int, runs: list) -> None:
    for label, size in SIZES.items():
        count = args.counts[label]
        for conns in args.connections:
            for client, via in (("wrk", "direct"), ("py", "direct"), ("py", "proxy")):
                order = sides if (rnd + conns) % 2 == 0 else sides[::-1]
                for side in order:
                    if side.name == "nginx" and via == "proxy":
                        continue
                    if client == "wrk":
                        res = wrk_get(side, work / f"paths-{side.name}-{PREFIX[label]}.txt",
                                      conns, args.duration, size)
                    else:
                        urls = object_urls(side, label, count, via)
                        res = py_get(side, urls, conns, args.duration, size)
                    record(runs, rnd, f"GET {label}", client, via, conns, side, res)


def put_runs(args, sides: list[Side], rnd: int, runs: list) -> None:
    for conns in args.connections:
        for via in ("direct", "proxy"):
            for side in (s for s in sides if s.name != "nginx"):
                if via == "direct":
                    res = put_run(side, conns, args.duration)
                else:
                    res = py_put_via_proxy(side, conns, args.duration)
                record(runs, rnd, "PUT 1 MiB", "py", via, conns, side, res)


def warm_up(sides: list[Side], work: Path) -> None:
    """Page cache and connections: a short wrk run per side and size, not recorded."""
    for label, size in SIZES.items():
        for side in sides:
            wrk_get(side, work / f"paths-{side.name}-{PREFIX[label]}.txt", 8, 1.0, size)


KEYS = ("req_s", "mib_s", "p50_ms", "p99_ms", "server_cpu", "per_core", "us_per_req",
        "other_cpu")


def medians(runs: list) -> dict:
    groups: dict[tuple, list] = {}
    for r in runs:
        groups.setdefault((r["work"], r["client"], r["via"], r["conns"], r["server"]), []).append(r)
    return {key: {**{k: statistics.median(r[k] for r in rs) for k in KEYS},
                  "errors": sum(r["errors"] for r in rs)} for key, rs in groups.items()}


def ratio(a: dict | None, b: dict | None, key: str) -> str:
    return f"{a[key] / b[key]:.2f}" if a and b and b[key] else "–"


def fmt(m: dict | None, key: str) -> str:
    return f"{m[key]:.0f}" if m else "–"


def report(args, facts: dict, command: str, runs: list) -> str:
    med = medians(runs)
    rows = sorted({k[:4] for k in med},
                  key=lambda k: (k[0].startswith("PUT"), k[0], k[2] != "direct", k[1], k[3]))
    lines = ["# Peers: kilnd, aisnode and nginx in one run", "",
             kb.facts_markdown(facts, command),
             f"- Mode: {'--quick' if args.quick else 'full'}; {args.rounds} round(s) (medians), "
             f"{args.duration:g} s per run; 1 target each; nginx serves kilnd's files "
             "(sendfile on, worker_processes auto); files warm in the page cache",
             "", "| work | Kiln / AIStore | Kiln / nginx | MiB/s per server core: Kiln · AIS · "
             "nginx | per core Kiln / AIS | per core Kiln / nginx | server µs per request: "
             "Kiln · AIS · nginx |", "|---|---:|---:|---|---:|---:|---|"]
    for work, client, via, conns in rows:
        k, a, n = (med.get((work, client, via, conns, s)) for s in SERVERS)
        lines.append(
            f"| {work}, {client}, {conns} conns, {via} | {ratio(k, a, 'mib_s')} | "
            f"{ratio(k, n, 'mib_s')} | {fmt(k, 'per_core')} · {fmt(a, 'per_core')} · "
            f"{fmt(n, 'per_core')} | {ratio(k, a, 'per_core')} | {ratio(k, n, 'per_core')} | "
            f"{fmt(k, 'us_per_req')} · {fmt(a, 'us_per_req')} · {fmt(n, 'us_per_req')} |")
    lines += ["", "| work | client | via | conns | server | req/s | MiB/s | p50 ms | p99 ms | "
              "server cores | µs/req | other cores | errors |",
              "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (work, client, via, conns, server), m in sorted(med.items()):
        lines.append(f"| {work} | {client} | {via} | {conns} | {server} | {m['req_s']:.0f} | "
                     f"{m['mib_s']:.0f} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
                     f"{m['server_cpu']:.2f} | {m['us_per_req']:.0f} | {m['other_cpu']:.2f} | "
                     f"{m['errors']} |")
    lines += ["", "Ratios: MiB/s over MiB/s (the issue's table), then MiB/s per server core. "
              "Server cores: CPU time of all the server's processes (kilnd and AIS: proxy and "
              "target; nginx: master and workers) over the run. Server µs per request: server "
              "CPU time divided by the requests completed. Other cores: the rest of the machine, "
              "clients excluded (the machine is shared with other work)."]
    return "\n".join(lines) + "\n"


def write_paths(sides: list[Side], work: Path, counts: dict[str, int]) -> None:
    for side in sides:
        for label in SIZES:
            urls = object_urls(side, label, counts[label], "direct")
            (work / f"paths-{side.name}-{PREFIX[label]}.txt").write_text(
                "".join(u[len(side.target):] + "\n" for u in urls))


def inside(args) -> None:
    kilnd = kb.find_kilnd(args.kilnd)
    facts, command = run_facts(kilnd, args.mountpaths)
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-peers-", dir=args.workdir))
    runs: list = []
    try:
        with kb.KilnCluster(kilnd, work / "kiln", targets=1,
                            extra=["--http-threads", str(args.http_threads)]) as kiln, \
                aisnode.AisCluster(targets=1, mountpaths=args.mountpaths, base=work / "ais") as ais:
            sides = [Side("kilnd", kiln.endpoint, kiln.target_urls()["target-1"],
                          list(kiln.nodes().values())),
                     Side("aisnode", ais.url, ais.targets[0].url,
                          [psutil.Process(p) for p in ais.pids()])]
            for side in sides:
                create_bucket(side.proxy)
            fill(sides, args.counts)
            port = kb.free_port()
            with kb.Nginx(work / "nginx", [(port, kiln.bucket_dir("target-1", BUCKET))]) as ng:
                sides.append(Side("nginx", "", f"http://127.0.0.1:{port}", ng.processes()))
                write_paths(sides, work, args.counts)
                warm_up(sides, work)
                for rnd in range(args.rounds):
                    get_runs(args, sides, work, rnd, runs)
                    put_runs(args, sides[:2], rnd, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    out = Path(args.out)
    text = report(args, facts, command, runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "runs": runs}, indent=1) + "\n")
    print(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--objects-16k", type=int, default=512)
    ap.add_argument("--objects-1m", type=int, default=128)
    ap.add_argument("--mountpaths", type=int, default=1, help="aisnode test mountpaths")
    ap.add_argument("--kilnd")
    ap.add_argument("--http-threads", type=int, default=0,
                    help="kilnd's HTTP threads per node (0: one per core, 1: one thread)")
    ap.add_argument("--workdir", help="scratch folder parent (default: $TMPDIR)")
    ap.add_argument("--out", default=str(HERE / "results" / "peers.md"))
    ap.add_argument("--quick", action="store_true", help="1 round of 2 s runs, few objects")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.objects_16k, args.objects_1m = 1, 2.0, 64, 16
    args.counts = {"16 KiB": args.objects_16k, "1 MiB": args.objects_1m}
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: scripts/install-deps installs it")
    if not netns.is_isolated():
        os.environ["KILN_AISNODE"] = str(aisnode.find_aisnode())
        os.environ["KILN_BENCH_COMMAND"] = kb.command_line(sys.argv)
        netns.exec_isolated([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    inside(args)


if __name__ == "__main__":
    main()
