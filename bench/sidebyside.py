"""What the side-by-side benchmarks share (bench/aisnode_side_by_side.py, bench/peers.py): one
system under test (`Side`), filling the same objects on every side, and timed runs (wrk GETs,
putload PUTs) that add the CPU the server, the client and everything else used, in cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import kilnbench as kb  # noqa: E402
import putload  # noqa: E402

BUCKET = "bench"
KiB = 1024
SIZES = {"16 KiB": 16 * KiB, "1 MiB": kb.MiB}
PREFIX = {"16 KiB": "s16k", "1 MiB": "s1m"}


class Side:
    """One system under test: its proxy, its target, its processes."""

    def __init__(self, name: str, proxy: str, target: str, procs):
        self.name, self.proxy, self.target, self.procs = name, proxy, target, procs


def run_facts(kilnd, mountpaths: int) -> tuple[dict, str]:
    """The machine, kilnd, aisnode and wrk of a side-by-side run, and the command line to record."""
    facts = kb.machine_facts(kilnd)
    facts["aisnode"] = (kb._run([os.environ["KILN_AISNODE"], "version"])
                        + f", {os.environ['KILN_AISNODE']}, {mountpaths} test mountpath(s)")
    facts["wrk"] = kb._run(["wrk", "-v"]).split(" [")[0]
    return facts, os.environ.get("KILN_BENCH_COMMAND", kb.command_line(sys.argv))


def create_bucket(proxy: str) -> None:
    r = requests.post(f"{proxy}/v1/buckets/{BUCKET}", params={"provider": "ais"},
                      json={"action": "create-bck", "name": "", "value": None}, timeout=30)
    r.raise_for_status()


def fill(sides: list[Side], counts: dict[str, int]) -> None:
    """The same random objects on every side, PUT through the proxy; a sample read back."""
    for label, size in SIZES.items():
        for i in range(counts[label]):
            name = f"{PREFIX[label]}-{i:04d}"
            data = os.urandom(size)
            for side in sides:
                r = requests.put(f"{side.proxy}/v1/objects/{BUCKET}/{name}",
                                 params={"provider": "ais"}, data=data, timeout=60)
                r.raise_for_status()
            if i in (0, counts[label] - 1):
                want = hashlib.sha256(data).hexdigest()
                for side in sides:
                    got = requests.get(f"{side.target}/v1/objects/{BUCKET}/{name}",
                                       params={"provider": "ais"}, timeout=60).content
                    if hashlib.sha256(got).hexdigest() != want:
                        raise SystemExit(f"{side.name}: {name} read back differs")


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0)


def timed(side: Side, run) -> dict:
    """Runs `run()` (returning the client's figures) and adds CPU use in cores: the server's
    (all its nodes), the client's and everything else's."""
    srv0, all0 = kb.cpu_seconds(side.procs), busy_seconds()
    t0 = time.monotonic()
    res = run()
    wall = time.monotonic() - t0
    srv = kb.cpu_seconds(side.procs) - srv0
    everything = busy_seconds() - all0
    cli = res.pop("client_cpu_s")
    res["server_cpu"] = srv / wall
    res["client_cpu"] = cli / wall
    res["other_cpu"] = max(0.0, (everything - srv - cli) / wall)
    res["per_core"] = res["mib_s"] / res["server_cpu"] if res["server_cpu"] > 0 else 0.0
    return res


def children_cpu() -> float:
    """CPU seconds of our reaped child processes so far (wrk's, once it exited)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wrk_get(side: Side, paths: Path, connections: int, duration: float, size: int) -> dict:
    threads = min(os.cpu_count() or 1, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--timeout", "10s",
           "-s", str(HERE / "wrk_rotate.lua"), side.target, "--", str(paths)]

    def run():
        cpu0 = children_cpu()
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
        line = next((l for l in out.stdout.splitlines() if l.startswith("WRKJSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
        w = json.loads(line[len("WRKJSON "):])
        secs = w["duration_us"] / 1e6
        good = w["requests"] - w["status"]
        return {"requests": good, "req_s": good / secs, "mib_s": good * size / secs / kb.MiB,
                "errors": w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"],
                "p50_ms": w["p50_us"] / 1000, "p99_ms": w["p99_us"] / 1000,
                "client_cpu_s": children_cpu() - cpu0}

    return timed(side, run)


def put_urls(side: Side, count: int) -> list[str]:
    """Where the proxy redirects a PUT of each name (an empty PUT is answered 307 unread):
    straight to the target, with the proxy's pid and utm, as a client following it would."""
    urls = []
    with requests.Session() as s:
        for i in range(count):
            r = s.put(f"{side.proxy}/v1/objects/{BUCKET}/put-{i:03d}", params={"provider": "ais"},
                      data=b"", allow_redirects=False, timeout=30)
            if r.status_code != 307:
                raise SystemExit(f"{side.name}: PUT redirect expected, got {r.status_code}")
            urls.append(r.headers["Location"])
    return urls


def put_run(side: Side, clients: int, duration: float) -> dict:
    urls = put_urls(side, clients * 16)
    return timed(side, lambda: putload.run_put(urls, clients, duration, kb.MiB))
