"""Inline transform throughput: `GET /v1/objects/B/O?etl_name=N` through an echo ETL of every
communication type, as a ratio to a plain GET of the same objects in the same run.

Starts `kilnd cluster --targets 3 --port 0`, PUTs objects of each size (1 KiB, 64 KiB, 1 MiB,
16 MiB; spread over the targets by the proxy), and starts one echo ETL per communication type:
hpush://, hpull://, hrev:// and ws:// run this file's asyncio echo server (`inline.py serve`,
standard library only, one process per target, the object read whole and answered with its
length, as AIS's Python servers do), io:// runs a copy of stdin to stdout (`io`: as code, its
processes forked by the fork server; `io-spec`: the same program as a pod spec's command, a
process started per object), and `hpush-go` and `ws-go` are hpush:// and ws:// to bench/go_echo
(a native Go echo server, built with the Go toolchain at the start; the rows are left out without
Go), which show Kiln's own cost (the Python server's websocket unmasking costs more than the
transfer). Then, per size and row,
the same client (bench/inline.py's own: closed-loop keep-alive HTTP/1.1 over raw sockets,
C connections over P processes, chunked answers and redirects followed, every body's length
checked) runs for a fixed time:

  plain        GET <proxy>/v1/objects/bench/<obj>                 (301 to the owner)
  hpush ...    GET <proxy>/v1/objects/bench/<obj>?etl_name=<etl>   (301, and for hpull a 307)
  server PUT   PUT <instance>/bench/<obj> with the object          (the echo server's own ceiling)
  server GET   GET <instance>/<uname> (the hpull Location)         (the instance pulls the object)
  server PUT (Go)  PUT to one more bench/go_echo, outside Kiln     (the Go server's own ceiling)

and reports obj/s, MiB/s, latency, errors, the ratio to `plain`, and the CPU each party used
(targets, proxy, ETL instances, io:// processes, client, everything else).

    .venv/bin/python bench/inline.py                 # ~4 min, writes bench/results/inline.md
    .venv/bin/python bench/inline.py --quick         # smoke test
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from inline_echo import serve  # the instance side (`inline.py serve PORT`)
from httpload import run_jobs as run_load  # the client side

MiB = 1024 * 1024
SIZES = {"1KiB": 1024, "64KiB": 64 * 1024, "1MiB": MiB, "16MiB": 16 * MiB}
# Objects per size: enough to spread over three targets, bounded in bytes.
COUNTS = {1024: 256, 64 * 1024: 256, MiB: 128, 16 * MiB: 24}


# --nodelay-shim: an experiment, not a fix. Preloaded into the kilnd processes, it sets
# TCP_NODELAY on every TCP connection they open (Qt's HTTP client, which carries hpush/hrev,
# leaves Nagle's algorithm on), to show what the delayed-ACK stalls cost.
NODELAY_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*real)(int, const struct sockaddr *, socklen_t);
    if (!real)
        real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
        int type = 0, one = 1;
        socklen_t tl = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return real(fd, addr, len);
}
"""

IO_ECHO = """import shutil
import sys

shutil.copyfileobj(sys.stdin.buffer, sys.stdout.buffer, 1 << 20)
"""



# --- the benchmark -----------------------------------------------------------------------------


def cluster_flags(args) -> list[str]:
    return [] if args.http_threads is None else ["--http-threads", str(args.http_threads)]


def build_go_echo(scratch: Path) -> Path | None:
    """bench/go_echo built with the Go toolchain into scratch; None (and why) without Go."""
    go = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists()
                                 else None)
    if go is None:
        print("hpush-go, ws-go: no Go toolchain; no rows", flush=True)
        return None
    out = scratch / "go_echo"
    src = Path(__file__).resolve().parent / "go_echo"
    r = subprocess.run([go, "build", "-o", str(out), "."], cwd=src, capture_output=True,
                       text=True, env={**os.environ, "GOFLAGS": "-mod=mod"})
    if r.returncode != 0:
        print(f"hpush-go, ws-go: go build failed; no rows\n{r.stderr[-2000:]}", flush=True)
        return None
    return out


def bench(args) -> None:
    import psutil
    import requests
    import yaml

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import kilnbench as kb

    kilnd = kb.find_kilnd(args.kilnd)
    facts = kb.machine_facts(kilnd)
    facts.pop("nginx", None)
    command = kb.command_line(sys.argv)
    scratch = Path(tempfile.mkdtemp(prefix="kiln-inline-"))
    sizes = {k: v for k, v in SIZES.items() if k in args.sizes}
    rows_out = []
    env = {}
    if args.nodelay_shim:

        (scratch / "nodelay.c").write_text(NODELAY_SHIM)
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(scratch / "nodelay.so"),
                        str(scratch / "nodelay.c"), "-ldl"], check=True)
        env["LD_PRELOAD"] = str(scratch / "nodelay.so")
    try:
        with kb.KilnCluster(kilnd, scratch / "data", targets=3, env=env,
                            extra=cluster_flags(args)) as cluster:
            url = cluster.endpoint
            http = requests.Session()
            cluster.create_bucket("bench")
            objects: dict[int, list[tuple[str, bytes]]] = {}
            for size in sizes.values():
                count = max(8, COUNTS[size] // (4 if args.quick else 1))
                block = os.urandom(size)
                objs = []
                for i in range(count):
                    name = f"s{size}/o{i:04d}"
                    data = struct.pack("<Q", i) + block[8:] if size >= 8 else block
                    r = http.put(cluster.object_url("bench", name), data=data, timeout=60)
                    r.raise_for_status()
                    objs.append((name, data))
                objects[size] = objs
            print(f"kilnd cluster at {url}; objects in place", flush=True)

            def pod_msg(name: str, comm: str) -> dict:
                doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                       "spec": {"containers": [{
                           "name": "echo", "image": "python:3.11",
                           "command": [sys.executable, str(Path(__file__).resolve()), "serve",
                                       "--port", "8000"],
                           "ports": [{"name": "default", "containerPort": 8000}],
                           "readinessProbe": {"httpGet": {"path": "/health",
                                                          "port": "default"}}}]}}
                return {"name": name, "communication": f"{comm}://", "obj_timeout": "60s",
                        "init_timeout": "60s", "support_direct_put": comm == "ws",
                        "spec": base64.b64encode(yaml.safe_dump(doc).encode()).decode()}

            etls = {}
            go_echo = None
            if {"hpush-go", "ws-go"} & set(args.comms):
                go_echo = build_go_echo(scratch)
            for comm in args.comms:
                name = f"bench-{comm}"
                if comm in ("hpush-go", "ws-go"):
                    if go_echo is None:
                        continue
                    msg = pod_msg(name, comm[:-3])
                    doc = yaml.safe_load(base64.b64decode(msg["spec"]))
                    doc["spec"]["containers"][0]["command"] = [str(go_echo), "--port", "8000"]
                    msg["spec"] = base64.b64encode(yaml.safe_dump(doc).encode()).decode()
                elif comm == "io":
                    msg = {"name": name, "communication": "io://", "runtime": "python3",
                           "code": base64.b64encode(IO_ECHO.encode()).decode(),
                           "obj_timeout": "60s"}
                elif comm == "io-spec":
                    # The same program from a pod spec: a process started per object.
                    msg = pod_msg(name, "io")
                    doc = yaml.safe_load(base64.b64decode(msg["spec"]))
                    doc["spec"]["containers"][0]["command"] = ["python3", "-c", IO_ECHO]
                    msg["spec"] = base64.b64encode(yaml.safe_dump(doc).encode()).decode()
                else:
                    msg = pod_msg(name, comm)
                r = http.put(f"{url}/v1/etl", json=msg, timeout=120)
                if r.status_code != 200:
                    print(f"{comm}: init failed ({r.status_code} {r.text[:200]}); no row",
                          flush=True)
                    continue
                etls[comm] = name
            print(f"ETLs running: {', '.join(etls)}", flush=True)

            # The instances, and each object's hpull Location (its owner's instance).
            nodes = cluster.nodes()
            targets = [p for k, p in nodes.items() if k.startswith("target")]
            proxy = nodes["proxy"]
            locations = {}
            if "hpull" in etls:
                for objs in objects.values():
                    for name, _ in objs:
                        r = http.get(cluster.object_url("bench", name),
                                     params={"etl_name": etls["hpull"]}, allow_redirects=False,
                                     timeout=10)
                        r = http.get(r.headers["Location"], allow_redirects=False, timeout=10)
                        assert r.status_code == 307, (r.status_code, r.text)
                        locations[name] = r.headers["Location"]

            def instances():
                out = []
                for t in targets:
                    try:
                        out.extend(t.children(recursive=True))
                    except psutil.Error:
                        pass
                return out

            def cpu_snapshot():
                own = kb.cpu_seconds(targets)
                reaped = 0.0
                for t in targets:
                    try:
                        c = t.cpu_times()
                        reaped += c.children_user + c.children_system
                    except psutil.Error:
                        pass
                inst = {p.pid: p for p in instances()}
                per_inst = {}
                for pid, p in inst.items():
                    try:
                        c = p.cpu_times()
                        # With what it reaped: io:// processes forked by a fork server.
                        per_inst[pid] = c.user + c.system + c.children_user + c.children_system
                    except psutil.Error:
                        pass
                total = psutil.cpu_times()
                busy = sum(total) - total.idle - getattr(total, "iowait", 0.0)
                return {"targets": own, "proxy": kb.cpu_seconds([proxy]), "reaped": reaped,
                        "instances": per_inst, "busy": busy, "t": time.monotonic()}

            def cpu_delta(a, b):
                wall = b["t"] - a["t"]
                inst = sum(v - a["instances"].get(pid, 0.0) for pid, v in b["instances"].items())
                return {"wall": wall, "targets": (b["targets"] - a["targets"]) / wall,
                        "proxy": (b["proxy"] - a["proxy"]) / wall,
                        "etl": (inst + b["reaped"] - a["reaped"]) / wall,
                        "busy": (b["busy"] - a["busy"]) / wall}

            def jobs_for(row: str, size: int):
                out = []
                for name, data in objects[size]:
                    obj_url = cluster.object_url("bench", name)
                    if row == "plain":
                        out.append(("GET", obj_url, None, size))
                    elif row == "server PUT":
                        u = urlsplit(locations[name])
                        out.append(("PUT", f"{u.scheme}://{u.netloc}/bench/{name}", data, size))
                    elif row == "server GET":
                        out.append(("GET", locations[name], None, size))
                    elif row == "server PUT (Go)":
                        out.append(("PUT", f"http://127.0.0.1:{go_port}/bench/{name}", data, size))
                    else:
                        out.append(("GET", f"{obj_url}&etl_name={etls[row]}", None, size))
                return out

            rows = ["plain", *etls]
            if locations:
                rows += ["server PUT", "server GET"]
            go_port, go_proc = None, None
            if "hpush-go" in etls:
                # The Go echo server's own ceiling: one more of it, outside Kiln.
                go_port = kb.free_port()
                go_proc = subprocess.Popen([str(go_echo), "--port", str(go_port)])
                kb.wait_port(go_port)
                rows.append("server PUT (Go)")
            for label, size in sizes.items():
                plain = None
                for row in rows:
                    jobs = jobs_for(row, size)
                    run_load(jobs, args.connections, args.warmup, args.processes)
                    res = run_load(jobs, args.connections, args.duration, args.processes,
                                   window=cpu_snapshot)
                    cpu = cpu_delta(*res.pop("window"))
                    res["client_cpu"] = res["client_cpu_s"] / args.duration
                    res.update({k: cpu[k] for k in ("targets", "proxy", "etl")})
                    res["other"] = max(0.0, cpu["busy"] - cpu["targets"] - cpu["proxy"]
                                       - cpu["etl"] - res["client_cpu"])
                    if row == "plain":
                        plain = res
                    res["ratio"] = res["mib_s"] / plain["mib_s"] if plain["mib_s"] else 0.0
                    res.update({"size": label, "row": row})
                    rows_out.append(res)
                    print(f"{label:>6} {row:<10} {res['req_s']:9.1f} obj/s {res['mib_s']:8.1f} "
                          f"MiB/s  x{res['ratio']:.2f}  errors {res['errors']}"
                          f"{'  (' + res['first_error'] + ')' if res['errors'] else ''}",
                          flush=True)
            if go_proc is not None:
                kb.stop_process(go_proc)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    report = render(rows_out, facts, command, args)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        if args.append and Path(args.output).exists():
            report = Path(args.output).read_text() + "\n" + report
        Path(args.output).write_text(report)
        print(f"wrote {args.output}")
    else:
        print(report)


def render(rows, facts, command, args) -> str:
    import kilnbench as kb

    title = "Inline transforms: echo ETL per communication type vs plain GET"
    if args.nodelay_shim:
        title += " (experiment: TCP_NODELAY forced in kilnd by --nodelay-shim)"
    h = "##" if args.append else "#"  # an appended report is a section of the first
    out = [f"{h} {title}\n",
           kb.facts_markdown(facts, command),
           f"- Runs: {args.duration:g} s each after a {args.warmup:g} s warm-up, "
           f"{args.connections} connections over {args.processes} client processes "
           "(bench/inline.py's client: keep-alive, 301/307 followed, chunked answers read, "
           "every answer's length checked); `kilnd cluster --targets 3 --port 0 --log-level "
           f"warn{' '.join([''] + cluster_flags(args))}`; one ETL instance per target; objects warm in the "
           "page cache.\n",
           "- Rows: `plain` = GET through the proxy (301 to the owner); `hpush`... = the same GET "
           "with `etl_name`; `server PUT` / `server GET` = the echo server alone (PUT of the "
           "object to the instance; the hpull Location, where the instance pulls the object "
           "from its target), its own ceiling. Ratio = MiB/s / plain MiB/s of the same size.\n",
           "- CPU columns: cores in use on average during the run: kilnd targets, the proxy, "
           "the ETL (instances, and the io:// processes the targets or the fork servers "
           "reaped), the client, and everything else on the machine. The `io-spec` row's "
           "per-object processes show as other CPU: they run under bubblewrap with a PID "
           "namespace, and bwrap does not pass its children's CPU time on to the process that "
           "reaps it (a 3.4 s CPU burn shows 0.0 s of children time through `bwrap "
           "--unshare-pid`, 3.0 s through bwrap without it).\n"]
    for size in dict.fromkeys(r["size"] for r in rows):
        out.append(f"\n{h}# {size}\n")
        out.append("| row | obj/s | MiB/s | × plain | p50 ms | p99 ms | errors | targets CPU | "
                   "proxy CPU | ETL CPU | client CPU | other CPU |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            if r["size"] != size:
                continue
            out.append(f"| {r['row']} | {r['req_s']:.1f} | {r['mib_s']:.1f} | {r['ratio']:.2f} | "
                       f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | "
                       f"{r['targets']:.2f} | {r['proxy']:.2f} | {r['etl']:.2f} | "
                       f"{r['client_cpu']:.2f} | {r['other']:.2f} |")
    errors = [r for r in rows if r["errors"]]
    if errors:
        out.append("\nFirst error of each run with errors:\n")
        out += [f"- {r['size']} {r['row']}: {r['first_error']}" for r in errors]
    return "\n".join(out) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        ap = argparse.ArgumentParser(prog="inline.py serve")
        ap.add_argument("serve")
        ap.add_argument("--port", type=int, required=True)
        serve(ap.parse_args().port)
        return
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default: build-bench/, then build/)")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    ap.add_argument("--comms", nargs="+",
                    default=["hpush", "hpull", "hrev", "io", "io-spec", "ws", "hpush-go", "ws-go"],
                    choices=["hpush", "hpull", "hrev", "io", "io-spec", "ws", "hpush-go", "ws-go"],
                    help="hpush-go, ws-go: hpush and ws to bench/go_echo (a native server, "
                         "built with go)")
    ap.add_argument("--http-threads", type=int, default=None,
                    help="kilnd cluster --http-threads N (default: kilnd's, one per core)")
    ap.add_argument("--quick", action="store_true", help="1 s runs, fewer objects")
    ap.add_argument("--nodelay-shim", action="store_true",
                    help="experiment: preload a shim that sets TCP_NODELAY on kilnd's "
                         "outgoing connections (needs cc)")
    ap.add_argument("--append", action="store_true",
                    help="append the report to --output instead of replacing it")
    ap.add_argument("--output", default=None,
                    help="Markdown report (default: bench/results/inline.md; '-' prints it)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.warmup = 1.0, 0.3
    if args.output is None and not args.quick:
        args.output = str(Path(__file__).resolve().parent / "results" / "inline.md")
    elif args.output == "-" or args.output is None:
        args.output = ""
    bench(args)


if __name__ == "__main__":
    main()
