"""Helpers of the rebalance tests: many small objects written at once, a bounded GET loop that
checks every byte while the cluster changes, and the waits for a finished rebalance."""

import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

import kilnharness as kh

OBJECT_SIZE = 1024


def payloads(count: int, prefix: str = "o", size: int = OBJECT_SIZE) -> dict[str, bytes]:
    rng = random.Random(count * 7919 + len(prefix))
    return {f"{prefix}/{i:05d}": rng.randbytes(size) for i in range(count)}


def put_many(url: str, bucket: str, objects: dict[str, bytes], workers: int = 16) -> None:
    def put(item):
        name, data = item
        with requests.Session() as s:
            r = s.put(f"{url}/v1/objects/{bucket}/{name}", data=data, timeout=30)
            assert r.status_code == 200, (name, r.status_code, r.text)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, objects.items()))


def mismatches(url: str, bucket: str, objects: dict[str, bytes], workers: int = 16) -> list:
    """Names whose GET does not return the exact bytes (with the status seen)."""

    def get(item):
        name, data = item
        r = requests.get(f"{url}/v1/objects/{bucket}/{name}", timeout=30)
        return None if r.status_code == 200 and r.content == data else (name, r.status_code)

    with ThreadPoolExecutor(workers) as pool:
        return [m for m in pool.map(get, objects.items()) if m]


def listed_names(url: str, bucket: str) -> list[str]:
    names, token = [], ""
    while True:
        body = {"action": "list", "value": {"props": "name,size", "continuation_token": token,
                                            "pagesize": 500}}
        r = requests.get(f"{url}/v1/buckets/{bucket}", json=body, timeout=30)
        deadline = time.monotonic() + 10
        while r.status_code == 503 and time.monotonic() < deadline:
            # A target left a moment ago and the map has not settled: AIS's clients retry 503.
            time.sleep(0.2)
            r = requests.get(f"{url}/v1/buckets/{bucket}", json=body, timeout=30)
        r.raise_for_status()
        page = r.json()
        names += [e["name"] for e in page.get("entries") or []]
        token = page.get("continuation_token", "")
        if not token:
            return names


class GetLoop(threading.Thread):
    """GETs random objects until stopped (at most max_gets), recording every wrong answer."""

    def __init__(self, url: str, bucket: str, objects: dict[str, bytes], max_gets: int = 20000):
        super().__init__(daemon=True)
        self.url, self.bucket, self.objects = url, bucket, objects
        self.max_gets = max_gets
        self.failures: list = []
        self.gets = 0
        self.latencies: list[float] = []
        self._halt = threading.Event()

    def run(self):
        names = list(self.objects)
        rng = random.Random(os.getpid())
        with requests.Session() as s:
            while not self._halt.is_set() and self.gets < self.max_gets:
                name = rng.choice(names)
                t0 = time.perf_counter()
                try:
                    r = s.get(f"{self.url}/v1/objects/{self.bucket}/{name}", timeout=30)
                    ok = r.status_code == 200 and r.content == self.objects[name]
                    status = r.status_code
                except requests.RequestException as e:
                    ok, status = False, str(e)
                self.latencies.append(time.perf_counter() - t0)
                self.gets += 1
                if not ok:
                    self.failures.append((name, status))

    def stop(self):
        self._halt.set()
        self.join(30)


def rebalance_states(cluster: kh.Cluster) -> list[dict]:
    """The rebalance progress of every live target in the cluster map."""
    out = []
    members = cluster.smap()["tmap"]
    for t in cluster.targets:
        if t.alive() and t.node_id() in members:
            out.append(requests.get(f"{t.url}/v1/rebalance", timeout=5).json())
    return out


def wait_rebalanced(cluster: kh.Cluster, timeout: float = 40) -> list[dict]:
    """Until every live target ran the rebalance of the proxy's current map to its end."""

    def done():
        version = int(cluster.smap()["version"])
        states = rebalance_states(cluster)
        return all(s["smap_version"] == version and not s["running"] for s in states) and states

    return kh.wait_until(done, timeout, "rebalance done on every target", interval=0.2,
                         on_fail=cluster.log_tails)


def files_on_disk(cluster: kh.Cluster, bucket: str) -> dict[str, list[str]]:
    """Object name -> the targets (by name) that hold a file of it."""
    where: dict[str, list[str]] = {}
    for t in cluster.targets:
        root = t.bucket_dir(bucket)
        if root.is_dir():
            for p in root.rglob("*"):
                if p.is_file():
                    where.setdefault(str(p.relative_to(root)), []).append(t.name)
    return where


def cluster_put(cluster: kh.Cluster, action: str, sid: str) -> str:
    """PUT /v1/cluster with a node action (start-maintenance, decommission-node, ...): its job id."""
    r = requests.put(f"{cluster.url}/v1/cluster",
                     json={"action": action, "value": {"sid": sid}}, timeout=10)
    assert r.status_code == 200, r.text
    return r.text


def job_status(cluster: kh.Cluster, xid: str) -> dict:
    """The rebalance job xid as the proxy reports it (what=status)."""
    r = requests.get(f"{cluster.url}/v1/cluster", params={"what": "status"},
                     json={"id": xid, "kind": "rebalance"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def setup_bucket(cluster: kh.Cluster, name: str, count: int = 1000, prefix: str = "o",
                 size: int | None = None) -> dict[str, bytes]:
    """A new bucket with count objects, every one checked byte-exact."""
    kh.create_bucket(cluster.url, name)
    objects = payloads(count, prefix, size or OBJECT_SIZE)
    put_many(cluster.url, name, objects)
    assert mismatches(cluster.url, name, objects) == []
    return objects


def check_all_there_once(cluster: kh.Cluster, bucket: str, objects: dict[str, bytes],
                         loop=None) -> dict[str, list[str]]:
    """After a rebalance: the GET loop (if any) never failed, every object is byte-exact, listed
    once, and on exactly one target's disk. Returns where each object is."""
    if loop:
        loop.stop()
        assert loop.failures == [], loop.failures[:10]
        assert loop.gets > 0
    assert mismatches(cluster.url, bucket, objects) == []
    names = listed_names(cluster.url, bucket)
    assert len(names) == len(set(names)), "duplicates in list-objects"
    assert sorted(names) == sorted(objects)
    where = files_on_disk(cluster, bucket)
    assert sorted(where) == sorted(objects)
    assert [n for n, ts in where.items() if len(ts) != 1] == []
    return where
