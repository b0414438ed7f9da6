"""A real AIStore cluster (aisnode v1.5.0: one proxy and N targets) on 127.0.0.1, for the
differential test and the side-by-side benchmark.

It is configured as AIStore's own local playground (deploy/dev/local/deploy.sh with
aisnode_config.sh) configures one: the same global config sections and values, test filesystem
paths (`test_fspaths`: `count` mountpaths per target under a root, AIS's test-fs option) and the
three networks of each node (public, intra-control, intra-data) on separate ports. The files are
generated here, in a temporary folder of our own, never in $HOME/.ais*. Where this differs from
the playground, DEPARTURES says why.

Loopback only: aisnode binds its public port on all addresses (see netns.py), so AisCluster
refuses to start unless loopback is the only interface of the current network namespace. Run
the caller through tests/aisnode/netns.py (the CTest entry and the benchmark do).

No fixed sleeps: every wait polls a condition until a deadline and then fails with what it was
waiting for and the tail of the node logs. close() stops every process (SIGINT, as AIS's
kill.sh does, then SIGKILL after a deadline) and removes the folder; the nodes also get SIGKILL
if the Python process that started them dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

import netns

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from kilnharness import free_port, wait_until  # noqa: E402  (one poll and port helper for all tests)

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 90.0  # a loaded 2-core machine; an idle one is ready in ~4 s
STOP_TIMEOUT = 20.0

# Where the generated config departs from deploy/dev/local/aisnode_config.sh, and why.
DEPARTURES = {
    "timeout.startup_time": "30s (the least aisnode accepts) instead of 1m: the primary declares "
                            "the cluster started after 4 quiet polls of startup_time/20 once the "
                            "last target joined, so 1m costs 12 s per start and 30s costs 6 s",
    "host_net.hostname*": "127.0.0.1 for all three networks (the playground leaves them empty, "
                          "which picks the only address there is in our namespace anyway)",
    "host_net.port*": "free ports chosen at start instead of 8080+i, 9080+i, 10080+i",
    "backend, tracing, auth, distributed_sort": "left out: no cloud backends, tracing, "
                                                "authentication or dsort are built or used",
    "confdir, log_dir, test_fspaths.root": "inside the cluster's temporary folder; HOME and "
                                           "TMPDIR point there too, so nothing lands elsewhere",
}


def find_aisnode() -> Path:
    """The aisnode binary: $KILN_AISNODE, else what scripts/install-aisnode prints (it builds
    one into the user's cache the first time; that needs the network, so not in a netns)."""
    explicit = os.environ.get("KILN_AISNODE")
    if explicit:
        return Path(explicit)
    out = subprocess.run([str(REPO / "scripts" / "install-aisnode")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.strip()
    return Path(out.splitlines()[-1])


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGKILL when the Python parent dies.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def global_config(primary_url: str) -> dict:
    """The cluster config (ais.json): aisnode_config.sh's sections and values."""
    return {
        "backend": {},
        "timeout": {
            "cplane_operation": "2s", "max_keepalive": "5s", "cold_get_conflict": "5s",
            "max_host_busy": "20s", "startup_time": "30s", "join_startup_time": "3m",
            "send_file_time": "5m", "ec_streams_time": "10m", "object_md": "2h",
        },
        "proxy": {"primary_url": primary_url, "original_url": primary_url,
                  "discovery_url": "", "non_electable": False},
        "space": {"cleanupwm": 65, "lowwm": 75, "highwm": 90, "out_of_space": 95,
                  "batch_size": 32768, "dont_cleanup_time": "120m"},
        "resilver": {"enabled": True},
        "memsys": {"min_free": "2gb", "default_buf": "32kb", "to_gc": "4gb", "hk_time": "3m",
                   "min_pct_total": 0, "min_pct_free": 0},
        "versioning": {"enabled": True, "validate_warm_get": False},
        "net": {
            "l4": {"proto": "tcp", "sndrcv_buf_size": 131072},
            "http": {
                "use_https": False, "server_crt": "server.crt", "server_key": "server.key",
                "domain_tls": "", "client_ca_tls": "", "client_auth_tls": 0,
                "idle_conn_time": "6s", "idle_conns_per_host": 32, "idle_conns": 256,
                "write_buffer_size": 65536, "read_buffer_size": 65536,
                "chunked_transfer": True, "skip_verify": False,
            },
            "use_ipv6": False,
        },
        "auth": {},
    }


@dataclass
class AisNode:
    role: str  # "proxy" or "target"
    index: int
    folder: Path
    port: int
    ports_intra: tuple[int, int]
    popen: subprocess.Popen | None = None
    mountpaths: list[Path] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def name(self) -> str:
        return f"ais-{self.role}-{self.index}"

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def check_alive(self) -> None:
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}\n"
                               f"{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        out = [f"--- {self.name} ---"]
        for path in [self.folder / "stdout", *sorted((self.folder / "log").glob("ais*.INFO"))]:
            try:
                out.extend(path.read_text(errors="replace").splitlines()[-lines:])
            except OSError:
                pass
        return "\n".join(out)

    def local_config(self, mountpaths: int) -> dict:
        return {
            "confdir": str(self.folder),
            "log_dir": str(self.folder / "log"),
            "host_net": {
                "hostname": HOST, "hostname_intra_control": HOST, "hostname_intra_data": HOST,
                "port": str(self.port), "port_intra_control": str(self.ports_intra[0]),
                "port_intra_data": str(self.ports_intra[1]),
            },
            "fspaths": {},
            # Targets' mountpaths: <root>/mp<i>/<instance>. As in the playground, the proxy
            # gets the same section (a non-zero count marks the node as a test deployment).
            "test_fspaths": {"root": str(self.folder.parent / "mp"), "count": mountpaths,
                             "instance": self.index},
        }


class AisCluster:
    """One aisnode proxy and `targets` aisnode targets with `mountpaths` test mountpaths each,
    in `base` (a new temporary folder when None, removed by close())."""

    def __init__(self, targets: int = 1, mountpaths: int = 2, base: Path | None = None,
                 binary: Path | None = None):
        if not netns.is_isolated():
            raise RuntimeError(
                "aisnode binds its public port on every address; run this under "
                f"tests/aisnode/netns.py (interfaces here: {netns.interfaces()})")
        self.binary = Path(binary or find_aisnode())
        self.owns_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix="kiln-aisnode-"))
        self.mountpaths = mountpaths
        self.proxy = self._node("proxy", 0)
        self.targets = [self._node("target", i) for i in range(1, targets + 1)]
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> "AisCluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def nodes(self) -> list[AisNode]:
        return [self.proxy, *self.targets]

    def _node(self, role: str, index: int) -> AisNode:
        folder = self.base / f"{role}-{index}"
        folder.mkdir(parents=True)
        node = AisNode(role, index, folder, free_port(), (free_port(), free_port()))
        if role == "target":
            node.mountpaths = [self.base / "mp" / f"mp{i}" / str(index)
                               for i in range(1, self.mountpaths + 1)]
        return node

    def _spawn(self, node: AisNode, extra: list[str]) -> None:
        (node.folder / "ais.json").write_text(json.dumps(global_config(self.proxy.url), indent=1))
        (node.folder / "ais_local.json").write_text(
            json.dumps(node.local_config(self.mountpaths), indent=1))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIS_")}
        env.update(HOME=str(self.base), TMPDIR=str(self.base))
        cmd = [str(self.binary), f"-config={node.folder / 'ais.json'}",
               f"-local_config={node.folder / 'ais_local.json'}", f"-role={node.role}", *extra]
        with open(node.folder / "stdout", "ab") as out:
            node.popen = subprocess.Popen(cmd, cwd=node.folder, env=env, stdin=subprocess.DEVNULL,
                                          stdout=out, stderr=subprocess.STDOUT,
                                          preexec_fn=_die_with_parent)

    def log_tails(self) -> str:
        return "\n".join(n.log_tail() for n in self.nodes)

    def _start(self) -> None:
        self._spawn(self.proxy, [f"-ntargets={len(self.targets)}"])

        # Targets join through the primary's public port; started before it listens, a target
        # retries only after ~5 s.
        def proxy_listens():
            self.proxy.check_alive()
            return requests.get(f"{self.url}/v1/health", timeout=2).status_code > 0

        wait_until(proxy_listens, START_TIMEOUT, "aisnode proxy listening",
                   on_fail=self.log_tails)
        for t in self.targets:
            self._spawn(t, [])
        self.wait_ready()

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """The primary is ready to rebalance (`prr`: the cluster started and its rebalance
        state is settled), its Smap lists every target, and each target says it is ready."""

        def ready():
            for n in self.nodes:
                n.check_alive()
            r = requests.get(f"{self.url}/v1/health", params={"prr": "true"}, timeout=2)
            if r.status_code != 200:
                return False
            smap = self.smap()
            if len(smap["tmap"]) != len(self.targets):
                return False
            # Without `readiness`, a target answers 200 as soon as it listens.
            return all(requests.get(f"{t.url}/v1/health", params={"readiness": "true"},
                                    timeout=2).status_code == 200 for t in self.targets)

        wait_until(ready, timeout, f"aisnode cluster with {len(self.targets)} targets ready",
                   on_fail=self.log_tails)

    def smap(self) -> dict:
        r = requests.get(f"{self.url}/v1/daemon", params={"what": "smap"}, timeout=5)
        r.raise_for_status()
        return r.json()

    def close(self) -> None:
        """Targets first (each removes itself from the primary's Smap), then the proxy."""
        for group in (self.targets, [self.proxy]):
            running = [n for n in group if n.alive()]
            for n in running:
                n.popen.send_signal(signal.SIGINT)
            deadline = time.monotonic() + STOP_TIMEOUT
            for n in running:
                try:
                    n.popen.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    n.popen.kill()
                    n.popen.wait(STOP_TIMEOUT)
        if self.owns_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def pids(self) -> list[int]:
        return [n.popen.pid for n in self.nodes if n.popen is not None]
