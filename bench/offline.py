#!/usr/bin/env python3
"""Offline transform throughput: objects/s of an `etl-bck` job (bucket to bucket through an echo
ETL) on a 3-target `kilnd cluster`, against a plain copy baseline measured in the same run.

Data sets (defaults): 10 000 objects of 16 KiB and 1 000 objects of 1 MiB, PUT through the proxy
before anything is timed. Paths, each one run per data set and round (interleaved), into a
fresh destination bucket (all destroyed after the last round of a data set: on a journal-less
ext4, creating files soon after thousands were deleted is slower, which would tax the next run):

- `etl hpush`: `POST /v1/buckets/SRC?bck_to=ais/@#/DST/ {"action":"etl-bck","value":{"id":ETL}}`,
  timed from the POST to the first `what=status` poll (every 50 ms) that shows end_time > 0. The
  ETL is tests/integration/etl_servers/offline_server.py (echo; Python ThreadingHTTPServer,
  HTTP/1.1 keep-alive, TCP_NODELAY), one instance per target, started from a pod spec.
- `etl ws`: the same job through tests/integration/etl_servers/ws_echo_server.py over ws://
  (skipped, with the reason, if that file is missing or the ETL init fails).
- `copy baseline (client GET+PUT)`: no copy-bucket action exists yet, so the baseline is the
  same bytes moved by a client: for every object, GET from the target that owns it and PUT the
  body to the target that owns the destination name, both straight to the target URLs (owners
  looked up through the proxy's redirects before timing; no proxy hop while timed), keep-alive
  http.client connections, with as many concurrent GET+PUT loops as the job had workers in
  total (3 targets x workers per target), spread over nproc processes. It pays what the job pays
  minus the ETL (the target reading the object and the instance's round trip), plus a Python
  client in place of the target-to-target PUTs.

For every run: wall seconds, objects/s, MiB/s, and the CPU used during the run by the kilnd
targets, the proxy, the ETL instances (the targets' child processes), this client (incl. the
baseline's worker processes), the kernel (softirq, kernel threads) and everything else on the
machine (from /proc via psutil, as cores in use on average, and as CPU ms per object). Every run
is checked: job not aborted, no object errors, the destination holds exactly N objects, and a
sample of them equals the source byte for byte. The report also names the data folder's file
system (`--workdir /dev/shm` takes the disk out).

`--profile` adds one more hpush run on the first data set with `perf record -g` on the three
targets (not counted in the figures) and puts the split by thread, the system calls and the top
symbols into the report.

    .venv/bin/python bench/offline.py --rounds 3 --quiet-wait 60 --profile  # the results (5-15 min)
    .venv/bin/python bench/offline.py --quick                               # smoke test (~1 min)
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kilnbench as kb  # noqa: E402

sys.path.insert(0, str(kb.REPO / "tests/integration"))
import jobapi  # noqa: E402  (the job API calls the integration tests use)
from jobapi import parallel  # noqa: E402
from cpumeter import CpuMeter, filesystem_of, wait_for_quiet  # noqa: E402

SERVERS = kb.REPO / "tests/integration/etl_servers"
OFFLINE_SERVER = SERVERS / "offline_server.py"
WS_SERVER = SERVERS / "ws_echo_server.py"
KiB = 1024
POLL = 0.05


# --- cluster calls --------------------------------------------------------------------------------


def obj_path(bucket: str, name: str) -> str:
    return f"/v1/objects/{quote(bucket, safe='')}/{quote(name, safe='/')}?provider=ais"


def pod_msg(name: str, command: list[str], comm: str) -> dict:
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{
               "name": "server", "image": "python:3.11",
               "ports": [{"name": "default", "containerPort": 8000}],
               "command": command,
               "readinessProbe": {"httpGet": {"path": "/health", "port": "default"}}}]}}
    text = yaml.safe_dump(doc, sort_keys=False)
    return {"name": name, "communication": comm, "init_timeout": "60s", "obj_timeout": "60s",
            "support_direct_put": comm.startswith("ws"),  # AIS allows ws:// only with direct put
            "spec": base64.b64encode(text.encode()).decode()}


def init_etl(endpoint: str, msg: dict) -> str | None:
    """None when running, else why not."""
    r = requests.put(f"{endpoint}/v1/etl", json=msg, timeout=120)
    return None if r.status_code == 200 else f"init answered {r.status_code}: {r.text[:300]}"


def destroy_bucket(endpoint: str, bucket: str) -> None:
    r = requests.delete(f"{endpoint}/v1/buckets/{bucket}", params={"provider": "ais"}, timeout=120)
    if r.status_code not in (200, 404):
        raise RuntimeError(f"destroy {bucket}: {r.status_code} {r.text}")


def seed(endpoint: str, bucket: str, names: list[str], size: int) -> None:
    def put(s, name):
        r = s.put(endpoint + obj_path(bucket, name), data=os.urandom(size), timeout=120)
        if r.status_code != 200:
            raise RuntimeError(f"PUT {bucket}/{name}: {r.status_code} {r.text[:200]}")

    parallel(put, names, workers=8)


def owners(endpoint: str, bucket: str, names: list[str], method: str) -> list[str]:
    """The target base URL the proxy redirects each name to (GET: 301, PUT: 307)."""
    def ask(s, name):
        r = s.request(method, endpoint + obj_path(bucket, name), data=b"" if method == "PUT"
                      else None, allow_redirects=False, timeout=60)
        if r.status_code not in (301, 307):
            raise RuntimeError(f"{method} {bucket}/{name} via the proxy: {r.status_code}")
        u = urlsplit(r.headers["Location"])
        return f"{u.hostname}:{u.port}"

    return parallel(ask, names, workers=8)


def verify_sample(endpoint: str, src: str, dst: str, names: list[str], k: int = 16) -> None:
    for name in random.Random(len(names)).sample(names, min(k, len(names))):
        a = requests.get(endpoint + obj_path(src, name), timeout=120)
        b = requests.get(endpoint + obj_path(dst, name), timeout=120)
        if a.status_code != 200 or b.status_code != 200 or a.content != b.content:
            raise RuntimeError(f"{dst}/{name} differs from {src}/{name} "
                               f"({a.status_code}/{b.status_code}, {len(a.content)}/"
                               f"{len(b.content)} B)")


# --- the paths ------------------------------------------------------------------------------------


def run_job(cluster, meter: CpuMeter, etl: str, src: str, dst: str, names: list[str],
            size: int, workers: int, deadline: float) -> dict:
    ep = cluster.endpoint
    value = {"id": etl}
    if workers:
        value["num-workers"] = workers
    meter.start()
    t0 = time.monotonic()
    r = jobapi.start(ep, src, value, dst=dst)
    if r.status_code != 200:
        raise RuntimeError(f"etl-bck: {r.status_code} {r.text}")
    jid = r.text.strip()
    with requests.Session() as s:
        while True:
            st = jobapi.status(ep, jid, "etl-bck", session=s)
            if st["end_time"] > 0:
                break
            if time.monotonic() - t0 > deadline:
                jobapi.stop_job(ep, jid)
                raise RuntimeError(f"job {jid} still running after {deadline:.0f} s")
            time.sleep(POLL)
    wall = time.monotonic() - t0
    cpu = meter.stop()
    snaps = jobapi.snaps(ep, jid)
    flat = [s for lst in snaps.values() for s in lst]
    if st["aborted"] or st["err"] or any("stats" not in s for s in flat):
        raise RuntimeError(f"job {jid} failed: {st}\n{json.dumps(snaps)[:3000]}")
    done = sum(int(s["stats"]["loc-objs"]) + int(s["stats"]["out-objs"]) for s in flat)
    errors = sum(len(s.get("obj_errors") or []) for s in flat)
    nworkers = (int(flat[0]["glob.id"]) >> 10) & 0x3FF
    if st["aborted"] or st["err"] or errors or done != len(names):
        raise RuntimeError(f"job {jid}: {st}, {done} objects done, {errors} errors: "
                           f"{[s.get('obj_errors', [])[:2] for s in flat]}")
    local = sum(int(s["stats"]["loc-objs"]) for s in flat)
    return {"seconds": wall, "cpu": cpu, "workers_per_target": nworkers, "job": jid,
            "local_share": local / len(names)}


def _baseline_process(jobs: list[tuple[str, str, str, str]], threads: int) -> tuple[int, int, str]:
    """In a worker process: GET+PUT loops on `threads` threads; (objects, bytes, first error)."""
    lock = threading.Lock()
    result = {"n": 0, "bytes": 0, "err": ""}

    def loop(mine):
        conns: dict[str, http.client.HTTPConnection] = {}

        def conn(hostport):
            c = conns.get(hostport)
            if c is None:
                host, port = hostport.rsplit(":", 1)
                c = conns[hostport] = http.client.HTTPConnection(host, int(port), timeout=120)
            return c

        n = nbytes = 0
        try:
            for src_host, src_path, dst_host, dst_path in mine:
                c = conn(src_host)
                c.request("GET", src_path)
                r = c.getresponse()
                body = r.read()
                if r.status != 200:
                    raise RuntimeError(f"GET {src_path}: {r.status}")
                c = conn(dst_host)
                c.request("PUT", dst_path, body=body,
                          headers={"Content-Type": "application/octet-stream"})
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError(f"PUT {dst_path}: {r.status}")
                n += 1
                nbytes += len(body)
        except Exception as e:  # reported, and the run fails
            with lock:
                result["err"] = result["err"] or repr(e)
        with lock:
            result["n"] += n
            result["bytes"] += nbytes

    ts = [threading.Thread(target=loop, args=(jobs[i::threads],)) for i in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return result["n"], result["bytes"], result["err"]


def run_baseline(cluster, meter: CpuMeter, src: str, dst: str, names: list[str],
                 src_owner: list[str], concurrency: int, deadline: float) -> dict:
    ep = cluster.endpoint
    cluster.create_bucket(dst)
    dst_owner = owners(ep, dst, names, "PUT")
    jobs = [(src_owner[i], obj_path(src, n), dst_owner[i], obj_path(dst, n))
            for i, n in enumerate(names)]
    procs = min(os.cpu_count() or 1, concurrency)
    per = [concurrency // procs + (1 if i < concurrency % procs else 0) for i in range(procs)]
    parts = [jobs[i::procs] for i in range(procs)]
    ctx = mp.get_context("fork")
    with ctx.Pool(procs) as pool:
        pool.apply(os.getpid)  # workers forked before the clock starts
        meter.start()
        t0 = time.monotonic()
        async_results = [pool.apply_async(_baseline_process, (parts[i], per[i]))
                         for i in range(procs)]
        results = [a.get(timeout=deadline) for a in async_results]
        wall = time.monotonic() - t0
        pool.close()
        pool.join()  # reaped: their CPU shows in RUSAGE_CHILDREN
    cpu = meter.stop()
    n = sum(r[0] for r in results)
    errs = [r[2] for r in results if r[2]]
    if errs or n != len(names):
        raise RuntimeError(f"baseline: {n} of {len(names)} copied; {errs[:2]}")
    return {"seconds": wall, "cpu": cpu, "concurrency": concurrency, "processes": procs}


# --- profile --------------------------------------------------------------------------------------


def perf_top(data: Path, sort: str, extra=(), limit: int = 15, only=()) -> list[str]:
    out = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", sort, "-g",
                          "none", "--percent-limit", "0.3", *extra],
                         capture_output=True, text=True, timeout=300)
    rows = [l.rstrip() for l in out.stdout.splitlines()
            if l.strip() and not l.startswith("#") and l.lstrip()[:1].isdigit()
            and (not only or any(o in l for o in only))]
    return rows[:limit]


def profile_run(cluster, meter, etl, src, names, size, workers, work: Path) -> dict:
    """One job with `perf record -g` on the three target processes (kernel stacks are complete;
    user stacks are cut short, kilnd has no frame pointers)."""
    if not shutil.which("perf"):
        return {"skipped": "perf not installed (apt-get install linux-perf)"}
    data = work / "perf.data"
    pids = ",".join(str(p.pid) for p in meter.targets)
    perf = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-p", pids, "-o", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)  # perf is attached
        res = run_job(cluster, meter, etl, src, "dst-profile", names, size, workers, 600)
    finally:
        perf.send_signal(2)  # SIGINT: perf writes its file and exits
        try:
            perf.wait(120)
        except subprocess.TimeoutExpired:
            perf.kill()
            perf.wait(10)
    destroy_bucket(cluster.endpoint, "dst-profile")
    res["by_thread"] = perf_top(data, "comm", ["--no-children"])
    res["syscalls"] = perf_top(data, "sym", ["--children"], limit=24,
                               only=("__x64_sys_", "ksys_", "ext4_create", "recently_deleted",
                                     "ext4_sync_file", "tcp_sendmsg", "tcp_recvmsg",
                                     "schedule"))
    res["self"] = perf_top(data, "dso,sym", ["--no-children"], limit=25)
    return res


# --- report ---------------------------------------------------------------------------------------


def summarize(runs: list[dict]) -> list[dict]:
    rows = []
    keys = []
    for r in runs:
        k = (r["dataset"], r["path"])
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in runs if (r["dataset"], r["path"]) == k]
        ops = [r["objects"] / r["seconds"] for r in rs]
        med = statistics.median(ops)
        pick = min(rs, key=lambda r: abs(r["objects"] / r["seconds"] - med))
        rows.append({**pick, "obj_s": med, "obj_s_min": min(ops), "obj_s_max": max(ops),
                     "rounds": len(rs)})
    for row in rows:
        base = next((r for r in rows if r["dataset"] == row["dataset"]
                     and r["path"].startswith("copy")), None)
        row["vs_baseline"] = row["obj_s"] / base["obj_s"] if base else None
    return rows


def report(args, facts, command, rows, skipped, profile) -> str:
    lines = ["# Offline transform throughput (etl-bck, 3 targets)\n",
             kb.facts_markdown(facts, command),
             f"- Cluster: `kilnd cluster --targets 3 --port 0 --log-level warn`, one mountpath "
             f"per target; {args.rounds} round(s), figures are medians (range shown); "
             + (f"before each run up to {args.quiet_wait:g} s of waiting for an idle machine."
                if args.quiet_wait else "no waiting for an idle machine."),
             "- `etl hpush`: etl-bck through offline_server.py (echo, ThreadingHTTPServer, "
             "keep-alive), one instance per target; timed from the POST until `what=status` "
             f"shows end_time > 0 (polled every {POLL * 1000:.0f} ms). `etl ws`: the same through "
             "ws_echo_server.py over ws://.",
             "- `copy baseline`: no ETL, no job: a client GETs every object from the target that "
             "owns it and PUTs it to the target that owns the destination name (target URLs, no "
             "proxy hop, keep-alive), with as many concurrent GET+PUT loops as the job's workers "
             "in total, over nproc processes.",
             "- Every run is checked: no errors, N objects in the destination, 16 sampled "
             "objects byte-exact. CPU columns are cores in use on average during the run (the "
             f"machine has {os.cpu_count()}); \"ETL\" = the instances (targets' child processes), "
             "\"other\" = everything else on the machine.\n"]
    if skipped:
        lines += [f"- Skipped: {s}" for s in skipped] + [""]
    lines += ["| data set | path | objects | workers | seconds | obj/s | obj/s range | MiB/s | "
              "vs baseline | CPU targets | CPU proxy | CPU ETL | CPU client | CPU kernel | "
              "CPU other | busiest other processes |",
              "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        c = r["cpu"]
        vs = f"{r['vs_baseline']:.2f}" if r["vs_baseline"] is not None else "–"
        lines.append(
            f"| {r['dataset']} | {r['path']} | {r['objects']} | {r['workers']} | "
            f"{r['seconds']:.1f} | **{r['obj_s']:.0f}** | {r['obj_s_min']:.0f}–{r['obj_s_max']:.0f}"
            f" | {r['obj_s'] * r['size'] / kb.MiB:.1f} | {vs} | {c['targets']:.2f} | "
            f"{c['proxy']:.2f} | {c['etl']:.2f} | {c['client']:.2f} | {c['kernel']:.2f} | "
            f"{c['other']:.2f} | {c['other_top'] or '–'} |")
    lines += ["", "CPU per object (ms of CPU time per object, same runs; less sensitive to other "
              "load than obj/s):", "",
              "| data set | path | kilnd targets | proxy | ETL instances | client | kernel | "
              "sum |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        c = r["cpu"]
        per = {k: c[k] * r["seconds"] / r["objects"] * 1000
               for k in ("targets", "proxy", "etl", "client", "kernel")}
        lines.append(f"| {r['dataset']} | {r['path']} | {per['targets']:.2f} | "
                     f"{per['proxy']:.2f} | {per['etl']:.2f} | {per['client']:.2f} | "
                     f"{per['kernel']:.2f} | {sum(per.values()):.2f} |")
    if profile:
        lines += ["", "## Profile: one more `etl hpush` run on the first data set, the three "
                  "targets under `perf record -g -F 999` (not in the table)", ""]
        if "skipped" in profile:
            lines.append(f"Skipped: {profile['skipped']}")
        else:
            lines.append(f"That run: {profile['objects']} objects in {profile['seconds']:.1f} s "
                         f"({profile['objects'] / profile['seconds']:.0f} obj/s under perf).\n")
            for title, key in (("Target CPU samples by thread (kilnd = the event loop, "
                                "QNetworkAccessM = Qt's HTTP client thread, kiln-io = the file "
                                "pool)", "by_thread"),
                               ("System calls and a few kernel paths, inclusive (children) "
                                "share of all target samples", "syscalls"),
                               ("Top symbols, self", "self")):
                lines += [f"{title}:", "", "```", *profile[key], "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default build-bench/, then build/)")
    ap.add_argument("--small-count", type=int, default=10000)
    ap.add_argument("--small-kib", type=int, default=16)
    ap.add_argument("--large-count", type=int, default=1000)
    ap.add_argument("--large-mib", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--workers", type=int, default=0,
                    help="num-workers per target for the jobs (0: kilnd's automatic choice)")
    ap.add_argument("--paths", nargs="+", default=["hpush", "ws", "baseline"],
                    choices=["hpush", "ws", "baseline"])
    ap.add_argument("--run-deadline", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--quiet-wait", type=float, default=0.0,
                    help="before each run, wait up to this long for an idle machine")
    ap.add_argument("--profile", action="store_true", help="one extra hpush run under perf")
    ap.add_argument("--quick", action="store_true", help="1000 x 16 KiB and 100 x 1 MiB, 1 round")
    ap.add_argument("--workdir", help="where to make the scratch folder (default $TMPDIR); e.g. "
                    "/dev/shm to take the disk out of the measurement")
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/offline.md"))
    args = ap.parse_args()
    if args.quick:
        args.small_count, args.large_count, args.rounds = 1000, 100, 1
    kilnd = kb.find_kilnd(args.kilnd)
    command = kb.command_line(sys.argv)
    facts = kb.machine_facts(kilnd)
    facts.pop("nginx", None)
    datasets = [(f"{args.small_count} x {args.small_kib} KiB", args.small_count,
                 args.small_kib * KiB),
                (f"{args.large_count} x {args.large_mib} MiB", args.large_count,
                 args.large_mib * kb.MiB)]
    need = max(n * s for _, n, s in datasets) * (2 + args.rounds * len(args.paths)) * 1.1 \
        + 512 * kb.MiB
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-offline-", dir=args.workdir))
    facts["Data folder"] = f"{work}: {filesystem_of(work)}"
    if shutil.disk_usage(work).free < need:
        raise SystemExit(f"not enough free disk in {work}: need {need / 2**30:.1f} GiB")
    runs, skipped, profile = [], [], None
    try:
        with kb.KilnCluster(kilnd, work / "cluster", 3, log_path=work / "kilnd.log") as cluster:
            ep = cluster.endpoint
            meter = CpuMeter(cluster)
            etls = {}
            if "hpush" in args.paths:
                err = init_etl(ep, pod_msg("bench-hpush", ["python3", str(OFFLINE_SERVER),
                                                           "--port", "8000"], "hpush://"))
                if err:
                    raise RuntimeError(f"hpush echo ETL: {err}")
                etls["etl hpush"] = "bench-hpush"
            if "ws" in args.paths:
                if not WS_SERVER.is_file():
                    skipped.append(f"etl ws: {WS_SERVER} does not exist")
                else:
                    err = init_etl(ep, pod_msg("bench-ws", ["python3", str(WS_SERVER), "--port",
                                                            "8000"], "ws://"))
                    if err:
                        skipped.append(f"etl ws: {err}")
                    else:
                        etls["etl ws"] = "bench-ws"
            for label, count, size in datasets:
                src = f"src-{size}"
                names = [f"d/obj-{i:06d}" for i in range(count)]
                cluster.create_bucket(src)
                t = time.monotonic()
                seed(ep, src, names, size)
                print(f"{label}: PUT in {time.monotonic() - t:.1f} s", flush=True)
                src_owner = owners(ep, src, names, "GET") if "baseline" in args.paths else []
                concurrency = 0
                # Destinations are destroyed only after the last round: on this VM's ext4 (no
                # journal) creating a file right after thousands were deleted is slower, so
                # deleting between runs would tax the next run.
                dsts: list[str] = []
                for rnd in range(args.rounds):
                    for path in [p for p in etls] + (["copy baseline (client GET+PUT)"]
                                                     if "baseline" in args.paths else []):
                        if args.quiet_wait:
                            wait_for_quiet(args.quiet_wait)
                        dst = f"dst-{size}-{len(dsts)}"
                        if path in etls:
                            res = run_job(cluster, meter, etls[path], src, dst, names, size,
                                          args.workers, args.run_deadline)
                            concurrency = concurrency or 3 * res["workers_per_target"]
                            workers = f"{res['workers_per_target']} per target"
                        else:
                            res = run_baseline(cluster, meter, src, dst, names, src_owner,
                                               concurrency or 24, args.run_deadline)
                            workers = f"{res['concurrency']} loops / {res['processes']} procs"
                        if len(jobapi.list_names(ep, dst, pagesize=5000)) != count:
                            raise RuntimeError(f"{path}: {dst} does not hold {count} objects")
                        verify_sample(ep, src, dst, names)
                        dsts.append(dst)
                        run = {"dataset": label, "path": path, "objects": count, "size": size,
                               "workers": workers, "round": rnd, **res}
                        runs.append(run)
                        c = res["cpu"]
                        print(f"  round {rnd + 1} {path:32s} {count / res['seconds']:7.0f} obj/s "
                              f"({res['seconds']:.1f} s; CPU targets {c['targets']:.2f} proxy "
                              f"{c['proxy']:.2f} ETL {c['etl']:.2f} client {c['client']:.2f} "
                              f"kernel {c['kernel']:.2f} other {c['other']:.2f} "
                              f"[{c['other_top']}])", flush=True)
                if args.profile and profile is None and "etl hpush" in etls:
                    profile = profile_run(cluster, meter, etls["etl hpush"], src, names, size,
                                          args.workers, work)
                    profile["objects"] = count
                for dst in dsts + [src]:
                    destroy_bucket(ep, dst)
    except BaseException:
        kept = Path(tempfile.mkdtemp(prefix="kiln-bench-offline-failed-"))
        for log in work.rglob("*.log"):
            shutil.copy(log, kept / log.name)
        print(f"FAILED; kilnd's log kept in {kept}", file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = summarize(runs)
    text = report(args, facts, command, rows, skipped, profile)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps(
        {"facts": facts, "command": command, "runs": runs, "skipped": skipped,
         "profile": profile}, indent=1) + "\n")
    print("\n" + text)
    print(f"written: {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
