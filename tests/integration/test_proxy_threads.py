"""The proxy's HTTP worker threads (--http-threads): object GETs and HEADs are redirected on
every thread, from the cluster map and bucket metadata as they are now (a target that left is
never a redirect's destination on any thread), and a bad request gets the same answer on
every thread. Each request below comes on a connection of its own, so the proxy deals them out
to all its threads in turn."""

from urllib.parse import urlsplit

import requests

import kilnharness as kh
import objectops as ops
import rebalanceharness as rh

BUCKET = "threads"
THREADS = 3


def fresh(method: str, url: str, **kw) -> requests.Response:
    """One request on a new connection (closed after it), no redirect followed."""
    return requests.request(method, url, headers={"Connection": "close"},
                            allow_redirects=False, timeout=30, **kw)


def target_ports(url: str) -> set[int]:
    return {urlsplit(n["public_net"]["direct_url"]).port for n in kh.get_smap(url)["tmap"].values()}


def test_every_thread_redirects_by_the_map_as_it_is_now(launcher):
    cluster = launcher.cluster(2, proxy_extra=["--http-threads", str(THREADS)])
    assert f"serving HTTP on {THREADS} threads" in cluster.proxy.log_tail(100)
    kh.create_bucket(cluster.url, BUCKET)
    objects = rh.payloads(30, "t", 4096)
    rh.put_many(cluster.url, BUCKET, objects)

    ports = target_ports(cluster.url)
    assert len(ports) == 2
    for name, data in objects.items():
        for method, status in (("GET", 301), ("HEAD", 307)):
            r = fresh(method, f"{cluster.url}/v1/objects/{BUCKET}/{name}")
            assert r.status_code == status, (name, method, r.status_code, r.text)
            assert urlsplit(r.headers["Location"]).port in ports
        assert requests.get(f"{cluster.url}/v1/objects/{BUCKET}/{name}", timeout=30).content == data

    # One target leaves: once the map says so, no thread redirects to it.
    leaving = cluster.targets[1]
    assert leaving.stop() == 0
    kh.wait_until(lambda: len(kh.get_smap(cluster.url)["tmap"]) == 1, 30, "the map without it")
    (left,) = target_ports(cluster.url)
    for name in objects:
        r = fresh("GET", f"{cluster.url}/v1/objects/{BUCKET}/{name}")
        assert r.status_code == 301 and urlsplit(r.headers["Location"]).port == left, r.headers
    assert rh.mismatches(cluster.url, BUCKET, objects) == []


def test_a_bad_read_gets_the_same_answer_on_every_thread(launcher):
    cluster = launcher.cluster(1, proxy_extra=["--http-threads", str(THREADS)])
    kh.create_bucket(cluster.url, BUCKET)
    cases = [("GET", "/v1/objects/nosuchbucket/o", 404),
             ("GET", f"/v1/objects/{BUCKET}/o?archmode=nonsense", 400),
             ("HEAD", "/v1/objects/nosuchbucket/o", 404)]
    for method, path, status in cases:
        answers = {(r.status_code, ops.error_message(r)) for r in (fresh(method, cluster.url + path) for _ in range(2 * THREADS))}
        assert len(answers) == 1 and next(iter(answers))[0] == status, (method, path, answers)
