"""A proxy's bucket listing and job API over plain `requests`, for the integration tests
(offlinejobs.py) and the offline benchmark (bench/offline.py) alike: calls on a few threads with
keep-alive sessions, every name in a bucket, and starting, querying and stopping a job
(etl-bck, etl-listrange, ...). No pytest here, so that the benchmark can import it too."""

from __future__ import annotations

import concurrent.futures
import threading

import requests


def parallel(fn, items, workers=6):
    """fn(session, item) on a few threads, each with its own keep-alive session."""
    local = threading.local()

    def run(item):
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return fn(local.s, item)

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(run, items))


def list_names(url: str, bucket: str, pagesize: int = 1000, max_pages: int = 100000) -> list[str]:
    """Every name in the bucket (all pages); a name listed twice shows up twice."""
    names, token = [], ""
    for _ in range(max_pages):
        r = requests.get(f"{url}/v1/buckets/{bucket}", params={"provider": "ais"},
                         json={"action": "list", "name": "",
                               "value": {"props": "name,size", "pagesize": pagesize,
                                         "continuation_token": token}},
                         timeout=120)
        assert r.status_code == 200, f"list ais://{bucket}: {r.status_code} {r.text}"
        page = r.json()
        names += [e["name"] for e in page["entries"] or []]
        token = page["continuation_token"]
        if not token:
            return names
    raise AssertionError(f"listing ais://{bucket} never ended")


def start(url: str, src: str, value: dict, dst: str | None = None, action: str = "etl-bck",
          name: str = "", bck_to: str | None = None) -> requests.Response:
    params = {"provider": "ais"}
    if bck_to is not None:
        params["bck_to"] = bck_to
    elif dst is not None:
        params["bck_to"] = f"ais/@#/{dst}/"
    return requests.post(f"{url}/v1/buckets/{src}", params=params,
                         json={"action": action, "name": name, "value": value}, timeout=60)


def cluster_get(url: str, what: str, body: dict, session=requests) -> requests.Response:
    return session.get(f"{url}/v1/cluster", params={"what": what}, json=body, timeout=30)


def status(url: str, jid: str, kind: str = "", session=requests) -> dict:
    # The SDK's JobArgs: capitalized keys, matched case-insensitively by AIS.
    r = cluster_get(url, "status", {"ID": jid, "Kind": kind, "DaemonID": "", "Bck": None,
                                    "Buckets": None}, session)
    assert r.status_code == 200, f"status of {jid}: {r.status_code} {r.text}"
    return r.json()


def snaps(url: str, jid: str) -> dict[str, list[dict]]:
    """what=qryxstats: {target id: [its snapshots of the job]}."""
    r = cluster_get(url, "qryxstats", {"ID": jid, "Kind": ""})
    assert r.status_code == 200, f"qryxstats of {jid}: {r.status_code} {r.text}"
    return r.json()


def stop_job(url: str, jid: str) -> requests.Response:
    return requests.put(f"{url}/v1/cluster",
                        json={"action": "stop", "name": "", "value": {"ID": jid, "Kind": ""}},
                        timeout=30)
