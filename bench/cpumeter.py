"""What bench/offline.py measures the machine with: busy CPU seconds, the filesystem under a
path, waiting for a quiet machine, and CpuMeter (CPU time of the cluster's processes by role)."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import psutil

import kilnbench as kb


def system_busy() -> float:
    """Busy CPU seconds over all CPUs since boot."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0)


def filesystem_of(path: Path) -> str:
    """"ext4 (/dev/vda on /, no journal)" for the file system holding path."""
    best = None
    for part in psutil.disk_partitions(all=True):
        if str(path).startswith(part.mountpoint) and (
                best is None or len(part.mountpoint) > len(best.mountpoint)):
            best = part
    if best is None:
        return "unknown"
    extra = ""
    if best.fstype == "ext4":
        task = Path(f"/sys/fs/ext4/{Path(best.device).name}/journal_task")
        try:
            extra = ", no journal" if task.read_text().strip() == "<none>" else ", journal"
        except OSError:
            pass
    return f"{best.fstype} ({best.device} on {best.mountpoint}{extra})"


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Waits (up to max_wait s) until the machine is nearly idle: under threshold cores busy over
    one second. Returns the busy cores last seen. Benchmarks on a shared machine need this."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = psutil.cpu_percent(interval=1.0) / 100 * (os.cpu_count() or 1)
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        print(f"  (machine busy: {busy:.2f} cores; waiting for quiet)", flush=True)


class CpuMeter:
    """CPU seconds of the process groups over a window, in cores on average: kilnd targets, the
    proxy, the ETL instances, this client (and its reaped children), the kernel (softirq and
    irq time plus kernel threads such as jbd2 and kworkers: loopback TCP and journal commits are
    largely ours), and the rest of the machine (other work on a shared machine), with the top
    three foreign processes named."""

    def __init__(self, cluster: kb.KilnCluster):
        nodes = cluster.nodes()
        self.targets = [p for n, p in nodes.items() if n.startswith("target-")]
        self.proxy = [nodes["proxy"]]
        self.ours = {cluster.proc.pid, os.getpid(), *(p.pid for p in nodes.values())}

    def etl_procs(self) -> list[psutil.Process]:
        out = []
        for t in self.targets:
            try:
                out += t.children(recursive=True)
            except psutil.Error:
                pass
        return out

    @staticmethod
    def client_seconds() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # the baseline's reaped workers
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    @staticmethod
    def all_processes() -> dict[int, tuple[str, int, float]]:
        out = {}
        for p in psutil.process_iter(["name", "ppid"]):
            try:
                t = p.cpu_times()
                out[p.pid] = (p.info["name"], p.info["ppid"], t.user + t.system)
            except psutil.Error:
                pass
        return out

    def sample(self) -> dict:
        t = psutil.cpu_times()
        return {"targets": kb.cpu_seconds(self.targets), "proxy": kb.cpu_seconds(self.proxy),
                "etl": kb.cpu_seconds(self.etl), "client": self.client_seconds(),
                "irq": getattr(t, "softirq", 0.0) + getattr(t, "irq", 0.0),
                "all": system_busy(), "procs": self.all_processes()}

    def start(self) -> None:
        self.etl = self.etl_procs()
        self.ours |= {p.pid for p in self.etl}
        self.t0 = time.monotonic()
        self.c0 = self.sample()

    def stop(self) -> dict:
        c1 = self.sample()
        wall = time.monotonic() - self.t0
        d = {k: max(0.0, c1[k] - self.c0[k]) for k in c1 if k != "procs"}
        p0, p1 = self.c0["procs"], c1["procs"]
        used = {pid: v[2] - p0[pid][2] if pid in p0 else v[2] for pid, v in p1.items()}
        kthreads = sum(u for pid, u in used.items() if pid == 2 or p1[pid][1] == 2)
        d["kernel"] = d.pop("irq") + kthreads
        foreign = sorted(((u, p1[pid][0]) for pid, u in used.items()
                          if pid not in self.ours and pid != 2 and p1[pid][1] != 2
                          and p1[pid][1] not in self.ours), reverse=True)
        d["other"] = max(0.0, d["all"] - d["targets"] - d["proxy"] - d["etl"] - d["client"]
                         - d["kernel"])
        out = {k: v / wall for k, v in d.items()}
        out["other_top"] = ", ".join(f"{name} {u / wall:.2f}" for u, name in foreign[:3]
                                     if u / wall >= 0.01)
        return out
