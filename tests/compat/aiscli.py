"""The real `ais` CLI for the compat suite: which binary (scripts/install-ais: an `ais` on PATH,
or the one built from ../shared/vendor), a runner with a private config folder per cluster, and
the formatting the CLI's tables get from Go's text/tabwriter, so that tests can compute the
exact output they expect from values they know.
"""

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def install() -> tuple[str, str]:
    """(path of the ais binary, how scripts/install-ais found it)."""
    r = subprocess.run([str(REPO / "scripts" / "install-ais")], capture_output=True, text=True,
                       timeout=900)
    if r.returncode != 0:
        raise RuntimeError(f"scripts/install-ais failed:\n{r.stderr}")
    said = [line for line in r.stderr.splitlines() if line.startswith("kiln: ais CLI")]
    # "ais CLI on PATH: /usr/bin/ais" / "ais CLI built from <tarball>: <path>": the first part.
    how = said[-1].removeprefix("kiln: ").split(": ")[0] if said else "ais CLI"
    return r.stdout.strip(), how


@dataclass
class Run:
    rc: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"rc={self.rc}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


class Cli:
    """Runs `ais` against one cluster with its own HOME and AIS_CONFIG_DIR; stdout is not a
    terminal, so the CLI prints no colours. The CLI reads and writes its config (cli.json) in
    the home folder of the passwd entry (Go's user.Current), not $HOME: a test that runs
    `ais config cli set` calls private_config() first, so that it does not change the user's."""

    def __init__(self, binary: str, url: str, home: Path, cwd: Path | None = None):
        self.binary = binary
        self.prefix: list[str] = []
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.cwd = cwd or home
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
                    "AIS_CONFIG_DIR": str(home / "ais-config"), "AIS_ENDPOINT": url,
                    "TERM": "dumb", "LANG": "C.UTF-8"}

    def private_config(self) -> None:
        """Runs the CLI with home/ais-config bound (bubblewrap) over the user's ~/.config/ais,
        so that its config and token files are this runner's own."""
        bwrap = shutil.which("bwrap")
        assert bwrap, "bubblewrap is needed to give the CLI a config folder of its own"
        real = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".config" / "ais"
        real.mkdir(parents=True, exist_ok=True)  # the mount point
        mine = self.home / "ais-config"
        mine.mkdir(parents=True, exist_ok=True)
        self.prefix = [bwrap, "--dev-bind", "/", "/", "--bind", str(mine), str(real), "--"]

    def run(self, *args: str, stdin: bytes | None = None, cwd: Path | None = None,
            timeout: float = 600) -> Run:
        r = subprocess.run([*self.prefix, self.binary, *args], input=stdin, capture_output=True,
                           env=self.env, cwd=cwd or self.cwd, timeout=timeout)
        return Run(r.returncode, r.stdout.decode(errors="replace"),
                   r.stderr.decode(errors="replace"))

    def raw(self, *args: str, timeout: float = 600) -> bytes:
        """stdout as bytes (object data); fails on a non-zero exit status."""
        r = subprocess.run([*self.prefix, self.binary, *args], capture_output=True, env=self.env,
                           cwd=self.cwd, timeout=timeout)
        assert r.returncode == 0, f"ais {' '.join(args)}: rc={r.returncode}\n{r.stderr.decode()}"
        return r.stdout


# --- Go's text/tabwriter, as the CLI's teb.Print sets it up -----------------------------------
# tabwriter.NewWriter(w, minwidth 0, tabwidth 8, padding 1, padchar '\t', flags 0): a cell is
# text ended by a tab; the cells of one column, over consecutive lines that have it, are padded
# with tabs to a common width (the widest cell plus the padding, rounded up to a tab stop); a
# line without a tab ends the block.

TABWIDTH, PADDING = 8, 1


def _cells(block: list[str]) -> list[list[str]]:
    return [line.split("\t") for line in block]


def _pad(text_width: int, cell_width: int) -> str:
    cell_width = (cell_width + TABWIDTH - 1) // TABWIDTH * TABWIDTH
    return "\t" * ((cell_width - text_width + TABWIDTH - 1) // TABWIDTH)


def _write(lines, widths, first, last, out):
    for line in lines[first:last]:
        for j, cell in enumerate(line):
            out.append(cell)
            if j < len(widths):
                out.append(_pad(len(cell), widths[j]))
        out.append("\n")


def _format(lines, widths, first, last, out):
    column = len(widths)
    this = first
    while this < last:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write(lines, widths, first, this, out)
        first = this
        width = 0
        while this < last and column < len(lines[this]) - 1:
            width = max(width, len(lines[this][column]) + PADDING)
            this += 1
        _format(lines, widths + [width], first, this, out)
        first = this
    _write(lines, widths, first, last, out)


def tabwrite(text: str) -> str:
    """What Go's tabwriter (as above) makes of text (lines ending in newlines)."""
    assert text.endswith("\n"), "tabwriter input is whole lines"
    out: list[str] = []
    block: list[str] = []
    for line in text[:-1].split("\n"):
        block.append(line)
        if "\t" not in line:  # a line without a tab flushes
            lines = _cells(block)
            _format(lines, [], 0, len(lines), out)
            block = []
    if block:
        lines = _cells(block)
        _format(lines, [], 0, len(lines), out)
    return "".join(out)


def tabwriter(rows: list[list[str]]) -> str:
    """A table of cells (the CLI's teb rows) as the tabwriter lays it out."""
    return tabwrite("".join("\t".join(r) + "\n" for r in rows))


def iec(size: int, digits: int = 2) -> str:
    """The CLI's sizes (cos.IEC): bytes as "NB", else KiB/MiB/... with `digits` decimals."""
    if size < 1024:
        return f"{size}B"
    for unit, power in (("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if size >= 1024 ** power:
            return f"{size / 1024 ** power:.{digits}f}{unit}"
    raise AssertionError(size)


# --- expected outputs ---------------------------------------------------------------------------


def expect(run: Run, out: str = "", err: str = "", rc: int = 0) -> None:
    """The run printed exactly out and err and exited with rc."""
    assert (run.rc, run.out, run.err) == (rc, out, err), (
        f"\nwant rc={rc}\n--- stdout\n{out}\n--- stderr\n{err}\ngot {run}")


def runtime_details(name: str, comm: str, image: str, command: list[str] | None = None,
                    env: dict[str, str] | None = None) -> str:
    """What `ais etl show NAME` (and init) prints for an ETL from a runtime spec."""
    text = f"name:  {name}\ncommunication_type:  {comm}\nruntime: \n   image:  {image}\n"
    if command:
        text += f"   command:  [{' '.join(command)}]\n"
    if env:
        text += "   env:  [" + ", ".join(f'{{"{k}":"{v}"}}' for k, v in env.items()) + "]\n"
    return text


def etl_table(rows: list[tuple[str, str, str, int]], header: bool = True) -> str:
    """`ais etl show`: (name, stage, job id, objects) rows, in the order AIS lists them."""
    text = "NAME\t STAGE\t XACTION\t OBJECTS\n" if header else ""
    for name, stage, xid, objs in rows:
        text += f"{name}\t {stage}\t {xid}\t {objs if objs else '-'}\n"
    return tabwrite(text)


def errors_table(rows: list[tuple[str, int, str]], header: bool = True) -> str:
    """`ais etl show errors`: (object, code, message) rows."""
    text = "OBJECT\t ECODE\t ERROR\n" if header else ""
    for obj, code, msg in rows:
        text += f"{obj}\t {code}\t {msg}\n"
    return tabwrite(text) if text else ""
