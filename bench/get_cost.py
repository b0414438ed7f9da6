#!/usr/bin/env python3
"""Target CPU per GET, for several kilnd builds or settings in one run (before/after figures).

Each contender is a 1-target `kilnd cluster` (a binary, optionally with environment variables);
all run at once with the same objects (16 KiB and 1 MiB, random), and short wrk runs alternate
between them, round after round, so a busy shared machine disturbs them alike. Per contender,
size and connection count, the medians of: target CPU µs per request (psutil: user + system
time of the target process over the run, divided by the requests wrk completed), target CPU
seconds per GiB, and MiB/s. With --perf, `perf record -g` samples the first contender's target
during one extra 16 KiB run and the top of `perf report` is written next to the results.

    .venv/bin/python bench/get_cost.py --contender before=/tmp/kilnd-old \\
        --contender after=build/service/kilnd --contender copies=build/service/kilnd:KILN_SENDFILE=0
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kilnbench as kb  # noqa: E402
from sidebyside import Side, wrk_get  # noqa: E402

BUCKET = "bench"
SIZES = {"16 KiB": 16 * 1024, "1 MiB": kb.MiB}


def parse_contender(spec: str) -> tuple[str, Path, dict[str, str]]:
    name, rest = spec.split("=", 1)
    binary, *env = rest.split(":")
    return name, Path(binary).resolve(), dict(e.split("=", 1) for e in env)


def start(args, work: Path, stack: list) -> dict[str, tuple[Side, dict[str, Path]]]:
    contenders = {}
    for spec in args.contender:
        name, binary, env = parse_contender(spec)
        cl = kb.KilnCluster(binary, work / name, 1, log_path=work / f"{name}.log", env=env)
        stack.append(cl.__enter__())
        target = cl.target_urls()["target-1"]
        cl.create_bucket(BUCKET)
        paths = {}
        with requests.Session() as session:
            for label, size in SIZES.items():
                names = [f"s{size}-{i:04d}" for i in range(args.objects)]
                for n in names:
                    session.put(cl.object_url(BUCKET, n), data=os.urandom(size),
                                timeout=60).raise_for_status()
                paths[label] = work / f"{name}-{size}.txt"
                paths[label].write_text("".join(f"/v1/objects/{BUCKET}/{n}?provider=ais\n"
                                                for n in names))
        side = Side(name, cl.endpoint, target, [cl.nodes()["target-1"]])
        contenders[name] = (side, paths)
    return contenders


def profile(side: Side, paths: Path, work: Path, out: Path, seconds: float) -> None:
    """perf record (DWARF call graphs: the build has no frame pointers) of the target during a
    16 KiB run; writes the flat profile and the inclusive one (self + callees) per symbol."""
    data = work / "perf.data"
    rec = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph", "dwarf,16384", "-o",
                            str(data), "-p", str(side.procs[0].pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    wrk_get(side, paths, 8, seconds, SIZES["16 KiB"])
    rec.send_signal(2)
    rec.wait(60)
    text = []
    for mode in ("--no-children", "--children"):
        rep = subprocess.run(["perf", "report", "-i", str(data), mode, "--stdio", "-g", "none",
                              "--percent-limit", "1", "--sort", "dso,symbol"],
                             capture_output=True, text=True, timeout=900)
        text.append(f"## perf report {mode}\n\n" + "\n".join(
            line.rstrip() for line in rep.stdout.splitlines() if line and line[0] != "#"))
    out.write_text("\n\n".join(text) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--contender", action="append", required=True,
                    metavar="NAME=KILND[:VAR=VALUE...]")
    ap.add_argument("--objects", type=int, default=64)
    ap.add_argument("--connections", type=int, nargs="+", default=[8, 32])
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--perf", action="store_true", help="perf record the first contender")
    ap.add_argument("--out", default=str(kb.REPO / "bench/results/get_cost.md"))
    args = ap.parse_args()
    facts = kb.machine_facts(parse_contender(args.contender[0])[1])
    command = kb.command_line(sys.argv)
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-cost-"))
    stack: list = []
    runs: list = []
    out = Path(args.out)
    try:
        contenders = start(args, work, stack)
        for side, paths in contenders.values():  # warm-up: page cache, connections
            for label in SIZES:
                wrk_get(side, paths[label], 8, 1.0, SIZES[label])
        for rnd in range(args.rounds):
            for label, size in SIZES.items():
                for conns in args.connections:
                    for side, paths in contenders.values():
                        r = wrk_get(side, paths[label], conns, args.duration, size)
                        r.update(us_per_req=r["server_cpu"] / r["req_s"] * 1e6 if r["req_s"] else 0,
                                 s_per_gib=r["server_cpu"] / r["mib_s"] * 1024 if r["mib_s"] else 0,
                                 round=rnd, size=label, conns=conns, contender=side.name)
                        runs.append(r)
                        print(f"r{rnd} {label} c={conns} {side.name}: {r['us_per_req']:.1f} "
                              f"µs/req, {r['mib_s']:.0f} MiB/s, other {r['other_cpu']:.2f} "
                              "cores", flush=True)
        if args.perf and shutil.which("perf"):
            side, paths = next(iter(contenders.values()))
            profile(side, paths["16 KiB"], work, out.with_suffix(".perf.txt"), 5.0)
    finally:
        for cl in stack:
            cl.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
    facts["load"] += "; {:.2f} {:.2f} {:.2f} at the end".format(*os.getloadavg())
    lines = ["# Target CPU per GET, contenders side by side\n", kb.facts_markdown(facts, command),
             f"- {args.objects} objects per size per contender; all contenders run at once; "
             f"{args.rounds} rounds of {args.duration:g} s wrk runs alternate between them "
             "(straight to the target). Medians over the rounds.",
             "- Contenders: " + ", ".join(f"`{c}`" for c in args.contender) + "\n",
             "| size | conns | contender | target CPU µs/request | target CPU s/GiB | MiB/s | "
             "other cores | errors |", "|---|---:|---|---:|---:|---:|---:|---:|"]
    for label in SIZES:
        for conns in args.connections:
            for name in (parse_contender(c)[0] for c in args.contender):
                rs = [r for r in runs if (r["size"], r["conns"], r["contender"])
                      == (label, conns, name)]
                med = {k: statistics.median(r[k] for r in rs)
                       for k in ("us_per_req", "s_per_gib", "mib_s", "other_cpu")}
                lines.append(f"| {label} | {conns} | {name} | {med['us_per_req']:.1f} | "
                             f"{med['s_per_gib']:.3f} | {med['mib_s']:.0f} | "
                             f"{med['other_cpu']:.2f} | {sum(r['errors'] for r in rs)} |")
    text = "\n".join(lines) + "\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    out.with_suffix(".json").write_text(json.dumps({"facts": facts, "command": command,
                                                    "runs": runs}, indent=1) + "\n")
    print("\n" + text)


if __name__ == "__main__":
    main()
