#!/usr/bin/env python3
"""kilnd against a real AIStore (aisnode v1.5.0) in the same run, on the same machine.

Starts `kilnd cluster --targets 1` and an AIStore of 1 proxy + 1 target (tests/aisnode/aisnode.py:
AIS's local playground configuration, test mountpaths), PUTs the same objects to both through
their proxies (16 KiB and 1 MiB, random bytes, checked by SHA-256 on the way back), then, for
each round, interleaved:

  GET 16 KiB, GET 1 MiB   wrk (Debian's 4.1, bench/wrk_rotate.lua rotating over the objects)
                          straight at each target, for each connection count
  PUT 1 MiB               bench/putload.py: C keep-alive clients, one process each, PUTting to
                          each target straight, at the Location its proxy's 307 gave for each
                          name (AIS targets refuse a PUT without it); 16 names per client

Reported per row: medians over the rounds of req/s, MiB/s, p50/p99, the CPU the server used
(all its nodes, in cores), MiB/s per server core, and the ratio kilnd / aisnode for both; also
the CPU everything else on the machine used during each run (the machine is shared). Writes a
Markdown report and the raw runs as JSON (default bench/results/aisnode_side_by_side.md).

aisnode listens on its public port on every address, so the script re-runs itself in a network
namespace of its own (tests/aisnode/netns.py) where only loopback exists; kilnd, aisnode, wrk
and the clients all run there. The aisnode binary comes from scripts/install-aisnode (built once).

    .venv/bin/python bench/aisnode_side_by_side.py                  # 3 rounds, ~6 min idle
    .venv/bin/python bench/aisnode_side_by_side.py --quick          # smoke test, ~1 min
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "aisnode"))
import aisnode  # noqa: E402
import kilnbench as kb  # noqa: E402
import netns  # noqa: E402

from sidebyside import (BUCKET, PREFIX, SIZES, Side, create_bucket, fill,  # noqa: E402
                        put_run, run_facts, wrk_get)


def one_round(args, sides: list[Side], work: Path, rnd: int, runs: list) -> None:
    for label, size in SIZES.items():
        paths = work / f"paths-{PREFIX[label]}.txt"
        for conns in args.connections:
            for side in (sides if rnd % 2 == 0 else sides[::-1]):
                wrk_get(side, paths, conns, min(2.0, args.duration), size)  # warm-up
                res = wrk_get(side, paths, conns, args.duration, size)
                runs.append({"round": rnd, "work": f"GET {label}", "client": "wrk",
                             "conns": conns, "server": side.name, **res})
                print(f"  round {rnd} GET {label} c={conns} {side.name}: {res['mib_s']:.0f} MiB/s,"
                      f" server {res['server_cpu']:.2f} cores, other {res['other_cpu']:.2f}",
                      flush=True)
    for side in (sides if rnd % 2 == 0 else sides[::-1]):
        res = put_run(side, args.put_clients, args.duration)
        runs.append({"round": rnd, "work": "PUT 1 MiB", "client": "py", "conns": args.put_clients,
                     "server": side.name, **res})
        print(f"  round {rnd} PUT 1 MiB c={args.put_clients} {side.name}: {res['mib_s']:.0f} "
              f"MiB/s, server {res['server_cpu']:.2f} cores, other {res['other_cpu']:.2f}",
              flush=True)


KEYS = ("req_s", "mib_s", "p50_ms", "p99_ms", "server_cpu", "per_core", "other_cpu")


def medians(runs: list) -> dict:
    groups: dict[tuple, list] = {}
    for r in runs:
        groups.setdefault((r["work"], r["client"], r["conns"], r["server"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        out[key] = {k: statistics.median(r[k] for r in rs) for k in KEYS}
        out[key]["errors"] = sum(r["errors"] for r in rs)
        out[key]["range"] = (min(r["mib_s"] for r in rs), max(r["mib_s"] for r in rs))
    return out


def report(args, facts: dict, command: str, runs: list) -> str:
    med = medians(runs)
    rows = sorted({k[:3] for k in med}, key=lambda k: (k[0].startswith("PUT"), k[0], k[2]))
    lines = ["# kilnd vs aisnode, side by side", "", kb.facts_markdown(facts, command),
             f"- Rounds: {args.rounds} (medians), {args.duration:g} s per run after a warm-up; "
             "1 target each, requests straight to the target; the same objects on both",
             "", "| work | client | conns | kilnd / aisnode MiB/s | per server core | "
             "MiB/s kilnd · aisnode | MiB/s per server core kilnd · aisnode |",
             "|---|---|---:|---:|---:|---|---|"]
    for work, client, conns in rows:
        k, a = med.get((work, client, conns, "kilnd")), med.get((work, client, conns, "aisnode"))
        if not k or not a:
            continue
        lines.append(f"| {work} | {client} | {conns} | {k['mib_s'] / a['mib_s']:.2f} | "
                     f"{k['per_core'] / a['per_core']:.2f} | {k['mib_s']:.0f} · {a['mib_s']:.0f} | "
                     f"{k['per_core']:.0f} · {a['per_core']:.0f} |")
    lines += ["", "| work | conns | server | req/s | MiB/s (range) | p50 ms | p99 ms | server "
              "cores | other cores | errors |", "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for (work, client, conns, server), m in sorted(med.items()):
        lines.append(f"| {work} | {conns} | {server} | {m['req_s']:.0f} | {m['mib_s']:.0f} "
                     f"({m['range'][0]:.0f}–{m['range'][1]:.0f}) | {m['p50_ms']:.2f} | "
                     f"{m['p99_ms']:.2f} | {m['server_cpu']:.2f} | {m['other_cpu']:.2f} | "
                     f"{m['errors']} |")
    lines += ["", "Server cores: CPU time of all the server's nodes (proxy and target) over the "
              "run; other cores: the rest of the machine, clients excluded (other work on a "
              "shared machine). Per server core: MiB/s divided by server cores."]
    return "\n".join(lines) + "\n"


def inside(args) -> None:
    kilnd = kb.find_kilnd(args.kilnd)
    facts, command = run_facts(kilnd, args.mountpaths)
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-ais-", dir=args.workdir))
    runs: list = []
    try:
        with kb.KilnCluster(kilnd, work / "kiln", targets=1) as kiln, \
                aisnode.AisCluster(targets=1, mountpaths=args.mountpaths, base=work / "ais") as ais:
            kiln_procs = list(kiln.nodes().values())
            ais_procs = [psutil.Process(p) for p in ais.pids()]
            sides = [Side("kilnd", kiln.endpoint, kiln.target_urls()["target-1"], kiln_procs),
                     Side("aisnode", ais.url, ais.targets[0].url, ais_procs)]
            for side in sides:
                create_bucket(side.proxy)
            counts = {"16 KiB": args.objects_16k, "1 MiB": args.objects_1m}
            fill(sides, counts)
            for label in SIZES:
                (work / f"paths-{PREFIX[label]}.txt").write_text("".join(
                    f"/v1/objects/{BUCKET}/{PREFIX[label]}-{i:04d}?provider=ais\n"
                    for i in range(counts[label])))
            for rnd in range(args.rounds):
                one_round(args, sides, work, rnd, runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    out = Path(args.out)
    text = report(args, facts, command, runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "runs": runs}, indent=1))
    print(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32], help="wrk GET")
    ap.add_argument("--put-clients", type=int, default=8)
    ap.add_argument("--objects-16k", type=int, default=512)
    ap.add_argument("--objects-1m", type=int, default=128)
    ap.add_argument("--mountpaths", type=int, default=1, help="aisnode test mountpaths")
    ap.add_argument("--kilnd")
    ap.add_argument("--workdir", help="scratch folder parent (default: $TMPDIR)")
    ap.add_argument("--out", default=str(HERE / "results" / "aisnode_side_by_side.md"))
    ap.add_argument("--quick", action="store_true", help="1 round of 3 s, few objects")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration, args.objects_16k, args.objects_1m = 1, 3.0, 64, 16
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: scripts/install-deps installs it (Debian's wrk)")
    if not netns.is_isolated():
        # Outside: build or find aisnode (needs the network), then run again in a namespace.
        os.environ["KILN_AISNODE"] = str(aisnode.find_aisnode())
        os.environ["KILN_BENCH_COMMAND"] = kb.command_line(sys.argv)
        netns.exec_isolated([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    inside(args)


if __name__ == "__main__":
    main()
