#!/usr/bin/env python3
"""The proxy's hot path alone: object GETs answered with the redirect to their target, as wrk
drives them (wrk does not follow redirects), for a 1-target `kilnd cluster` on one HTTP thread
and one on the default threads (one per core) side by side, interleaved rounds. Reports per
variant the medians of redirects per second and of the proxy's CPU in cores.

    .venv/bin/python bench/proxy_redirects.py [--rounds 3] [--duration 3] [--connections 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import kilnbench as kb  # noqa: E402


def one_run(url: str, proxy, args) -> tuple[float, float]:
    """Redirects per second, and the proxy's CPU in cores."""
    run = kb.wrk_server_cpu(url, proxy, args.duration, args.connections, threads=2)
    return run["requests_per_s"], run["cpu_s"] / args.duration


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--kilnd", default=None)
    args = ap.parse_args()
    kilnd = kb.find_kilnd(args.kilnd)
    variants = {"1 thread": "1", "default threads": "0"}
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory(prefix="kiln-redirect-bench-") as tmp:
        clusters = {name: kb.KilnCluster(kilnd, Path(tmp) / threads,
                                         extra=["--http-threads", threads])
                    for name, threads in variants.items()}
        for c in clusters.values():
            c.__enter__()
        try:
            urls = {}
            for name, c in clusters.items():
                requests.post(f"{c.endpoint}/v1/buckets/bench", json={"action": "create-bck"},
                              timeout=30).raise_for_status()
                urls[name] = c.object_url("bench", "o")
                requests.put(urls[name], data=b"x" * 1024, timeout=30).raise_for_status()
            for _ in range(args.rounds):
                for name, c in clusters.items():
                    runs[name].append(one_run(urls[name], c.nodes()["proxy"], args))
        finally:
            for c in clusters.values():
                c.__exit__(None, None, None)
    print(kb.facts_markdown(kb.machine_facts(kilnd), kb.command_line(sys.argv)))
    print("\n| proxy | redirects/s | proxy cores |\n|---|---|---|")
    for name, rs in runs.items():
        print(f"| {name} | {statistics.median(r[0] for r in rs):.0f} | "
              f"{statistics.median(r[1] for r in rs):.2f} |")


if __name__ == "__main__":
    main()
