#!/usr/bin/env python3
"""What auth costs a GET: two 1-target `kilnd cluster`s side by side, one plain and one with
--auth, the same 1 MiB objects in each, and short interleaved GET runs through the proxy (so
the proxy checks the token and the target the proxy's redirect signature). Reports per variant
the medians of MiB/s and of server CPU seconds per GiB (proxy + target, psutil), and the ratio
auth / plain. CPU per GiB is the figure a busy shared machine disturbs least.

Then the token check alone, hop by hop, with wrk (a C client, no redirects followed): server CPU
per request of the proxy's redirect with and without a token, and of the target's GET of a
redirect URL with and without the proxy's signature (16 KiB, where the fixed cost per request
shows). Their difference, over the plain end-to-end server CPU of one 1 MiB GET, is what the
token check adds; the end-to-end ratio also carries how two processes and the client share the
machine's cores.

    .venv/bin/python bench/auth_overhead.py [--rounds 5] [--duration 4] [--connections 4]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import httpload  # noqa: E402
import kilnbench as kb  # noqa: E402

SECRET = secrets.token_hex(16)
OBJECTS, SIZE = 16, 1024 * 1024


def admin_token() -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": "bench", "admin": True, "exp": int(time.time()) + 3600}).encode())
    sig = hmac.new(SECRET.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def fill(cluster: kb.KilnCluster, headers: dict) -> list[str]:
    r = requests.post(f"{cluster.endpoint}/v1/buckets/bench", json={"action": "create-bck"},
                      headers=headers, timeout=30)
    r.raise_for_status()
    data = os.urandom(SIZE)
    urls = []
    for i in range(OBJECTS):
        url = cluster.object_url("bench", f"o{i}")
        requests.put(url, data=data, headers=headers, timeout=30).raise_for_status()
        urls.append(url)
    return urls


def measure(cluster, urls, headers, args, ca: str | None = None) -> dict:
    """One GET run: MiB/s and the cluster's CPU seconds per GiB (https URLs checked against ca)."""
    nodes = list(cluster.nodes().values())
    cpu0 = kb.cpu_seconds(nodes)
    load = httpload.run_load(urls, args.connections, args.duration, headers=headers, ca=ca)
    cpu = kb.cpu_seconds(nodes) - cpu0
    gib = load["bytes"] / 2**30
    return {"mib_s": load["mib_s"], "cpu_s_per_gib": cpu / gib if gib else float("nan"),
            "errors": load["errors"], "first_error": load["first_error"]}


def wrk_cpu_per_request(url: str, node, headers: dict, duration: float) -> float:
    """Server CPU microseconds per request of node while wrk GETs url (4 connections)."""
    run = kb.wrk_server_cpu(url, node, duration, headers=headers)
    return run["cpu_s"] / run["requests"] * 1e6


def hop_costs(variants: dict, rounds: int, duration: float) -> dict:
    """Medians of server CPU us per request: the proxy's redirect, the target's 16 KiB GET."""
    small = os.urandom(16 * 1024)
    urls = {}
    for name, (cluster, _, headers) in variants.items():
        url = cluster.object_url("bench", "small")
        requests.put(url, data=small, headers=headers, timeout=30).raise_for_status()
        urls[name] = url
    costs: dict[str, list[float]] = {f"{h}_{n}": [] for h in ("proxy", "target") for n in variants}
    for _ in range(rounds):
        for name, (cluster, _, headers) in variants.items():
            nodes = cluster.nodes()
            # A fresh redirect each round: its signature is good for 5 minutes.
            location = requests.get(urls[name], headers=headers, allow_redirects=False,
                                    timeout=30).headers["Location"]
            costs[f"proxy_{name}"].append(
                wrk_cpu_per_request(urls[name], nodes["proxy"], headers, duration))
            costs[f"target_{name}"].append(
                wrk_cpu_per_request(location, nodes["target-1"], {}, duration))
    return {k: statistics.median(v) for k, v in costs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--kilnd", default=None)
    ap.add_argument("--out", default=str(HERE / "results" / "auth_overhead.md"))
    args = ap.parse_args()
    kilnd = kb.find_kilnd(args.kilnd)
    token = {"Authorization": f"Bearer {admin_token()}"}
    runs: dict[str, list[dict]] = {"plain": [], "auth": []}
    with tempfile.TemporaryDirectory(prefix="kiln-auth-bench-") as tmp:
        plain = kb.KilnCluster(kilnd, Path(tmp) / "plain")
        secured = kb.KilnCluster(kilnd, Path(tmp) / "auth", env={"KILN_AUTH_SECRET": SECRET},
                                 extra=["--auth"])
        with plain, secured:
            variants = {"plain": (plain, fill(plain, {}), {}),
                        "auth": (secured, fill(secured, token), token)}
            for _ in range(args.rounds):
                for name, (cluster, urls, headers) in variants.items():
                    runs[name].append(measure(cluster, urls, headers, args))
            hops = hop_costs(variants, args.rounds, args.duration)
    report(runs, hops, args, kilnd)


def report(runs: dict, hops: dict, args, kilnd: Path) -> None:
    med = {name: {k: statistics.median(r[k] for r in rs) for k in ("mib_s", "cpu_s_per_gib")}
           for name, rs in runs.items()}
    errors = {name: sum(r["errors"] for r in rs) for name, rs in runs.items()}
    ratio_tput = med["auth"]["mib_s"] / med["plain"]["mib_s"]
    ratio_cpu = med["auth"]["cpu_s_per_gib"] / med["plain"]["cpu_s_per_gib"]
    facts = kb.machine_facts(kilnd)
    lines = [
        "# Auth overhead: GET 1 MiB through the proxy, --auth vs plain", "",
        kb.facts_markdown(facts, kb.command_line(sys.argv)), "",
        f"{args.rounds} interleaved rounds of {args.duration:g} s, {args.connections} keep-alive "
        f"connections, {OBJECTS} objects of 1 MiB, 1 target; medians.", "",
        "| variant | MiB/s | server CPU s per GiB | errors |", "|---|---|---|---|",
        *(f"| {n} | {m['mib_s']:.1f} | {m['cpu_s_per_gib']:.3f} | {errors[n]} |"
          for n, m in med.items()),
        "", f"auth / plain: throughput {ratio_tput:.3f}, CPU per GiB {ratio_cpu:.3f}", ""]
    per_get_us = med["plain"]["cpu_s_per_gib"] / 1024 * 1e6  # plain server CPU of one 1 MiB GET
    added = {h: hops[f"{h}_auth"] - hops[f"{h}_plain"] for h in ("proxy", "target")}
    lines += [
        "## The token check alone, hop by hop (wrk, 4 connections, medians)", "",
        "| hop | plain us/request | auth us/request | added us |", "|---|---|---|---|",
        *(f"| {h} | {hops[f'{h}_plain']:.1f} | {hops[f'{h}_auth']:.1f} | {added[h]:+.1f} |"
          for h in ("proxy", "target")),
        "", f"token check: {sum(added.values()):+.1f} us per GET, "
        f"{100 * sum(added.values()) / per_get_us:.2f} % of the plain server CPU of a 1 MiB GET "
        f"({per_get_us:.0f} us)", ""]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    out.with_suffix(".json").write_text(json.dumps({"runs": runs, "medians": med, "hops": hops,
                                                    "facts": facts}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
