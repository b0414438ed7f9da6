"""Crashes, restarts and stalls: a write is either whole or absent, a restart keeps what was
committed, and the proxy's map follows targets that stop answering and come back.
"""

import os
import random
import signal
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests
import xxhash

import kilnharness as kh
import rebalanceharness as rh

MIB = 1024 * 1024
BIG = 200 * MIB
PAUSE_AT = 64 * MIB  # the generator stops here until the test has killed the target


class GatedBody:
    """A 200 MiB chunked body that pauses after PAUSE_AT bytes until `gate` is set (or a
    deadline passes), so the kill lands mid-body every time, not by timing luck."""

    def __init__(self, total=BIG, pause_at=PAUSE_AT):
        self.total, self.pause_at = total, pause_at
        self.gate = threading.Event()
        self.paused = threading.Event()
        self.sent = 0
        self.block = os.urandom(MIB)

    def __iter__(self):
        while self.sent < self.total:
            if self.sent >= self.pause_at and not self.gate.is_set():
                self.paused.set()
                self.gate.wait(60)
            yield self.block
            self.sent += len(self.block)


class BackgroundPut:
    """requests.put(url, body) on a thread; result holds the response or the exception."""

    def __init__(self, url, body):
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(url, body), daemon=True)
        self.thread.start()

    def _run(self, url, body):
        try:
            self.result = requests.put(url, data=body, timeout=(5, 60))
        except requests.RequestException as e:
            self.result = e

    def join(self, timeout=30):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the PUT did not finish after the target died"
        return self.result


def resolve(cluster, bucket, name):
    """The owning target's URL for an object, as the proxy redirects a bodyless PUT."""
    r = requests.put(cluster.url + kh.obj_path(bucket, name), params={"provider": "ais"},
                     data=b"", allow_redirects=False, timeout=10)
    assert r.status_code == 307, r.text
    return r.headers["Location"], cluster.target_for_url(r.headers["Location"])


def tmp_files(target):
    return [p for p in target.tmp_dir.rglob("*") if p.is_file()] if target.tmp_dir.exists() else []


def wait_for_partial_write(target, body):
    kh.wait_until(body.paused.is_set, 60, "the client to send 64 MiB")
    return kh.wait_until(
        lambda: [p for p in tmp_files(target) if p.stat().st_size >= 32 * MIB],
        30, f"a partial object in {target.tmp_dir}", on_fail=target.log_tail)



def get(cluster, bucket, name):
    return requests.get(cluster.url + kh.obj_path(bucket, name), timeout=30)


def test_sigkill_mid_put_leaves_no_object_and_no_temp_file(cluster):
    bucket = kh.create_bucket(cluster.url, "crash")
    location, target = resolve(cluster, bucket, "big/object.bin")
    body = GatedBody()
    put = BackgroundPut(location, body)
    partial = wait_for_partial_write(target, body)
    assert not (target.bucket_dir(bucket) / "big/object.bin").exists(), "visible before commit"

    target.kill()
    body.gate.set()
    result = put.join()
    assert not (isinstance(result, requests.Response) and result.status_code == 200), result
    assert partial[0].exists(), "SIGKILL cannot clean up; the file must still be there to test"

    restarted = cluster.restart_target(target)
    assert tmp_files(restarted) == [], "start-up must remove what a crashed write left in tmp/"
    assert not (restarted.bucket_dir(bucket) / "big/object.bin").exists()
    r = get(cluster, bucket, "big/object.bin")
    assert r.status_code == 404, r.status_code
    assert f"ais://{bucket}/big/object.bin" in r.json()["message"]
    r = requests.head(cluster.url + kh.obj_path(bucket, "big/object.bin"), allow_redirects=True,
                      timeout=10)
    assert r.status_code == 404


def test_overwrite_killed_mid_put_keeps_the_previous_bytes(cluster):
    bucket = kh.create_bucket(cluster.url, "overwrite")
    old = random.randbytes(3 * MIB + 17)
    r = requests.put(cluster.url + kh.obj_path(bucket, "obj"), data=old, timeout=30)
    assert r.status_code == 200, r.text
    location, target = resolve(cluster, bucket, "obj")
    body = GatedBody()
    put = BackgroundPut(location, body)
    wait_for_partial_write(target, body)
    # Mid-write the old version is still what readers get.
    assert get(cluster, bucket, "obj").content == old

    target.kill()
    body.gate.set()
    put.join()
    restarted = cluster.restart_target(target)
    assert tmp_files(restarted) == []
    r = get(cluster, bucket, "obj")
    assert r.status_code == 200 and r.content == old
    h = requests.head(cluster.url + kh.obj_path(bucket, "obj"), allow_redirects=True,
                      timeout=10).headers
    assert h["Ais-Checksum-Value"] == xxhash.xxh64(old).hexdigest()
    assert h["Ais-Version"] == "1"


def test_client_leaving_mid_put_keeps_the_previous_bytes_and_cleans_up(cluster):
    """No crash this time: the client hangs up; the target stays up and removes its temp file."""
    bucket = kh.create_bucket(cluster.url, "hangup")
    old = random.randbytes(MIB)
    assert requests.put(cluster.url + kh.obj_path(bucket, "o"), data=old, timeout=30).ok
    location, target = resolve(cluster, bucket, "o")
    u = urlsplit(location)
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(f"PUT {u.path}?{u.query} HTTP/1.1\r\nHost: x\r\n"
                  f"Content-Length: {BIG}\r\n\r\n".encode())
        chunk = os.urandom(MIB)
        for _ in range(16):
            s.sendall(chunk)
        kh.wait_until(lambda: [p for p in tmp_files(target) if p.stat().st_size >= 8 * MIB], 30,
                      "a partial object in tmp/")
    kh.wait_until(lambda: tmp_files(target) == [], 10, "tmp/ empty after the client left",
                  on_fail=lambda: str(tmp_files(target)))
    target.check_alive()
    assert get(cluster, bucket, "o").content == old
    new = random.randbytes(1000)
    assert requests.put(cluster.url + kh.obj_path(bucket, "o"), data=new, timeout=30).ok
    assert get(cluster, bucket, "o").content == new


def test_restarted_target_keeps_its_objects(cluster):
    bucket = kh.create_bucket(cluster.url, "restart")
    rng = random.Random(3)
    objs = {f"dir{i % 4}/obj {i}": rng.randbytes(rng.randint(0, 256 * 1024)) for i in range(120)}
    with requests.Session() as s:
        for name, data in objs.items():
            assert s.put(cluster.url + kh.obj_path(bucket, name), data=data, timeout=30).ok
    # The target holding the most objects goes down politely (SIGTERM: its objects move to the
    # others first) and comes back on the same folder; the rebalance brings its share back.
    counts = {t: sum(1 for n in objs if (t.bucket_dir(bucket) / n).is_file())
              for t in cluster.targets}
    victim = max(counts, key=counts.get)
    old_id = victim.node_id()
    assert victim.stop() == 0
    restarted = cluster.restart_target(victim)
    assert restarted.node_id() == old_id
    cluster.wait_targets(3)
    rh.wait_rebalanced(cluster)
    assert sum(1 for n in objs if (restarted.bucket_dir(bucket) / n).is_file()) == counts[victim]
    with requests.Session() as s:
        for name, data in objs.items():
            r = s.get(cluster.url + kh.obj_path(bucket, name), timeout=30)
            assert r.status_code == 200 and r.content == data, (name, r.status_code)
            h = s.head(cluster.url + kh.obj_path(bucket, name), allow_redirects=True,
                       timeout=30).headers
            assert h["Ais-Version"] == "1" and h["Content-Length"] == str(len(data))
    assert tmp_files(restarted) == []


@pytest.fixture
def fast_keepalive_cluster(launcher):
    return launcher.cluster(3, keepalive=("500ms", "3s"), name="keepalive")


def test_stopped_target_is_dropped_and_rejoins_after_sigcont(fast_keepalive_cluster):
    cluster = fast_keepalive_cluster
    bucket = kh.create_bucket(cluster.url, "stall")
    victim = cluster.targets[1]
    vid = victim.node_id()
    before = cluster.smap()
    assert vid in before["tmap"]

    victim.send(signal.SIGSTOP)
    stopped_at = time.monotonic()
    dropped = kh.wait_until(lambda: (s := cluster.smap()) and vid not in s["tmap"] and s, 20,
                            f"proxy drops stopped target {vid}", on_fail=cluster.log_tails)
    waited = time.monotonic() - stopped_at
    # Silent for at least timeout - interval before it can be missing.
    assert waited >= 2.0, f"dropped after {waited:.1f} s, before the 3 s keepalive timeout"
    assert int(dropped["version"]) > int(before["version"])
    assert set(dropped["tmap"]) == set(before["tmap"]) - {vid}
    # Meanwhile the proxy places new objects on the live targets only.
    live = {t.port() for t in cluster.targets if t is not victim}
    for i in range(30):
        r = requests.put(cluster.url + kh.obj_path(bucket, f"o{i}"), data=b"x",
                         allow_redirects=False, timeout=10)
        assert r.status_code == 307 and urlsplit(r.headers["Location"]).port in live

    victim.send(signal.SIGCONT)
    back = kh.wait_until(lambda: (s := cluster.smap()) and vid in s["tmap"] and s, 20,
                         f"target {vid} rejoins after SIGCONT", on_fail=cluster.log_tails)
    assert int(back["version"]) > int(dropped["version"])
    assert len(back["tmap"]) == 3
    victim.check_alive()
    assert requests.get(f"{victim.url}/v1/health", timeout=10).status_code == 200
