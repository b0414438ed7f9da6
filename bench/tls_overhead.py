#!/usr/bin/env python3
"""What HTTPS costs a GET: two 1-target `kilnd cluster`s side by side, one plain and one with
--tls, the same objects in each, and short interleaved GET runs through the proxy (the client
follows the redirect to the target, over TLS on the second). Reports per variant and object
size the medians of MiB/s and of server CPU seconds per GiB (proxy + target, psutil), and the
ratios https / http in the same run.

    .venv/bin/python bench/tls_overhead.py [--rounds 5] [--duration 4] [--connections 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import kilnbench as kb  # noqa: E402
from auth_overhead import measure  # noqa: E402

SIZES = {"16 KiB": 16 * 1024, "1 MiB": 1024 * 1024}
OBJECTS = 16


def fill(cluster: kb.KilnCluster, ca) -> dict[str, list[str]]:
    verify = ca or True
    r = requests.post(f"{cluster.endpoint}/v1/buckets/bench", json={"action": "create-bck"},
                      verify=verify, timeout=30)
    r.raise_for_status()
    urls = {}
    for label, size in SIZES.items():
        data = os.urandom(size)
        urls[label] = []
        for i in range(OBJECTS):
            url = cluster.object_url("bench", f"{size}/o{i}")
            requests.put(url, data=data, verify=verify, timeout=30).raise_for_status()
            urls[label].append(url)
    return urls


def report(runs: dict, args, kilnd: Path) -> str:
    facts = kb.machine_facts(kilnd)
    facts.pop("nginx", None)
    rows = ["| size | variant | MiB/s | server CPU s per GiB | errors |", "|---|---|---:|---:|---:|"]
    ratios = []
    for label in SIZES:
        med = {}
        for variant in ("http", "https"):
            rs = runs[variant][label]
            med[variant] = {k: statistics.median(r[k] for r in rs)
                            for k in ("mib_s", "cpu_s_per_gib")}
            rows.append(f"| {label} | {variant} | {med[variant]['mib_s']:.1f} | "
                        f"{med[variant]['cpu_s_per_gib']:.3f} | {sum(r['errors'] for r in rs)} |")
        ratios.append(f"- {label}: https / http throughput "
                      f"{med['https']['mib_s'] / med['http']['mib_s']:.3f}, CPU per GiB "
                      f"{med['https']['cpu_s_per_gib'] / med['http']['cpu_s_per_gib']:.3f}")
    return "\n".join([
        "# TLS overhead: GET through the proxy, --tls vs plain", "",
        kb.facts_markdown(facts, kb.command_line(sys.argv)), "",
        f"{args.rounds} interleaved rounds of {args.duration:g} s per size and variant, "
        f"{args.connections} keep-alive connections (httpload, TLS by Python's ssl on the "
        f"client side), {OBJECTS} objects per size, 1 target; medians.", "",
        *rows, "", *ratios, ""])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--kilnd", default=None)
    ap.add_argument("--out", default=str(HERE / "results" / "tls_overhead.md"))
    args = ap.parse_args()
    kilnd = kb.find_kilnd(args.kilnd)
    runs = {v: {label: [] for label in SIZES} for v in ("http", "https")}
    with tempfile.TemporaryDirectory(prefix="kiln-tls-bench-") as tmp:
        plain = kb.KilnCluster(kilnd, Path(tmp) / "plain")
        secured = kb.KilnCluster(kilnd, Path(tmp) / "tls", extra=["--tls"])
        with plain, secured:
            ca = str(Path(tmp) / "tls" / "tls" / "ca.pem")
            variants = {"http": (plain, fill(plain, None), None),
                        "https": (secured, fill(secured, ca), ca)}
            for _ in range(args.rounds):
                for label in SIZES:
                    for name, (cluster, urls, cafile) in variants.items():
                        runs[name][label].append(measure(cluster, urls[label], {}, args, ca=cafile))
    text = report(runs, args, kilnd)
    out = Path(args.out)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"runs": runs}, indent=1))
    print(text)


if __name__ == "__main__":
    main()
