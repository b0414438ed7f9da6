"""Turns the raw backtrace a dying kilnd writes after its fatal report (service/node/fatalreport.h:
backtrace_symbols_fd lines such as `/path/kilnd(+0x1a2b) [0x55d0...]` or
`/lib/libQt6Core.so.6(_ZN7QObject5eventEP6QEvent+0x5c) [0x7f...]`) into function names with file
and line, so a crash seen once in CI can be read from its log alone."""

import re
import shutil
import subprocess
from pathlib import Path

FRAME_RE = re.compile(r"^(?P<module>/\S+)\((?P<symbol>[^()+]*)(?:\+(?P<offset>0x[0-9a-f]+))?\)"
                      r"\s*\[(?P<address>0x[0-9a-f]+)\]$")


def is_frame(line: str) -> bool:
    return FRAME_RE.match(line.strip()) is not None


def _run(args: list[str], stdin: str = "") -> list[str]:
    try:
        out = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return out.stdout.splitlines() if out.returncode == 0 else []


def _symbol_addresses(module: str) -> dict[str, int]:
    """Mangled name -> address in module, from its symbol tables (static and dynamic)."""
    found = {}
    for extra in ([], ["-D"]):
        for line in _run(["nm", *extra, module]):
            parts = line.split()
            if len(parts) == 3:
                found.setdefault(parts[2], int(parts[0], 16))
    return found


def _demangle(names: list[str]) -> list[str]:
    out = _run(["c++filt"], "\n".join(names) + "\n") if shutil.which("c++filt") else []
    return out if len(out) == len(names) else names


def symbolize(lines: list[str]) -> list[str]:
    """One readable line per frame: `function at file:line` where the module has debug
    information, else the demangled symbol and module; lines that are not frames are kept."""
    frames = [FRAME_RE.match(line.strip()) for line in lines]
    symbols_of: dict[str, dict[str, int]] = {}
    wanted: dict[str, list[int]] = {}  # module -> module-relative addresses, in frame order
    relative: list[int | None] = []
    for m in frames:
        if not m:
            relative.append(None)
            continue
        module, symbol, offset = m["module"], m["symbol"], int(m["offset"] or "0", 16)
        if symbol:
            if module not in symbols_of:  # nm once per module, not once per frame
                symbols_of[module] = _symbol_addresses(module)
            base = symbols_of[module].get(symbol)
            rel = None if base is None else base + offset
        else:
            rel = offset
        relative.append(rel)
        if rel is not None:
            wanted.setdefault(module, []).append(rel)
    located: dict[tuple[str, int], str] = {}
    for module, addresses in wanted.items():
        if not Path(module).is_file() or not shutil.which("addr2line"):
            continue
        out = _run(["addr2line", "-f", "-C", "-e", module, *[hex(a) for a in addresses]])
        if len(out) != 2 * len(addresses):
            continue
        for i, address in enumerate(addresses):
            function, where = out[2 * i], out[2 * i + 1]
            if function != "??" or not where.startswith("??"):
                located[(module, address)] = f"{function} at {where}"
    names = _demangle([m["symbol"] if m and m["symbol"] else "" for m in frames])
    result = []
    for line, m, rel, name in zip(lines, frames, relative, names):
        if not m:
            result.append(line)
        elif rel is not None and (m["module"], rel) in located:
            result.append(f"  {located[(m['module'], rel)]}")
        else:
            result.append(f"  {name or '??'} in {Path(m['module']).name}")
    return result
