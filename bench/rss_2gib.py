#!/usr/bin/env python3
"""Memory of kilnd while it moves one large object: PUT a 2 GiB object through the proxy and GET
it back, sampling the resident set size (RSS) of the proxy and the target every 100 ms.

PUT: the client sends the request head with `Expect: 100-continue` to the proxy, takes its 307
to the target, and streams the body there from a generator (1 MiB pieces, each distinct, hashed
as sent): client memory stays bounded. GET: requests with stream=True follows the proxy's 301
and hashes the body as it arrives; the digest and length must match what was sent.
Reported per phase and process: RSS before the phase, the peak sampled during it, the growth,
and the kernel's own high-water mark (VmHWM) so a spike between samples cannot hide.

    .venv/bin/python bench/rss_2gib.py                  # ~30 s; needs ~2.2 GiB free disk
    .venv/bin/python bench/rss_2gib.py --size-gib 0.25  # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kilnbench as kb  # noqa: E402

BUCKET = "rss"
OBJECT = "big-object"


def hwm_mib(proc: psutil.Process) -> float:
    """The kernel's peak RSS for the process (VmHWM), in MiB."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """Samples RSS of the given processes every interval, tagging samples with the phase."""

    def __init__(self, procs: dict[str, psutil.Process], interval: float):
        super().__init__(daemon=True)
        self.procs, self.interval = procs, interval
        self.phase = "idle"
        self.samples: list[tuple[float, str, dict[str, float]]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            rss = {}
            for name, p in self.procs.items():
                try:
                    rss[name] = p.memory_info().rss / kb.MiB
                except psutil.Error:
                    rss[name] = float("nan")
            self.samples.append((time.monotonic(), self.phase, rss))
            self.stop.wait(self.interval)


def pieces(total: int, chunk: int, digest):
    """total bytes in chunk-sized pieces: one random block, each piece stamped with its index."""
    block = bytearray(os.urandom(chunk))
    sent, i = 0, 0
    while sent < total:
        n = min(chunk, total - sent)
        block[:8] = i.to_bytes(8, "little")
        piece = bytes(block[:n])
        digest.update(piece)
        yield piece
        sent += n
        i += 1


def put_streamed(proxy_url: str, size: int, chunk: int) -> tuple[str, str, float]:
    """PUT through the proxy: head with Expect: 100-continue, 307, body streamed to the target.
    Returns (sha256 hex, target location, seconds from the last byte sent to the answer)."""
    u = urlsplit(proxy_url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    c.putrequest("PUT", f"{u.path}?{u.query}")
    c.putheader("Content-Length", str(size))
    c.putheader("Content-Type", "application/octet-stream")
    c.putheader("Expect", "100-continue")
    c.endheaders()
    r = c.getresponse()
    location = r.getheader("Location")
    r.read()
    c.close()
    if r.status != 307 or not location:
        raise RuntimeError(f"proxy answered {r.status} (wanted 307 with a Location)")
    t = urlsplit(location)
    digest = hashlib.sha256()
    c = http.client.HTTPConnection(t.hostname, t.port, timeout=120)
    c.putrequest("PUT", f"{t.path}?{t.query}")
    c.putheader("Content-Length", str(size))
    c.putheader("Content-Type", "application/octet-stream")
    c.endheaders()
    for piece in pieces(size, chunk, digest):
        c.send(piece)
    sent = time.monotonic()
    r = c.getresponse()
    commit_s = time.monotonic() - sent
    body = r.read()
    c.close()
    if r.status != 200:
        raise RuntimeError(f"target answered {r.status}: {body[:300]!r}")
    return digest.hexdigest(), location, commit_s


def get_streamed(proxy_url: str, chunk: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    n = 0
    with requests.get(proxy_url, stream=True, timeout=120) as r:
        r.raise_for_status()
        if not r.history or r.history[0].status_code != 301:
            raise RuntimeError("the proxy did not redirect the GET with 301")
        for piece in r.iter_content(chunk_size=chunk):
            digest.update(piece)
            n += len(piece)
    return digest.hexdigest(), n


def summarize(sampler: Sampler, phase: str, before: dict, hwm_before: dict, hwm_after: dict,
              names) -> dict:
    during = [s for _, ph, s in sampler.samples if ph == phase]
    out = {}
    for name in names:
        peak = max([s[name] for s in during] + [before[name]])
        out[name] = {"before": before[name], "peak": peak, "growth": peak - before[name],
                     "hwm_before": hwm_before.get(name), "hwm_after": hwm_after.get(name)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kilnd", help="kilnd binary (default build-bench/, then build/)")
    ap.add_argument("--size-gib", type=float, default=2.0)
    ap.add_argument("--chunk-mib", type=float, default=1.0, help="client piece size")
    ap.add_argument("--interval", type=float, default=0.1, help="RSS sampling period (s)")
    ap.add_argument("--workdir", help="scratch folder (default: a new one under $TMPDIR)")
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/rss_2gib.md"))
    args = ap.parse_args()
    size = int(args.size_gib * 2**30)
    chunk = int(args.chunk_mib * kb.MiB)
    kilnd = kb.find_kilnd(args.kilnd)
    command = kb.command_line(sys.argv)
    facts = kb.machine_facts(kilnd)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="kiln-bench-rss-"))
    if shutil.disk_usage(work).free < size * 1.1 + 256 * kb.MiB:
        raise SystemExit(f"not enough free disk in {work} for {args.size_gib:g} GiB")
    phases = {}
    try:
        with kb.KilnCluster(kilnd, work / "cluster", 1, log_path=work / "kilnd.log") as cluster:
            cluster.create_bucket(BUCKET)
            nodes = cluster.nodes()
            procs = {"proxy": nodes["proxy"], "target": nodes["target-1"],
                     "client": psutil.Process()}
            names = list(procs)
            sampler = Sampler(procs, args.interval)
            sampler.start()
            url = cluster.object_url(BUCKET, OBJECT)

            def settle(seconds=1.0):
                sampler.phase = "idle"
                time.sleep(seconds)
                last = sampler.samples[-1][2]
                return dict(last), {n: hwm_mib(p) for n, p in procs.items()}

            before, hwm0 = settle(1.5)
            sampler.phase = "put"
            t = time.monotonic()
            sent_digest, location, commit_s = put_streamed(url, size, chunk)
            put_s = time.monotonic() - t
            after_put, hwm1 = settle()
            phases["PUT"] = {"seconds": put_s, "mib_s": size / kb.MiB / put_s, "commit_s": commit_s,
                             "rss": summarize(sampler, "put", before, hwm0, hwm1, names),
                             "after": after_put}
            on_disk = (cluster.bucket_dir("target-1", BUCKET) / OBJECT).stat().st_size
            if on_disk != size:
                raise RuntimeError(f"object on disk has {on_disk} bytes, sent {size}")
            print(f"PUT {size / kb.MiB:.0f} MiB in {put_s:.1f} s via {location.split('?')[0]} "
                  f"({commit_s:.1f} s of it between the last byte and the answer)", flush=True)

            sampler.phase = "get"
            t = time.monotonic()
            got_digest, got = get_streamed(url, chunk)
            get_s = time.monotonic() - t
            after_get, hwm2 = settle()
            phases["GET"] = {"seconds": get_s, "mib_s": size / kb.MiB / get_s,
                             "rss": summarize(sampler, "get", after_put, hwm1, hwm2, names),
                             "after": after_get}
            if got != size or got_digest != sent_digest:
                raise RuntimeError(f"GET returned {got} bytes, sha256 {got_digest}; "
                                   f"sent {size}, {sent_digest}")
            print(f"GET {got / kb.MiB:.0f} MiB in {get_s:.1f} s, sha256 matches", flush=True)
            requests.delete(url, timeout=60).raise_for_status()
            sampler.stop.set()
            sampler.join()
            samples = len(sampler.samples)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"# RSS while moving one {args.size_gib:g} GiB object through kilnd\n",
             kb.facts_markdown(facts, command),
             f"- Client: PUT head to the proxy (Expect: 100-continue), 307, body streamed to the "
             f"target in {args.chunk_mib:g} MiB pieces from a generator; GET through the proxy "
             "(301 followed by requests, stream=True), sha256 of the body checked byte-exact.",
             f"- RSS sampled every {args.interval * 1000:.0f} ms ({samples} samples); "
             "\"before\" is the RSS just before the phase, \"peak\" the highest sample during it, "
             "\"VmHWM\" the kernel's high-water mark after the phase (covers spikes between "
             "samples; it never goes down, so it also carries earlier peaks). Figures in MiB.\n",
             f"- PUT: {phases['PUT']['commit_s']:.1f} s of the {phases['PUT']['seconds']:.1f} s "
             "passed between the last body byte and the target's answer (the commit: fsync of "
             "the file, rename, fsync of the folder). Throughput figures include the Python "
             "client's own work (generating and hashing the data).\n",
             "| phase | MiB/s | seconds | process | RSS before | RSS peak | growth | VmHWM after "
             "| RSS after (1 s idle) |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|"]
    for phase, p in phases.items():
        for name in ("proxy", "target", "client"):
            r = p["rss"][name]
            lines.append(f"| {phase} | {p['mib_s']:.0f} | {p['seconds']:.1f} | {name} | "
                         f"{r['before']:.1f} | {r['peak']:.1f} | {r['growth']:+.1f} | "
                         f"{r['hwm_after']:.1f} | {p['after'][name]:.1f} |")
    text = "\n".join(lines) + "\n"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "phases": phases}, indent=1) + "\n")
    print("\n" + text)
    print(f"written: {out} and {out.with_suffix('.json')}")


if __name__ == "__main__":
    main()
