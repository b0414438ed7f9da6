#!/usr/bin/env python3
"""Redundancy cost: PUT and GET throughput of an erasure-coded bucket (EC 2+1) against a plain
one, as ratios from the same run on the same cluster.

Starts a proxy and four targets (kilnd, 127.0.0.1, a temporary folder) and, per bucket kind,
PUTs --objects objects of --size bytes with --workers client threads, waits until every object
has its slices (EC), then GETs them all (every byte checked). EC work after a PUT runs in the
background, so the PUT figure for EC is measured to the moment the last slice is on disk too.
Mirror 2 (issue 19's other half) is still to be added as a third kind. Writes
bench/results/redundancy.md (command, machine, load, commit, figures).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "integration")]

import kilnbench  # noqa: E402
import kilnharness as kh  # noqa: E402
import rebalanceharness as rh  # noqa: E402

EC_PROPS = {"ec": {"enabled": True, "data_slices": 2, "parity_slices": 1,
                   "objsize_limit": 256 * 1024}}


def slice_files(cluster, bucket: str) -> int:
    return sum(1 for t in cluster.targets for p in (t.mountpath / "ec" / bucket).rglob("*")
               if p.is_file())


def run_kind(cluster, bucket: str, props: dict | None, objects: dict, workers: int) -> dict:
    kh.create_bucket(cluster.url, bucket)
    if props:
        r = requests.patch(f"{cluster.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                           json={"action": "set-bprops", "value": props}, timeout=10)
        assert r.status_code == 200, r.text
    t0 = time.monotonic()
    rh.put_many(cluster.url, bucket, objects, workers=workers)
    if props:  # every object's 3 slices on disk
        kh.wait_until(lambda: slice_files(cluster, bucket) == 3 * len(objects), 600,
                      "every slice written", interval=0.05)
    put_s = time.monotonic() - t0

    def get(item):
        name, data = item
        r = requests.get(f"{cluster.url}/v1/objects/{bucket}/{name}", timeout=60)
        return r.status_code == 200 and r.content == data

    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        ok = all(pool.map(get, objects.items()))
    get_s = time.monotonic() - t0
    total = sum(len(v) for v in objects.values()) / 2**20
    return {"put": total / put_s, "get": total / get_s, "ok": ok}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objects", type=int, default=64)
    ap.add_argument("--size", type=int, default=4 * 1024 * 1024 + 4321, help="bytes per object")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--out", default=str(HERE / "results" / "redundancy.md"))
    ap.add_argument("--note", default="", help="a line on how kilnd was built, for the record")
    args = ap.parse_args(argv[1:])
    facts = kilnbench.machine_facts(kh.KILND)
    facts.pop("nginx", None)
    objects = {k: (v * (args.size // len(v) + 1))[: args.size]
               for k, v in rh.payloads(args.objects).items()}
    with tempfile.TemporaryDirectory(prefix="kiln-redundancy-") as tmp:
        cluster = kh.Cluster(Path(tmp), 4)
        try:
            none = run_kind(cluster, "plain", None, objects, args.workers)
            ec = run_kind(cluster, "ec21", EC_PROPS, objects, args.workers)
        finally:
            cluster.close()
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*__import__("os").getloadavg())
    text = f"""# Redundancy: EC 2+1 against none, 4 targets

{kilnbench.facts_markdown(facts, kilnbench.command_line(argv))}
- Data: {args.objects} objects of {args.size} bytes ({args.objects * args.size / 2**20:.0f} MiB),
  {args.workers} client threads; PUT to the last slice on disk, GET with every byte checked.
{"- Note: " + args.note if args.note else ""}

| bucket | PUT MiB/s | GET MiB/s | all bytes right |
|---|---|---|---|
| none | {none['put']:.1f} | {none['get']:.1f} | {none['ok']} |
| EC 2+1 | {ec['put']:.1f} | {ec['get']:.1f} | {ec['ok']} |

**EC 2+1 / none: PUT {ec['put'] / none['put']:.2f}, GET {ec['get'] / none['get']:.2f}.**
"""
    Path(args.out).write_text(text)
    print(text)
    return 0 if none["ok"] and ec["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
