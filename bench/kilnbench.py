"""Helpers shared by Kiln's benchmarks: a kilnd cluster and an nginx server run as child processes
on 127.0.0.1, the AIS calls the benchmarks need, and the machine facts written next to results.

Everything started here is stopped by the context managers, also when a benchmark fails."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import requests

REPO = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024


def find_kilnd(explicit: str | None = None) -> Path:
    """The kilnd binary: --kilnd, $KILND, then build-bench/ (Release), then build/."""
    candidates = [explicit, os.environ.get("KILND"),
                  REPO / "build-bench/service/kilnd", REPO / "build/service/kilnd"]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c).resolve()
    raise SystemExit("kilnd not found: build it (see bench/README.md) or pass --kilnd")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def stop_process(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Stops one child we started (and whatever it started), by pid only."""
    if proc.poll() is not None:
        return
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.Error:
        family = []
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
    _, alive = psutil.wait_procs(family, timeout=5)
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass


class KilnCluster:
    """`kilnd cluster --targets N --data DIR --port 0`, waited for until it prints its ready
    line."""

    def __init__(self, kilnd: Path, data_dir: Path, targets: int = 1, log_path: Path | None = None,
                 env: dict[str, str] | None = None, extra: list[str] | None = None):
        self.kilnd = kilnd
        self.extra = list(extra or [])
        self.env = {**os.environ, **(env or {})}
        self.data_dir = Path(data_dir)
        self.targets = targets
        self.log_path = log_path or self.data_dir.parent / "kilnd.log"
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    def __enter__(self) -> "KilnCluster":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(self.kilnd), "cluster", "--targets", str(self.targets), "--data",
             str(self.data_dir), "--port", "0", "--log-level", "warn", *self.extra],
            stdout=subprocess.PIPE, stderr=self._log, env=self.env)
        deadline = time.monotonic() + 30
        line = b""
        while time.monotonic() < deadline and b"\n" not in line:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                line += chunk
            elif self.proc.poll() is not None:
                break
        m = re.search(rb"Kiln cluster ready: (https?://\S+)", line)
        if not m:
            self.__exit__(None, None, None)
            raise RuntimeError(
                f"kilnd cluster did not come up (stdout {line!r}; log {self.log_path})")
        self.endpoint = m.group(1).decode()
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop_process(self.proc)
            self.proc.stdout.close()
            self.proc = None
        self._log.close()

    # The nodes, as psutil processes: {"proxy": p, "target-1": p, ...}.
    def nodes(self) -> dict[str, psutil.Process]:
        out = {}
        for child in psutil.Process(self.proc.pid).children():
            args = child.cmdline()
            if "proxy" in args:
                out["proxy"] = child
            elif "target" in args:
                out[Path(args[args.index("--data") + 1]).name] = child
        return out

    def target_urls(self) -> dict[str, str]:
        """{"target-1": "http://127.0.0.1:PORT", ...}, from the smap and each target's node.id."""
        smap = requests.get(f"{self.endpoint}/v1/daemon", params={"what": "smap"},
                            timeout=10).json()
        by_id = {tid: t["public_net"]["direct_url"] for tid, t in smap["tmap"].items()}
        out = {}
        for i in range(1, self.targets + 1):
            tid = (self.data_dir / f"target-{i}" / "node.id").read_text().strip()
            out[f"target-{i}"] = by_id[tid]
        return out

    def bucket_dir(self, target: str, bucket: str) -> Path:
        return self.data_dir / target / "mp1" / "buckets" / bucket

    def create_bucket(self, bucket: str) -> None:
        r = requests.post(f"{self.endpoint}/v1/buckets/{bucket}", params={"provider": "ais"},
                          json={"action": "create-bck", "name": "", "value": None}, timeout=30)
        r.raise_for_status()

    def object_url(self, bucket: str, name: str) -> str:
        return f"{self.endpoint}/v1/objects/{bucket}/{name}?provider=ais"

    def fill(self, bucket: str, count: int, size: int, target: str = "target-1") -> list[str]:
        """Creates bucket, PUTs count random objects of size bytes (obj-0000, ...) through the
        proxy and returns their direct URLs on target (a one-target cluster holds them all)."""
        self.create_bucket(bucket)
        with requests.Session() as s:
            for i in range(count):
                s.put(self.object_url(bucket, f"obj-{i:04d}"), data=os.urandom(size),
                      timeout=60).raise_for_status()
        turl = self.target_urls()[target]
        return [f"{turl}/v1/objects/{bucket}/obj-{i:04d}?provider=ais" for i in range(count)]


class Nginx:
    """Our own nginx (never the system service): static files from one root per listening port."""

    def __init__(self, prefix: Path, roots: list[tuple[int, Path]], workers: str = "auto"):
        self.prefix = Path(prefix)
        self.roots = roots
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def config(self) -> str:
        p = self.prefix
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must read kilnd's files
        temps = "".join(f"    {kind}_temp_path {p}/tmp/{kind};\n"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        servers = "".join(
            f"    server {{\n        listen 127.0.0.1:{port};\n        root {root};\n"
            f"        location / {{ }}\n    }}\n" for port, root in self.roots)
        return (f"{user}worker_processes {self.workers};\npid {p}/nginx.pid;\n"
                f"error_log {p}/error.log warn;\n"
                "events { worker_connections 1024; }\n"
                "http {\n    access_log off;\n    sendfile on;\n    tcp_nopush on;\n"
                "    tcp_nodelay on;\n    keepalive_timeout 120s;\n"
                "    keepalive_requests 1000000;\n    types { }\n"
                "    default_type application/octet-stream;\n"
                f"{temps}{servers}}}\n")

    def __enter__(self) -> "Nginx":
        (self.prefix / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self.prefix / "nginx.conf"
        conf.write_text(self.config())
        self.proc = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(self.prefix), "-c", str(conf),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for port, _ in self.roots:
                wait_port(port)
        except RuntimeError:
            self.__exit__(None, None, None)
            raise RuntimeError(f"nginx did not start; see {self.prefix}/error.log")
        return self

    def __exit__(self, *exc) -> None:
        if self.proc:
            stop_process(self.proc, signal.SIGQUIT)  # graceful: workers finish, then exit
            self.proc = None

    def processes(self) -> list[psutil.Process]:
        master = psutil.Process(self.proc.pid)
        return [master] + master.children()


def cpu_seconds(procs) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def wrk_server_cpu(url: str, node, duration: float, connections: int = 4, threads: int = 1,
                   headers: dict | None = None) -> dict:
    """wrk GETs url (it follows no redirect) for duration seconds; what it counted and the CPU
    seconds node spent meanwhile: {"requests", "requests_per_s", "cpu_s"}."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", url]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    cpu0 = cpu_seconds([node])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    cpu = cpu_seconds([node]) - cpu0
    count = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not count or not rate or int(count[1]) == 0:
        raise RuntimeError(f"wrk failed: {out}")
    return {"requests": int(count[1]), "requests_per_s": float(rate[1]), "cpu_s": cpu}


def _run(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True, timeout=10, cwd=REPO)
        return (out.stdout + out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return "n/a"


def machine_facts(kilnd: Path) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = _run(["git", "rev-parse", "--short=12", "HEAD"])
    if _run(["git", "status", "--porcelain", "--untracked-files=no", "--", "service", "shared",
             "CMakeLists.txt"]):
        commit += " + uncommitted changes in service/ or shared/"
    built = kilnd.stat().st_mtime
    newest = max((f.stat().st_mtime for d in ("service", "shared") for f in (REPO / d).rglob("*")
                  if f.suffix in (".cpp", ".h") and f.is_file()), default=0)
    build = "built " + _dt.datetime.fromtimestamp(built, _dt.timezone.utc).strftime("%H:%M UTC")
    if newest > built:
        build += ", OLDER than the newest source file: rebuild for figures of this commit"
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "host": f"{os.cpu_count()} CPUs ({cpu}), "
                f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Linux {platform.release()}",
        "load": "load average {:.2f} {:.2f} {:.2f} at start".format(*os.getloadavg()),
        "kilnd": f"{_run([str(kilnd), '--version'])}, {kilnd} ({build}), sources at commit "
                 f"{commit}",
        "nginx": _run(["nginx", "-v"]).replace("nginx version: ", ""),
        "python": platform.python_version(),
    }


LABELS = {"date": "Date", "host": "Machine", "load": "Load", "kilnd": "kilnd", "nginx": "nginx",
          "python": "Python", "wrk": "wrk"}


def command_line(argv: list[str]) -> str:
    """The command as typed from the repository root (the venv's python if it is the one)."""
    exe = sys.executable
    py = os.path.relpath(exe, REPO) if exe.startswith(str(REPO)) else "python3"
    return shlex.join([py, os.path.relpath(os.path.abspath(argv[0]), REPO)] + argv[1:])


def facts_markdown(facts: dict[str, str], command: str) -> str:
    lines = [f"- Command (from the repository root): `{command}`"]
    lines += [f"- {LABELS.get(k, k)}: {v}" for k, v in facts.items()]
    return "\n".join(lines) + "\n"
