"""Helpers for test_faults.py: the checks every fault case ends with (acknowledged objects
byte-exact, nothing partial listed or readable, no temp file left, no fd leaked, no orphaned ETL
process), a slow streaming body, and small filesystems made for a mountpath (tmpfs)."""

import contextlib
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psutil
import requests

import kilnharness as kh
from etlharness import etl_procs, target_pid
from jobapi import list_names

MIB = 1024 * 1024
FD_SLACK = 12  # sockets in TIME_WAIT do not count; a pooled keep-alive or two may stay open


def payloads(count: int, prefix: str, size: int = 64 * 1024) -> dict[str, bytes]:
    return {f"{prefix}{i:03d}.bin": os.urandom(size) for i in range(count)}


def put_ok(url: str, bucket: str, name: str, data: bytes) -> None:
    r = requests.put(url + kh.obj_path(bucket, name), params={"provider": "ais"}, data=data,
                     timeout=30)
    assert r.status_code == 200, f"PUT {bucket}/{name}: {r.status_code} {r.text[:300]}"


def put_all(url: str, bucket: str, objects: dict[str, bytes]) -> None:
    for name, data in objects.items():
        put_ok(url, bucket, name, data)


def get(url: str, bucket: str, name: str, timeout: float = 30, **params):
    return requests.get(url + kh.obj_path(bucket, name), params={"provider": "ais", **params},
                        timeout=timeout)


def assert_intact(cluster, bucket: str, acked: dict[str, bytes], timeout: float = 30) -> None:
    """Every acknowledged object reads back byte-exact, and the listing holds exactly those
    names: nothing partial is visible. Retries while the map settles (a 503 after a node came
    back), within timeout."""

    def check():
        listed = list_names(cluster.url, bucket)
        assert len(listed) == len(set(listed)), f"ais://{bucket} lists a name twice"
        extra = sorted(set(listed) - set(acked))
        assert not extra, f"ais://{bucket} lists objects never acknowledged: {extra[:5]}"
        missing = sorted(set(acked) - set(listed))
        if missing:
            return None
        for name, data in acked.items():
            r = get(cluster.url, bucket, name)
            if r.status_code == 503:
                return None
            assert r.status_code == 200, f"GET {bucket}/{name}: {r.status_code} {r.text[:300]}"
            assert r.content == data, f"{bucket}/{name}: {len(r.content)} B differ from the PUT"
        return True

    kh.wait_until(check, timeout, f"every acknowledged object of ais://{bucket} intact",
                  interval=0.3, on_fail=cluster.log_tails)


def temp_files(dirs) -> list[str]:
    return sorted(str(p) for d in dirs if Path(d).is_dir() for p in Path(d).rglob("*")
                  if p.is_file())


def assert_no_temp_files(dirs, timeout: float = 10) -> None:
    kh.wait_until(lambda: not temp_files(dirs), timeout,
                  "no temporary file left in the mountpaths' tmp/",
                  on_fail=lambda: "\n".join(temp_files(dirs)))


def fds(procs) -> dict[int, int]:
    out = {}
    for p in procs:
        with contextlib.suppress(psutil.Error):
            out[p.pid] = p.num_fds()
    return out


def assert_fds_settle(procs, before: dict[int, int], timeout: float = 15) -> None:
    """The open fds of each process that was running before come back to (about) where they
    were: a leak per request or per fault shows as a steady climb."""

    def settled():
        now = fds(procs)
        return all(now.get(pid, 0) <= n + FD_SLACK for pid, n in before.items()) or None

    kh.wait_until(settled, timeout, f"fds back to {before} (+{FD_SLACK})", interval=0.3,
                  on_fail=lambda: f"now: {fds(procs)}")


def assert_no_orphaned_etl(tag: str, timeout: float = 15) -> None:
    """No ETL instance of this cluster runs without its target (a killed target's children)."""

    def orphans():
        return [p for p in etl_procs(tag) if target_pid(p) == 0]

    try:
        kh.wait_until(lambda: not orphans(), timeout, "no orphaned ETL instance")
    except TimeoutError:
        left = orphans()
        text = "\n".join(f"{p.pid}: {' '.join(p.cmdline())}" for p in left)
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.kill()
        raise AssertionError(f"ETL instances outlived their killed target:\n{text}") from None


class SlowBody:
    """A streaming body of `size` bytes sent 1 MiB at a time; `started` is set once `after`
    MiB went out, so a test can strike while the rest is still to come."""

    def __init__(self, size: int, after: int = 16, pause: float = 0.02):
        self.size, self.after, self.pause = size, after, pause
        self.started = threading.Event()
        self.block = os.urandom(MIB)

    def __len__(self):
        return self.size

    def __iter__(self):
        for i in range(self.size // MIB):
            if i == self.after:
                self.started.set()
            time.sleep(self.pause)
            yield self.block


def put_in_thread(location: str, body) -> dict:
    """PUT body to location on a thread; the result (status or exception) lands in the dict."""
    out: dict = {}

    def run():
        try:
            out["status"] = requests.put(location, data=body, timeout=(5, 60)).status_code
        except requests.RequestException as e:
            out["error"] = e

    out["thread"] = threading.Thread(target=run, daemon=True)
    out["thread"].start()
    return out


# --- small filesystems ------------------------------------------------------------------------


def can_mount() -> str | None:
    """None when this process can mount a tmpfs, else why not (the reason a test skips with)."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs for a mountpath needs root"
    probe = Path(f"/tmp/kiln-mount-probe-{uuid.uuid4().hex[:8]}")
    probe.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)],
                           capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            return f"mount -t tmpfs failed here: {r.stderr.strip()}"
        subprocess.run(["umount", str(probe)], check=True, timeout=10)
        return None
    finally:
        probe.rmdir()


@contextlib.contextmanager
def small_tmpfs(path: Path, size_mib: int):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(path)],
                   check=True, timeout=10)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False, timeout=10)


def remount(path: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(path)], check=True, timeout=10)
