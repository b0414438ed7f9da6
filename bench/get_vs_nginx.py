#!/usr/bin/env python3
"""GET throughput of kilnd against nginx serving the very same files.

For each cluster size (default 1 target, then 3): start `kilnd cluster`, create a bucket, PUT
OBJECTS random objects of SIZE through the proxy, then start our own nginx whose root is each
target's bucket folder (<data>/target-i/mp1/buckets/<bucket>), so both servers read identical
files from the page cache. Then, for each connection count, the same client measures for a
fixed duration:
  nginx         GET http://127.0.0.1:<nginx port>/<object>
  kilnd-direct  GET <target URL>/v1/objects/<bucket>/<object>?provider=ais (no redirect)
  kilnd-proxy   GET <proxy URL>/v1/objects/... answered 301, followed to the target
Clients: wrk (with bench/wrk_rotate.lua rotating over the objects; one host, no redirects, so
single-target nginx and kilnd-direct only) and bench/httpload.py (Python, follows redirects,
used for every case). Writes a Markdown report (default bench/results/get_vs_nginx.md) and the
raw figures next to it as JSON.

    .venv/bin/python bench/get_vs_nginx.py                 # one round: ~4 min on an idle machine
    .venv/bin/python bench/get_vs_nginx.py --rounds 3 --quiet-wait 45   # as in bench/README.md
    .venv/bin/python bench/get_vs_nginx.py --quick         # smoke test, under a minute
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpload  # noqa: E402
import kilnbench as kb  # noqa: E402
from cpumeter import wait_for_quiet  # noqa: E402

BUCKET = "bench"


def put_objects(cluster: kb.KilnCluster, count: int, size: int) -> dict[str, str]:
    """PUTs random objects through the proxy (307 followed); returns {name: sha256}."""
    cluster.create_bucket(BUCKET)
    digests = {}
    with requests.Session() as s:
        for i in range(count):
            name = f"obj-{i:04d}"
            data = os.urandom(size)
            r = s.put(cluster.object_url(BUCKET, name), data=data, timeout=60)
            r.raise_for_status()
            digests[name] = hashlib.sha256(data).hexdigest()
    return digests


def system_busy() -> tuple[float, float]:
    """(busy CPU seconds over all CPUs, steal seconds) since boot."""
    t = psutil.cpu_times()
    busy = sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0)
    return busy, getattr(t, "steal", 0.0)


def measure(client: str, target_urls: list[str], server_procs, connections: int,
            duration: float, base_url: str = "", paths_file: Path | None = None) -> dict:
    """One timed run; adds server, client and other CPU use (in cores) to the client's figures."""
    srv0 = kb.cpu_seconds(server_procs)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys0, steal0 = system_busy()
    t0 = time.monotonic()
    if client == "wrk":
        out = subprocess.run(
            ["wrk", f"-t{min(os.cpu_count() or 1, connections)}", f"-c{connections}",
             f"-d{duration:g}s", "--timeout", "10s",
             "-s", str(Path(__file__).parent / "wrk_rotate.lua"), base_url, "--", str(paths_file)],
            capture_output=True, text=True, timeout=duration + 60)
        line = next((l for l in out.stdout.splitlines() if l.startswith("WRKJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
        w = json.loads(line[len("WRKJSON "):])
        secs = w["duration_us"] / 1e6
        errors = w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"]
        good = w["requests"] - w["status"]
        res = {"requests": good, "errors": errors, "duration": secs, "req_s": good / secs,
               "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
               "wire_bytes": w["bytes"]}
    else:
        res = httpload.run_load(target_urls, connections, duration)
        secs = res["duration"]
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys1, steal1 = system_busy()
    srv = kb.cpu_seconds(server_procs) - srv0
    cli = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res["server_cpu"] = srv / wall
    res["client_cpu"] = cli / wall
    res["other_cpu"] = max(0.0, (sys1 - sys0 - srv - cli) / wall)
    res["steal_cpu"] = (steal1 - steal0) / wall
    return res


def run_cluster_size(args, kilnd: Path, work: Path, ntargets: int, rows: list) -> None:
    size = int(args.size_mib * kb.MiB)
    env = dict(kv.split("=", 1) for kv in args.kilnd_env)
    with kb.KilnCluster(kilnd, work / f"cluster-{ntargets}", ntargets,
                        log_path=work / f"kilnd-{ntargets}.log", env=env) as cluster:
        t = time.monotonic()
        digests = put_objects(cluster, args.objects, size)
        print(f"[{ntargets} target(s)] PUT {args.objects} x {args.size_mib:g} MiB through the "
              f"proxy in {time.monotonic() - t:.1f} s", flush=True)
        turls = cluster.target_urls()
        owner = {}
        for name in digests:
            found = [tn for tn in turls if (cluster.bucket_dir(tn, BUCKET) / name).is_file()]
            if len(found) != 1:
                raise RuntimeError(f"{name}: found on {found or 'no target'}")
            owner[name] = found[0]
        names = sorted(digests)
        ports = {tn: kb.free_port() for tn in turls}
        roots = [(ports[tn], cluster.bucket_dir(tn, BUCKET)) for tn in turls]
        with kb.Nginx(work / f"nginx-{ntargets}", roots, args.nginx_workers) as nginx:
            urls = {
                "nginx": [f"http://127.0.0.1:{ports[owner[n]]}/{n}" for n in names],
                "kilnd-direct": [f"{turls[owner[n]]}/v1/objects/{BUCKET}/{n}?provider=ais"
                                 for n in names],
                "kilnd-proxy": [cluster.object_url(BUCKET, n) for n in names],
            }
            # Same bytes from all three (and as PUT), before any timing.
            for i in sorted({0, len(names) // 2, len(names) - 1}):
                for server, lst in urls.items():
                    got = hashlib.sha256(requests.get(lst[i], timeout=30).content).hexdigest()
                    if got != digests[names[i]]:
                        raise RuntimeError(f"{server}: {names[i]} differs from what was PUT")
            # Page cache: both servers read the same warm files.
            for tn in turls:
                for f in cluster.bucket_dir(tn, BUCKET).iterdir():
                    f.read_bytes()
            nodes = cluster.nodes()
            targets = [p for k, p in nodes.items() if k.startswith("target")]
            procs = {"nginx": nginx.processes(), "kilnd-direct": targets,
                     "kilnd-proxy": targets + [nodes["proxy"]]}
            paths = {}
            if "wrk" in args.clients and ntargets == 1:
                for server in ("nginx", "kilnd-direct"):
                    p = work / f"paths-{server}.txt"
                    p.write_text("".join(urlsplit(u)._replace(scheme="", netloc="").geturl() + "\n"
                                         for u in urls[server]))
                    paths[server] = p
            for server in urls:  # warm-up, not recorded
                httpload.run_load(urls[server], 4, args.warmup)
            # Rounds, then connections, clients and servers: neighbouring runs are the ones
            # compared, so slow drifts of the machine's load hit both sides alike.
            for rnd, conns in ((r, c) for r in range(args.rounds) for c in args.connections):
                for client in args.clients:
                    if client == "wrk" and ntargets != 1:
                        continue  # wrk talks to one host and does not follow redirects
                    servers = ["nginx", "kilnd-direct"]
                    if client == "py":
                        servers.append("kilnd-proxy")  # wrk does not follow redirects
                    for server in servers:
                        if args.quiet_wait:
                            wait_for_quiet(args.quiet_wait)
                        first = urlsplit(urls[server][0])
                        res = measure(client, urls[server], procs[server], conns, args.duration,
                                      base_url=f"{first.scheme}://{first.netloc}",
                                      paths_file=paths.get(server))
                        res["mib_s"] = res["requests"] * size / res["duration"] / kb.MiB
                        res.update(targets=ntargets, client=client, connections=conns,
                                   server=server, round=rnd + 1)
                        rows.append(res)
                        print(f"[{ntargets}t r{rnd + 1} {client:3} c={conns:<3}] {server:13} "
                              f"{res['req_s']:8.1f} req/s {res['mib_s']:8.1f} MiB/s "
                              f"p50 {res['p50_ms']:6.2f} ms p99 {res['p99_ms']:6.2f} ms "
                              f"err {res['errors']} srv {res['server_cpu']:.2f} "
                              f"cli {res['client_cpu']:.2f} other {res['other_cpu']:.2f} cores",
                              flush=True)


def aggregate(rows) -> list[dict]:
    """One row per (targets, client, connections, server): the median of each figure over the
    rounds, the MiB/s range and the errors summed."""
    groups: dict = {}
    for r in rows:
        groups.setdefault((r["targets"], r["client"], r["connections"], r["server"]), []).append(r)
    out = []
    for (t, c, n, server), rs in groups.items():
        agg = {"targets": t, "client": c, "connections": n, "server": server, "rounds": len(rs),
               "errors": sum(r["errors"] for r in rs),
               "mib_min": min(r["mib_s"] for r in rs), "mib_max": max(r["mib_s"] for r in rs)}
        for k in ("req_s", "mib_s", "p50_ms", "p99_ms", "server_cpu", "client_cpu", "other_cpu"):
            agg[k] = statistics.median(r[k] for r in rs)
        out.append(agg)
    return out


def ratio(rows, r) -> str:
    if r["server"] == "nginx":
        return "1.00"
    base = next((x for x in rows if x["server"] == "nginx" and x["client"] == r["client"]
                 and x["connections"] == r["connections"] and x["targets"] == r["targets"]), None)
    return f"{r['mib_s'] / base['mib_s']:.2f}" if base and base["mib_s"] else "n/a"


def report(args, facts, command, runs) -> str:
    size = f"{args.size_mib:g} MiB"
    rows = aggregate(runs)
    kilnd_env = f" (environment: {' '.join(args.kilnd_env)})" if args.kilnd_env else ""
    out = [f"# GET throughput: kilnd vs nginx ({args.objects} x {size} objects)\n",
           kb.facts_markdown(facts, command),
           f"- Runs: {args.duration:g} s each after a {args.warmup:g} s warm-up per server, "
           f"{args.rounds} round(s) (figures are medians over the rounds; MiB/s range shown); "
           f"nginx worker_processes {args.nginx_workers}, sendfile on, access_log off; "
           f"kilnd --log-level warn{kilnd_env}; files warm in the page cache; "
           + (f"before each run up to {args.quiet_wait:g} s of waiting for the machine to be "
              "idle." if args.quiet_wait else "no waiting for an idle machine."),
           "- Clients: `wrk` = wrk 4.1 with bench/wrk_rotate.lua (threads = min(nproc, conns)); "
           "`py` = bench/httpload.py (processes = nproc, follows the proxy's 301).",
           "- CPU columns are cores in use on average during the run: the server's processes "
           "(nginx master and workers; kilnd targets, plus the proxy for the proxy path), the "
           "client's, and everything else on the machine (noise from other work). "
           "MiB/s per server core is the server's efficiency, the figure least disturbed by "
           "the client and by noise.\n",
           "## Ratios (kilnd MiB/s / nginx MiB/s, same client and connections)\n",
           "| targets | client | conns | kilnd direct / nginx | kilnd via proxy / nginx "
           "| per server core: kilnd direct / nginx |",
           "|---:|---|---:|---:|---:|---:|"]
    keys = sorted({(r["targets"], r["client"], r["connections"]) for r in rows},
                  key=lambda k: (k[0], k[1] != "wrk", k[2]))

    def pick(t, c, n, server):
        return next((x for x in rows if (x["targets"], x["client"], x["connections"], x["server"])
                     == (t, c, n, server)), None)

    for t, c, n in keys:
        direct, proxied, base = (pick(t, c, n, s) for s in ("kilnd-direct", "kilnd-proxy", "nginx"))
        eff = "n/a"
        if direct and base and direct["server_cpu"] and base["server_cpu"] and base["mib_s"]:
            per_core = direct["mib_s"] / direct["server_cpu"]
            eff = f"{per_core / (base['mib_s'] / base['server_cpu']):.2f}"
        out.append(f"| {t} | {c} | {n} | {ratio(rows, direct) if direct else '–'} | "
                   f"{ratio(rows, proxied) if proxied else '–'} | {eff} |")
    out += ["", "## All runs\n",
            "| targets | client | conns | server | req/s | MiB/s | MiB/s range | p50 ms | p99 ms "
            "| errors | server CPU | MiB/s per server core | client CPU | other CPU | vs nginx |",
            "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t, c, n in keys:
        for r in rows:
            if (r["targets"], r["client"], r["connections"]) == (t, c, n):
                out.append(f"| {t} | {c} | {n} | {r['server']} | {r['req_s']:.1f} | "
                           f"{r['mib_s']:.1f} | {r['mib_min']:.0f}–{r['mib_max']:.0f} | "
                           f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
                           f"{r['errors']} | {r['server_cpu']:.2f} | "
                           f"{r['mib_s'] / r['server_cpu'] if r['server_cpu'] else 0:.0f} | "
                           f"{r['client_cpu']:.2f} | "
                           f"{r['other_cpu']:.2f} | {ratio(rows, r)} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default build-bench/, then build/)")
    ap.add_argument("--objects", type=int, default=256)
    ap.add_argument("--size-mib", type=float, default=1.0)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per server")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every run; report medians")
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--targets", type=int, nargs="+", default=[1, 3], help="cluster sizes")
    ap.add_argument("--clients", nargs="+", default=["wrk", "py"], choices=["wrk", "py"])
    ap.add_argument("--kilnd-env", nargs="*", default=[], metavar="NAME=VALUE",
                    help="extra environment for kilnd (e.g. GLIBC_TUNABLES=... for an A/B run)")
    ap.add_argument("--nginx-workers", default="auto")
    ap.add_argument("--quiet-wait", type=float, default=30.0,
                    help="before each run wait up to this many seconds for the machine to be "
                         "idle (< 0.3 cores busy); 0: do not wait")
    ap.add_argument("--workdir", help="scratch folder (default: a new one under $TMPDIR)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/get_vs_nginx.md"))
    ap.add_argument("--quick", action="store_true", help="64 objects, 3 s runs, 1 target")
    args = ap.parse_args()
    if args.quick:
        args.objects, args.warmup, args.targets = 64, 1.0, [1]
        args.duration = min(args.duration, 3.0)
    if "wrk" in args.clients and not shutil.which("wrk"):
        print("wrk not found (apt-get install wrk): using the Python client only", file=sys.stderr)
        args.clients = [c for c in args.clients if c != "wrk"]
    if not shutil.which("nginx"):
        raise SystemExit("nginx not found (apt-get install nginx-light)")
    kilnd = kb.find_kilnd(args.kilnd)
    command = kb.command_line(sys.argv)
    facts = kb.machine_facts(kilnd)
    facts["wrk"] = kb._run(["wrk", "-v"]).split(" [")[0] if "wrk" in args.clients else "not used"
    work = Path(args.workdir or tempfile.mkdtemp(prefix="kiln-bench-get-"))
    need = 1.1 * args.objects * args.size_mib * kb.MiB * len(args.targets)
    if shutil.disk_usage(work).free < need:
        raise SystemExit(f"not enough free disk in {work}")
    rows: list = []
    try:
        for n in args.targets:
            run_cluster_size(args, kilnd, work, n, rows)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = report(args, facts, command, rows)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "runs": rows}, indent=1) + "\n")
    print("\n" + text)
    print(f"written: {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
