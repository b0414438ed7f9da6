"""Real kilnd processes for the integration and compat suites.

Every process is started through this module so that it is tracked: fixtures stop what they
started, and the session check in conftest.py asserts that nothing outlived the tests (tracked
pids, plus any kilnd whose command line names this session's temporary folder, which catches the
children a `kilnd cluster` supervisor restarted behind our back).

Nothing here sleeps without a deadline: every wait polls a condition until a time limit and then
fails with what it was waiting for and the tail of the node's log.
"""

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psutil
import pytest
import requests

import crashreport

REPO = Path(__file__).resolve().parents[2]
KILND = Path(os.environ.get("KILND") or REPO / "build" / "service" / "kilnd").resolve()
HOST = "127.0.0.1"
READY_RE = re.compile(r"Kiln cluster ready: (http://127\.0\.0\.1:(\d+)) \(")

# Generous for a loaded 2-core machine running two suites at once; a healthy node takes ~50 ms.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0

_started: list[psutil.Process] = []
_started_lock = threading.Lock()


def track(ps: psutil.Process) -> None:
    with _started_lock:
        if all(p.pid != ps.pid or p.create_time() != ps.create_time() for p in _started):
            _started.append(ps)


# Every kilnd log file, and how far it has been scanned for fatal reports.
_log_offsets: dict[Path, int] = {}
FATAL_MARKER = b"kilnd fatal:"
# A sanitized kilnd (scripts/test-asan) reports there too, before it aborts.
SANITIZER_MARKERS = (b"ERROR: AddressSanitizer", b"runtime error:", b"ERROR: LeakSanitizer")


def watch_log(path: Path) -> None:
    """Scans path from its current end (a process appends to it from now on; the path may also
    be an earlier test's, whose folder pytest deleted and now hands out again)."""
    with _started_lock:
        _log_offsets[path] = path.stat().st_size if path.exists() else 0


def new_fatal_reports() -> list[str]:
    """Lines a kilnd wrote as it died (an uncaught exception or a fatal signal, see
    service/node/fatalreport.h) since the last call, each with the log it came from. A kilnd
    under `kilnd cluster` is restarted by its supervisor, so its exit status alone would hide it."""
    found = []
    with _started_lock:
        for path, offset in _log_offsets.items():
            try:
                with open(path, "rb") as f:
                    f.seek(offset)
                    data = f.read()
            except OSError:
                continue
            # Only whole lines: a line still being written is read on the next call.
            data = data[: data.rfind(b"\n") + 1]
            _log_offsets[path] = offset + len(data)
            found.extend(_reports_in(path, data.decode(errors="replace").splitlines()))
    return found


def _reports_in(path: Path, lines: list[str]) -> list[str]:
    """Each fatal report with the backtrace that follows it, symbolized (crashreport.py)."""
    reports = []
    for i, line in enumerate(lines):
        raw = line.encode()
        if FATAL_MARKER not in raw and not any(m in raw for m in SANITIZER_MARKERS):
            continue
        frames = []
        for following in lines[i + 1:]:
            if not crashreport.is_frame(following):
                break
            frames.append(following)
        text = f"{path.name}: {line.strip()}"
        if frames:
            text += "\n" + "\n".join(crashreport.symbolize(frames))
        reports.append(text)
    return reports


def assert_no_fatal_reports() -> None:
    reports = new_fatal_reports()
    assert not reports, "kilnd crashed:\n" + "\n".join(reports)


def gone(ps: psutil.Process) -> bool:
    """True when the process exited (a zombie has exited too; its parent reaps it)."""
    try:
        return not ps.is_running() or ps.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def leftovers(session_dir: Path) -> list[psutil.Process]:
    """Tracked processes still alive, plus any kilnd working under session_dir."""
    alive = {p.pid: p for p in list(_started) if not gone(p)}
    marker = str(session_dir)
    for p in psutil.process_iter(["pid", "cmdline"]):
        cmdline = p.info["cmdline"] or []
        if cmdline and Path(cmdline[0]).name == "kilnd" and any(marker in a for a in cmdline):
            if not gone(p):
                alive.setdefault(p.pid, p)
    return list(alive.values())


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05, on_fail=None):
    """Polls predicate() until it returns something truthy; exceptions count as "not yet"."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except (requests.RequestException, OSError, ValueError, KeyError) as e:
            last = e
        if time.monotonic() >= deadline:
            extra = f"\n{on_fail()}" if on_fail else ""
            raise TimeoutError(f"{what}: not within {timeout:.0f} s (last: {last!r}){extra}")
        time.sleep(interval)


def holds_for(predicate, duration: float, what: str, interval: float = 0.05):
    """Polls predicate() for `duration` seconds and fails at the first falsy answer: the check
    that something does NOT happen within a window (a late write, a restart)."""
    deadline = time.monotonic() + duration
    while True:
        value = predicate()
        assert value, f"{what}: broken after {duration - (deadline - time.monotonic()):.2f} s"
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)

def obj_path(bucket: str, name: str) -> str:
    return f"/v1/objects/{quote(bucket, safe='')}/{quote(name, safe='/')}"


def listening_ports(ps: psutil.Process) -> set[int]:
    try:
        return {
            c.laddr.port
            for c in ps.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        }
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return set()


class KilndProcess:
    """One kilnd process; stdout and stderr go to files next to its data folder."""

    # Runs before kilnd's path on the command line; netnsharness.py sets `ip netns exec NS`
    # (which execs kilnd, so the pid is still kilnd's).
    command_prefix: list[str] = []

    def __init__(self, args: list[str], logdir: Path, name: str):
        self.name = name
        self.args = [str(a) for a in args]
        level = os.environ.get("KILN_TEST_LOG_LEVEL")  # e.g. target=debug, to chase a flake
        if level and self.args and self.args[0] in ("proxy", "target", "cluster", "authn"):
            self.args += ["--log-level", level]
        logdir.mkdir(parents=True, exist_ok=True)
        self.stdout_path = logdir / f"{name}.stdout"
        self.stderr_path = logdir / f"{name}.stderr"
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            watch_log(self.stdout_path)
            watch_log(self.stderr_path)
            self.popen = subprocess.Popen(
                [*self.command_prefix, str(KILND), *self.args], stdin=subprocess.DEVNULL,
                stdout=out, stderr=err,
            )
        self.ps = psutil.Process(self.popen.pid)
        track(self.ps)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for path in (self.stdout_path, self.stderr_path):
            try:
                text = path.read_text(errors="replace").splitlines()[-lines:]
            except OSError:
                text = []
            out.append(f"--- {self.name} {path.suffix[1:]} (last {lines} lines) ---")
            out.extend(text)
        return "\n".join(out)

    def check_alive(self) -> None:
        if not self.alive():
            raise RuntimeError(
                f"{self.name} exited with {self.popen.returncode}\n{self.log_tail()}"
            )

    def send(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def kill(self) -> int:
        """SIGKILL and reap."""
        self.send(signal.SIGKILL)
        return self.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM (after SIGCONT, in case a test stopped it); SIGKILL if it hangs."""
        if not self.alive():
            return self.popen.returncode
        self.send(signal.SIGCONT)
        self.send(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise


class Proxy(KilndProcess):
    def __init__(self, data: Path, logdir: Path, port: int, extra=(), name="proxy"):
        self.data = data
        self.port = port
        self.url = f"http://{HOST}:{port}"
        super().__init__(
            ["proxy", "--data", data, "--port", port, "--host", HOST, *extra], logdir, name
        )

    def wait_ready(self) -> None:
        def healthy():
            self.check_alive()
            return requests.get(f"{self.url}/v1/health", timeout=2).status_code == 200

        wait_until(healthy, START_TIMEOUT, f"{self.name} at {self.url} healthy",
                   on_fail=self.log_tail)


class Target(KilndProcess):
    def __init__(self, data: Path, logdir: Path, proxy_url: str, extra=(), name="target",
                 mountpaths: int = 1):
        self.data = data
        self.proxy_url = proxy_url
        self.mountpaths = [data / f"mp{i}" for i in range(1, mountpaths + 1)]
        folders = [a for mp in self.mountpaths for a in ("--mountpath", mp)] if mountpaths > 1 else []
        super().__init__(
            ["target", "--data", data, "--proxy-url", proxy_url, "--host", HOST, *folders,
             *extra],
            logdir,
            name,
        )

    @property
    def mountpath(self) -> Path:
        return self.data / "mp1"

    @property
    def tmp_dir(self) -> Path:
        return self.mountpath / "tmp"

    def bucket_dir(self, bucket: str) -> Path:
        return self.mountpath / "buckets" / bucket

    def node_id(self) -> str:
        return wait_until(
            lambda: (self.data / "node.id").read_text().strip(),
            START_TIMEOUT,
            f"{self.name} writes {self.data}/node.id",
            on_fail=self.log_tail,
        )

    def port(self) -> int:
        """The port this process serves on (a target picks a free one)."""

        def one_port():
            self.check_alive()
            ports = listening_ports(self.ps)
            return next(iter(ports)) if len(ports) == 1 else None

        return wait_until(one_port, START_TIMEOUT, f"{self.name} listening", on_fail=self.log_tail)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port()}"


def get_smap(url: str) -> dict:
    r = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, timeout=5)
    r.raise_for_status()
    return r.json()


class Cluster:
    """A proxy and N target processes started separately (not through `kilnd cluster`)."""

    def __init__(self, base: Path, targets: int, keepalive=("1s", "5s"), mountpaths: int = 1,
                 proxy_extra=()):
        self.base = base
        self.proxy_extra = list(proxy_extra)
        self.mountpaths = mountpaths  # per target: data/mp1 .. data/mpN
        self.keepalive = ["--keepalive-interval", keepalive[0], "--keepalive-timeout", keepalive[1]]
        self.proxy = None
        self.targets: list[Target] = []
        self._all: list[KilndProcess] = []
        try:
            self.start_proxy()
            for i in range(1, targets + 1):
                self.start_target(base / f"target-{i}", name=f"target-{i}", wait=False)
            self.wait_targets(targets)
            for t in self.targets:
                self.wait_joined(t)
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return self.proxy.url

    def start_proxy(self, port: int | None = None) -> Proxy:
        """Starts (or restarts, on the same data folder and port) the proxy."""
        for attempt in range(5):
            p = Proxy(self.base / "proxy", self.base, port or free_port(),
                      extra=[*self.keepalive, *self.proxy_extra])
            self._all.append(p)
            try:
                p.wait_ready()
                self.proxy = p
                return p
            except (RuntimeError, TimeoutError):
                p.stop()
                if port is not None or attempt == 4:
                    raise  # a port picked by free_port() may have been taken meanwhile: retry
        raise AssertionError("unreachable")

    def start_target(self, data: Path, name: str, wait: bool = True) -> Target:
        t = Target(data, self.base, self.proxy.url, extra=self.keepalive, name=name,
                   mountpaths=self.mountpaths)
        return self.adopt(t, wait)

    def adopt(self, t: "Target", wait: bool) -> "Target":
        """Tracks a started target (in place of one on the same data folder); waits for it to
        join when wait is set."""
        self._all.append(t)
        self.targets = sorted([x for x in self.targets if x.data != t.data] + [t],
                              key=lambda x: x.name)
        if wait:
            self.wait_joined(t)
        return t

    def restart_target(self, old: Target) -> Target:
        """Starts a new process on old's data folder (old must have exited)."""
        assert not old.alive()
        return self.start_target(old.data, old.name)

    def smap(self) -> dict:
        return get_smap(self.url)

    def wait_targets(self, count: int, timeout: float = START_TIMEOUT) -> dict:
        return wait_until(
            lambda: (s := self.smap()) and len(s["tmap"]) == count and s,
            timeout,
            f"smap with {count} targets",
            on_fail=self.log_tails,
        )

    def wait_joined(self, t: Target, timeout: float = START_TIMEOUT) -> str:
        """Waits until the smap lists t's id at the port its process serves on."""
        tid = t.node_id()
        port = t.port()

        def listed():
            t.check_alive()
            node = self.smap()["tmap"].get(tid)
            return node and urlsplit(node["public_net"]["direct_url"]).port == port

        wait_until(listed, timeout, f"{t.name} ({tid}) in smap at port {port}",
                   on_fail=self.log_tails)
        return tid

    def target_for_url(self, url: str) -> Target:
        port = urlsplit(url).port
        for t in self.targets:
            if t.alive() and t.port() == port:
                return t
        raise KeyError(f"no live target serves {url}")

    def log_tails(self) -> str:
        return "\n".join(p.log_tail(20) for p in [self.proxy, *self.targets] if p)

    def close(self) -> None:
        procs = [p for p in self._all if p.alive()]
        for p in procs:
            p.send(signal.SIGCONT)
            p.send(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()


class Supervisor(KilndProcess):
    """`kilnd cluster`: the supervisor process and the proxy and targets it spawns."""

    def __init__(self, data: Path, logdir: Path, targets: int = 3, extra=(), name="cluster"):
        self.data = data
        self.url = None
        self.children: list[psutil.Process] = []
        super().__init__(
            ["cluster", "--targets", targets, "--port", 0, "--data", data, "--host", HOST, *extra],
            logdir,
            name,
        )

    def wait_ready(self, timeout: float = START_TIMEOUT) -> str:
        def ready_line():
            self.check_alive()
            m = READY_RE.search(self.stdout_path.read_text(errors="replace"))
            return m and m.group(1)

        self.url = wait_until(ready_line, timeout, "cluster ready line", on_fail=self.log_tail)
        self.snapshot_children()
        return self.url

    def snapshot_children(self) -> list[psutil.Process]:
        try:
            kids = self.ps.children(recursive=True)
        except psutil.NoSuchProcess:
            kids = []
        for k in kids:
            track(k)
            if all(k.pid != c.pid for c in self.children):
                self.children.append(k)
        return kids

    def close(self) -> None:
        if self.alive():
            self.snapshot_children()
            try:
                self.stop()
            except subprocess.TimeoutExpired:
                pass
        # The supervisor is gone; whatever child it left is ours to kill.
        for c in self.children:
            if not gone(c):
                try:
                    c.kill()
                except psutil.NoSuchProcess:
                    pass
        psutil.wait_procs(self.children, timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running_supervisor(base: Path, targets: int = 3, extra=()):
    """A ready `kilnd cluster` with its data in base/data and its logs in base, for a module
    fixture's `with`; closed when the block ends."""
    sup = Supervisor(base / "data", base, targets=targets, extra=extra)
    try:
        sup.wait_ready()
        yield sup
    finally:
        sup.close()


def create_bucket(url: str, name: str, session=requests) -> str:
    r = session.post(
        f"{url}/v1/buckets/{name}",
        params={"provider": "ais"},
        json={"action": "create-bck", "name": "", "value": None},
        timeout=30,
    )
    assert r.status_code == 200, f"create ais://{name}: {r.status_code} {r.text}"
    return name


class RawResponse:
    def __init__(self, status, headers, body):
        self.status_code = status
        self.headers = headers
        self.content = body

    @property
    def text(self):
        return self.content.decode(errors="replace")

    def json(self):
        return json.loads(self.content)


def raw_request(url: str, method: str, target: str, body: bytes | None = None,
                headers: dict | None = None, timeout: float = 30) -> RawResponse:
    """One request with the target sent byte for byte (requests/urllib3 would normalize `..`)."""
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return RawResponse(r.status, requests.structures.CaseInsensitiveDict(r.getheaders()),
                           r.read())
    finally:
        conn.close()


# The suites' guards (integration and compat conftests import them by name, so pytest finds them).
@pytest.fixture(scope="session", autouse=True)
def no_kilnd_outlives_the_tests(tmp_path_factory):
    assert KILND.is_file(), f"kilnd not built at {KILND} (set KILND)"
    yield
    assert_nothing_outlived(tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def no_kilnd_crashed():
    """Fails the test in whose time a kilnd died of an uncaught exception or a fatal signal."""
    yield
    assert_no_fatal_reports()


@pytest.fixture(scope="session", autouse=True)
def no_kilnd_crashed_in_module_fixtures():
    """The same for processes of module fixtures, which stop after their last test."""
    yield
    assert_no_fatal_reports()


def assert_nothing_outlived(session_dir: Path) -> None:
    """Kills and reports any kilnd this session started that is still running."""
    left = leftovers(session_dir)
    described = []
    for p in left:
        try:
            described.append(f"{p.pid}: {' '.join(p.cmdline())}")
            p.send_signal(signal.SIGCONT)
            p.kill()
        except psutil.Error:
            described.append(f"{p.pid}: (exited meanwhile)")
    assert not left, "kilnd processes outlived the tests:\n" + "\n".join(described)
