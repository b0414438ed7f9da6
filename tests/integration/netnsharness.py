"""Many hosts on one machine: a Linux bridge and one network namespace per kilnd (iproute2), for
test_netns.py. Each node gets its own address on a private /24 and binds it, so nothing can
take a loopback shortcut: a redirect that names 127.0.0.1, an ETL calling its target back on
loopback, an intra-cluster call to the wrong host all fail here.

    bridge kb<tag> (root namespace, 10.77.X.1: the test client)
      ├── veth ── namespace kiln-<tag>-proxy     10.77.X.2  kilnd proxy  :8080
      ├── veth ── namespace kiln-<tag>-target-1  10.77.X.3  kilnd target :9001
      └── ...

Faults between namespaces: a node's link down (a partition), nftables drops of the connections
one node opens to another (a one-way unreachable peer), and a slow, lossy link (tc netem when
the kernel has it, else a tbf rate limit plus nftables random loss).

Everything made here is removed by Fabric.close(), even after a failure: the processes in each
namespace, the namespaces (their veth ends go with them), the host veth ends and the bridge.
Root only: can_netns() says why not, and the tests skip with that reason.
"""

import contextlib
import ipaddress
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

import psutil

import kilnharness as kh

SUBNET_PREFIX = "10.77"
PROXY_PORT = 8080
TARGET_BASE_PORT = 9000  # target-i serves on 9000 + i: each has its namespace, so none collide
NS_PREFIX = "kiln-"
NFT_TABLE = "kilnfault"


def run(*args, check=True, timeout=10) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def can_netns() -> str | None:
    """None when namespaces, veths and a bridge can be made here, else why not."""
    if os.geteuid() != 0:
        return "network namespaces, veths and a bridge need root"
    if not shutil.which("ip"):
        return "iproute2 (`ip`) is not installed"
    probe = f"{NS_PREFIX}probe-{uuid.uuid4().hex[:6]}"
    r = run("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"`ip netns add` failed here: {r.stderr.strip()}"
    run("ip", "netns", "del", probe, check=False)
    return None


def has_nft() -> str | None:
    if not shutil.which("nft"):
        return "nftables (`nft`) is not installed (scripts/install-deps installs it)"
    return None


def netem_available() -> bool:
    """sch_netem is optional in a kernel (this machine's has none): probe on a dummy link."""
    dev = f"kp{uuid.uuid4().hex[:8]}"
    if run("ip", "link", "add", dev, "type", "dummy", check=False).returncode != 0:
        return False
    try:
        return run("tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "1ms",
                   check=False).returncode == 0
    finally:
        run("ip", "link", "del", dev, check=False)


def free_subnet() -> str:
    """10.77.X (X in 10..250) not used by any address of the root namespace."""
    used = run("ip", "-o", "-4", "addr", "show").stdout
    for x in range(10 + os.getpid() % 200, 251):
        if f" {SUBNET_PREFIX}.{x}." not in used:
            return f"{SUBNET_PREFIX}.{x}"
    raise RuntimeError(f"no free {SUBNET_PREFIX}.X.0/24 subnet")


def remove_stale() -> None:
    """Namespaces and bridges a killed earlier run left (their creator pid is in the name)."""
    for line in run("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.strip() else ""
        parts = name.split("-")
        if name.startswith(NS_PREFIX) and len(parts) > 2 and parts[1].startswith("p"):
            pid = int(parts[1][1:] or 0) if parts[1][1:].isdigit() else 0
            if pid and not psutil.pid_exists(pid):
                kill_namespace_pids(name)
                run("ip", "netns", "del", name, check=False)
                run("ip", "link", "del", parts[2], check=False)  # its bridge, kb<hex>


def kill_namespace_pids(ns: str) -> None:
    for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGCONT)
            os.kill(int(pid), signal.SIGKILL)


class Host:
    """One namespace on the bridge: its name, address and the root-side end of its veth."""

    def __init__(self, fabric: "Fabric", label: str, index: int):
        self.label = label
        self.ns = f"{fabric.prefix}-{label}"
        self.addr = f"{fabric.subnet}.{index}"
        self.veth = f"{fabric.tag}v{index}"  # root side; the namespace side is eth0
        run("ip", "netns", "add", self.ns)
        run("ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0",
            "netns", self.ns)
        run("ip", "link", "set", self.veth, "master", fabric.bridge, "up")
        run("ip", "-n", self.ns, "addr", "add", f"{self.addr}/24", "dev", "eth0")
        run("ip", "-n", self.ns, "link", "set", "eth0", "up")
        # Loopback too: an ETL instance serves its target on 127.0.0.1 inside the namespace.
        run("ip", "-n", self.ns, "link", "set", "lo", "up")

    def exec_prefix(self) -> list[str]:
        return ["ip", "netns", "exec", self.ns]

    def sh(self, *args, check=True) -> subprocess.CompletedProcess:
        return run("ip", "netns", "exec", self.ns, *args, check=check)


class Fabric:
    """The bridge and the namespaces of one test module."""

    def __init__(self):
        remove_stale()
        self.tag = f"kb{uuid.uuid4().hex[:6]}"
        self.prefix = f"{NS_PREFIX}p{os.getpid()}-{self.tag}"
        self.subnet = free_subnet()
        self.bridge = self.tag
        self.client_addr = f"{self.subnet}.1"
        self.hosts: dict[str, Host] = {}
        self.netem = netem_available()
        try:
            run("ip", "link", "add", self.bridge, "type", "bridge")
            run("ip", "addr", "add", f"{self.client_addr}/24", "dev", self.bridge)
            run("ip", "link", "set", self.bridge, "up")
        except BaseException:
            self.close()
            raise

    def host(self, label: str) -> Host:
        """The namespace for label, made on first use (.2 for the first, .3 next, ...)."""
        if label not in self.hosts:
            self.hosts[label] = Host(self, label, len(self.hosts) + 2)
        return self.hosts[label]

    # --- faults ---------------------------------------------------------------------------

    def link(self, host: Host, up: bool) -> None:
        """The host's cable in or out: nothing reaches it, nothing leaves it (a partition)."""
        run("ip", "link", "set", host.veth, "up" if up else "down")

    def drop_connections(self, src: Host, dst: Host, port: int) -> None:
        """src can no longer reach dst:port: every packet it sends there is dropped in its
        namespace, so its new connections hang, and those it already has are destroyed (ss -K)
        as a broken path ends them. Connections dst opens to src still work: one-way."""
        self._nft(src, f"ip daddr {dst.addr} tcp dport {port} drop", hook="output")
        src.sh("ss", "-K", "dst", dst.addr, "dport", "=", str(port), check=False)

    def slow_link(self, host: Host, rate: str = "16mbit", loss_pct: int = 2,
                  delay_ms: int = 40) -> str:
        """Both directions of host's link slowed and lossy; says what was applied."""
        if self.netem:
            for dev, ns in (("eth0", host.ns), (host.veth, None)):
                cmd = ["tc", "qdisc", "add", "dev", dev, "root", "netem", "delay",
                       f"{delay_ms}ms", "loss", f"{loss_pct}%", "rate", rate]
                run(*(["ip", "netns", "exec", ns] if ns else []), *cmd)
            return f"netem delay {delay_ms}ms loss {loss_pct}% rate {rate}"
        for dev, ns in (("eth0", host.ns), (host.veth, None)):
            cmd = ["tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", rate,
                   "burst", "32kbit", "latency", "400ms"]
            run(*(["ip", "netns", "exec", ns] if ns else []), *cmd)
        if loss_pct:
            rule = f"numgen random mod 100 < {loss_pct} drop"
            self._nft(host, rule, hook="input")
            self._nft(host, rule, hook="output")
        return f"tbf rate {rate} + nftables random loss {loss_pct}% (no netem in this kernel)"

    def heal(self, host: Host) -> None:
        """Every fault on host's link undone."""
        self.link(host, True)
        for dev, ns in (("eth0", host.ns), (host.veth, None)):
            run(*(["ip", "netns", "exec", ns] if ns else []), "tc", "qdisc", "del", "dev", dev,
                "root", check=False)
        if shutil.which("nft"):
            host.sh("nft", "delete", "table", "inet", NFT_TABLE, check=False)

    def _nft(self, host: Host, rule: str, hook: str) -> None:
        host.sh("nft", "add", "table", "inet", NFT_TABLE)
        host.sh("nft", "add", "chain", "inet", NFT_TABLE, hook,
                f"{{ type filter hook {hook} priority 0 ; }}")
        host.sh("nft", "add", "rule", "inet", NFT_TABLE, hook, *rule.split())

    # --- teardown -------------------------------------------------------------------------

    def close(self) -> None:
        """Processes, namespaces, veths, bridge: each step runs even if another failed."""
        for h in self.hosts.values():
            kill_namespace_pids(h.ns)
        for h in self.hosts.values():
            run("ip", "netns", "del", h.ns, check=False)
            run("ip", "link", "del", h.veth, check=False)  # gone with the namespace's end
        run("ip", "link", "del", self.bridge, check=False)

    def leftovers(self) -> list[str]:
        """What close() should have removed and is still there."""
        left = [n for n in run("ip", "netns", "list").stdout.split() if n.startswith(self.prefix)]
        links = run("ip", "-o", "link", "show").stdout
        left += [w for w in links.replace("@", " ").replace(":", " ").split()
                 if w.startswith(self.tag)]
        return sorted(set(left))


# --- kilnd in a namespace ---------------------------------------------------------------------


class NsProxy(kh.Proxy):
    def __init__(self, host: Host, data: Path, logdir: Path, extra=()):
        self.host = host
        self.command_prefix = host.exec_prefix()
        super().__init__(data, logdir, PROXY_PORT, extra=["--host", host.addr, *extra])
        self.url = f"http://{host.addr}:{PROXY_PORT}"


class NsTarget(kh.Target):
    def __init__(self, host: Host, port: int, data: Path, logdir: Path, proxy_url: str,
                 extra=(), name="target"):
        self.host = host
        self.fixed_port = port
        self.command_prefix = host.exec_prefix()
        super().__init__(data, logdir, proxy_url, name=name,
                         extra=["--host", host.addr, "--port", port, *extra])

    def port(self) -> int:
        self.check_alive()
        return self.fixed_port

    @property
    def url(self) -> str:
        return f"http://{self.host.addr}:{self.fixed_port}"


class NetnsCluster(kh.Cluster):
    """kh.Cluster with the proxy and every target in its own namespace of `fabric`."""

    def __init__(self, base: Path, fabric: Fabric, targets: int, keepalive=("500ms", "2s"),
                 target_extra=()):
        self.fabric = fabric
        self.target_extra = list(target_extra)
        self.tag = f"kiln-netns-{uuid.uuid4().hex[:10]}"  # on every ETL instance's command line
        super().__init__(base, targets, keepalive)

    def marker(self, label: str) -> str:
        """A unique word to put on an ETL instance's command line (etlharness.etl_procs)."""
        return f"{self.tag}-{label}-{uuid.uuid4().hex[:6]}"

    def start_proxy(self, port: int | None = None) -> NsProxy:
        p = NsProxy(self.fabric.host("proxy"), self.base / "proxy", self.base,
                    extra=self.keepalive)
        self._all.append(p)
        p.wait_ready()
        self.proxy = p
        return p

    def start_target(self, data: Path, name: str, wait: bool = True) -> NsTarget:
        index = int(name.rsplit("-", 1)[1])
        t = NsTarget(self.fabric.host(name), TARGET_BASE_PORT + index, data, self.base,
                     self.proxy.url, extra=[*self.keepalive, *self.target_extra], name=name)
        return self.adopt(t, wait)

    def target_for_url(self, url: str) -> NsTarget:
        host = str(ipaddress.ip_address(url.split("//", 1)[1].split(":", 1)[0]))
        for t in self.targets:
            if t.alive() and t.host.addr == host:
                return t
        raise KeyError(f"no live target serves {url}")

    def target_named(self, name: str) -> NsTarget:
        return next(t for t in self.targets if t.name == name)
