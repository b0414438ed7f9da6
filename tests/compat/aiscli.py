"""The official `ais` CLI, run as a user types it, against a Kiln cluster.

`binary()` finds it the way scripts/install-ais does (KILN_AIS, an `ais` on PATH, or the one
built from ../shared/vendor) and says which on stderr. `AisCli.run("ais object cp ...")` splits
the line like a shell, gives the CLI its own HOME and AIS_CONFIG_DIR (no shared CLI config) and
the cluster's endpoint. `tabwriter()` lays a table out as the CLI's Go text/tabwriter does
(tab-padded cells, tab width 8, padding 1), so expected tables are built from values the test
computed, not copied from a run.
"""

import json
import math
import os
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def binary() -> tuple[str, str]:
    """(path, how it was found) of the ais CLI."""
    r = subprocess.run([str(REPO / "scripts" / "install-ais")], capture_output=True, text=True,
                       timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"no ais CLI: {r.stderr.strip()}")
    return r.stdout.strip(), r.stderr.strip().removeprefix("kiln: ")


class AisCli:
    def __init__(self, path: str, url: str, home: Path):
        self.path = path
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "HOME": str(home), "AIS_CONFIG_DIR": str(home / "ais"),
                    "AIS_ENDPOINT": url, "NO_COLOR": "1"}
        self.steps: list[dict] = []

    def run(self, line: str, stdin: bytes | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
        argv = shlex.split(line)
        assert argv[0] == "ais", line
        return subprocess.run([self.path, *argv[1:]], input=stdin, capture_output=True,
                              env=self.env, cwd=cwd, timeout=timeout)

    def version(self) -> str:
        r = self.run("ais version")
        return r.stdout.decode().strip().splitlines()[0] if r.returncode == 0 else "unknown"

    def record(self, command: str, ok: bool) -> None:
        self.steps.append({"command": command, "ok": ok})

    def write_record(self, folder: str | None, name: str, client: str, seconds: float) -> None:
        if not folder or not self.steps:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_text(json.dumps(
            {"client": client, "suite": "test_cli_objects.py", "seconds": round(seconds, 1),
             "title": "ais CLI: object and bucket commands", "steps": self.steps}, indent=1))


def tabwriter(rows: list[list[str]]) -> str:
    """Go's tabwriter.NewWriter(w, 0, 8, 1, '\\t', 0) over rows of cells (the last cell of a
    row is not aligned): each column is as wide as its widest cell plus one, rounded up to a
    tab stop, and a cell is followed by as many tabs as reach it."""
    columns = max(len(r) for r in rows) - 1
    widths = []
    for c in range(columns):
        w = max(len(r[c]) for r in rows if c < len(r) - 1) + 1
        widths.append(math.ceil(w / 8) * 8)
    out = []
    for r in rows:
        line = ""
        for c, cell in enumerate(r[:-1]):
            line += cell + "\t" * math.ceil((widths[c] - len(cell)) / 8)
        out.append(line + r[-1])
    return "\n".join(out) + "\n"


def iec(size: int, digits: int = 2) -> str:
    """The CLI's sizes (cos.IEC): bytes as "NB", else KiB/MiB/... with `digits` decimals."""
    if size < 1024:
        return f"{size}B"
    for unit, power in (("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if size >= 1024 ** power:
            return f"{size / 1024 ** power:.{digits}f}{unit}"
    raise AssertionError(size)
