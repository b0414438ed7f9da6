#!/usr/bin/env python3
"""Redundancy costs: PUT and GET throughput of a mirrored bucket (mirror.copies 2) and of an
erasure-coded one (EC 2+1), each against a bucket with neither, as ratios in the same run.

Starts a proxy and four targets (kilnd, 127.0.0.1, a temporary folder), each target with two
mountpaths, and one bucket per mode. Each round PUTs --objects objects of each size through the
proxy on --clients keep-alive clients, then GETs them all back (every byte checked); the modes
take turns within a round, and the figure is the median of --rounds rounds. A mode the build
refuses (EC before its data path exists) is reported as such, not skipped silently. Writes
bench/results/redundancy.md (command, machine, load, commit, figures) and .json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "integration")]

import jobapi  # noqa: E402
import kilnbench  # noqa: E402
import kilnharness as kh  # noqa: E402

MODES = {
    "none": {},
    "mirror 2": {"mirror": {"enabled": True, "copies": 2}},
    "EC 2+1": {"ec": {"enabled": True, "data_slices": 2, "parity_slices": 1,
                      "objsize_limit": 256 * 1024}},
}


def make_bucket(url: str, name: str, props: dict) -> str | None:
    """The bucket with the mode's props; the refusal's text when the cluster refuses them."""
    kh.create_bucket(url, name)
    if not props:
        return None
    r = requests.patch(f"{url}/v1/buckets/{name}", params={"provider": "ais"},
                       json={"action": "set-bprops", "name": "", "value": props}, timeout=60)
    return None if r.status_code == 200 else f"{r.status_code} {r.text.strip()[:160]}"


def put_all(url, bucket, objects, clients) -> float:
    def put(s, item):
        r = s.put(url + kh.obj_path(bucket, item[0]), data=item[1], timeout=120)
        assert r.status_code == 200, (item[0], r.status_code, r.text)

    t0 = time.monotonic()
    jobapi.parallel(put, list(objects.items()), workers=clients)
    return time.monotonic() - t0


def get_all(url, bucket, objects, clients) -> float:
    def get(s, item):
        r = s.get(url + kh.obj_path(bucket, item[0]), timeout=120)
        assert r.status_code == 200 and r.content == item[1], (item[0], r.status_code)

    t0 = time.monotonic()
    jobapi.parallel(get, list(objects.items()), workers=clients)
    return time.monotonic() - t0


def measure(url, modes, sizes, count, clients, rounds) -> dict:
    """{size: {mode: {"put": [MiB/s per round], "get": [...]}}}."""
    out = {size: {m: {"put": [], "get": []} for m in modes} for size in sizes}
    for rnd in range(rounds):
        for size in sizes:
            objects = {f"r{rnd}/s{size}/{i:05d}": os.urandom(size) for i in range(count)}
            mib = count * size / 2**20
            for mode, bucket in modes.items():
                out[size][mode]["put"].append(mib / put_all(url, bucket, objects, clients))
                out[size][mode]["get"].append(mib / get_all(url, bucket, objects, clients))
    return out


def table(figures: dict, refused: dict) -> str:
    rows = ["| object size | mode | PUT MiB/s | PUT / none | GET MiB/s | GET / none |",
            "|---|---|---:|---:|---:|---:|"]
    for size, modes in figures.items():
        base = {op: statistics.median(modes["none"][op]) for op in ("put", "get")}
        for mode, ops in modes.items():
            med = {op: statistics.median(ops[op]) for op in ("put", "get")}
            rows.append(f"| {size // 1024} KiB | {mode} | {med['put']:.1f} | "
                        f"{med['put'] / base['put']:.2f} | {med['get']:.1f} | "
                        f"{med['get'] / base['get']:.2f} |")
    for mode, why in refused.items():
        rows.append(f"| all | {mode} | refused: {why} | | | |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--objects", type=int, default=64, help="objects per size, mode and round")
    ap.add_argument("--sizes", default="65536,1048576,4194304")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "results" / "redundancy.md"))
    args = ap.parse_args(argv[1:])
    sizes = [int(s) for s in args.sizes.split(",")]
    facts = kilnbench.machine_facts(kh.KILND)
    facts.pop("nginx", None)
    with tempfile.TemporaryDirectory(prefix="kiln-redundancy-") as tmp:
        cluster = kh.Cluster(Path(tmp), 4, keepalive=("1s", "5s"), mountpaths=2)
        try:
            modes, refused = {}, {}
            for i, (mode, props) in enumerate(MODES.items()):
                why = make_bucket(cluster.url, f"bench-{i}", props)
                if why:
                    refused[mode] = why
                else:
                    modes[mode] = f"bench-{i}"
            figures = measure(cluster.url, modes, sizes, args.objects, args.clients, args.rounds)
        finally:
            cluster.close()
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    text = f"""# Redundancy: mirror 2 and EC 2+1 against none

{kilnbench.facts_markdown(facts, kilnbench.command_line(argv))}
- Cluster: a proxy and 4 targets with 2 mountpaths each (one disk here), through the proxy.
- Load: per size, mode and round {args.objects} objects, {args.clients} keep-alive clients;
  PUT all, then GET all with every byte checked; medians of {args.rounds} rounds.

{table(figures, refused)}"""
    Path(args.out).write_text(text)
    Path(args.out).with_suffix(".json").write_text(
        json.dumps({"facts": facts, "refused": refused, "figures": figures}, indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
