"""Offline transform helpers: the 1000-object data set, parallel PUT / GET / list over a bucket,
the job API on the proxy (start `etl-bck` / `etl-listrange`, status, per-target snapshots, stop,
wait; the plain calls live in jobapi.py, shared with bench/offline.py) and the init message of
an etl_servers/offline_server.py instance. Used by test_etl_offline.py, test_etl_failures.py and
test_etl_pipeline.py.
"""

import hashlib
import random
import re
import time

import requests

import kilnharness as kh
from etlharness import SERVERS, check_nodes_alive, pod, spec_msg
from jobapi import (  # noqa: F401  (the job API, for the tests that import it from here)
    cluster_get, list_names, parallel, snaps, start, status, stop_job)

MIB = 1024 * 1024
OFFLINE_SERVER = SERVERS / "offline_server.py"
COUNT = 1000
JOB_DEADLINE = 90.0  # a whole-bucket job takes ~3 s here; a loaded 2-core machine, far more
ABORT_DEADLINE = 20.0  # from the stop request to end_time > 0
JOB_ID_RE = re.compile(r"^[0-9A-Za-z_-]{6,}$")
FAIL_DIGIT = "7"
CUT_DIGIT = "3"


# --- the data set ---------------------------------------------------------------------------------


def make_dataset(seed=20260101) -> dict[str, bytes]:
    """1000 objects: 800 under a/, 200 under b/; .txt, .jpg, no extension, spaces, non-ASCII and
    characters that mean something in a URL (the last number in a name is always its index);
    sizes from 0 B to 2 MiB (ten objects of 1-2 MiB, so a result takes several reads)."""
    rng = random.Random(seed)
    objs = {}
    for i in range(COUNT):
        top = "a/" if i < 800 else "b/"
        ext = ".jpg" if i % 4 == 3 else ".txt"
        stem = f"o{i:04d}"
        if i % 100 == 11:
            name = f"{top}sub dir/\u00fcn\u00ef {stem}{ext}"
        elif i % 100 == 12:
            name = f"{top}url/#hash ?q=x&a=b +plus %zz;semi {stem}{ext}"
        elif i % 50 == 49:
            name = f"{top}{stem}"
        else:
            name = f"{top}{stem}{ext}"
        if i % 250 == 0:
            size = 0
        elif i % 100 == 3:
            size = MIB + rng.randint(0, MIB)
        else:
            size = rng.randint(1, 16 * 1024)
        objs[name] = rng.randbytes(size)
    return objs


def last_digit(name: str) -> str:
    """What offline_server.py --fail-digit / --cut-digit look at: the last digit of the name's
    last number (its index in the data set)."""
    return re.findall(r"\d+", name)[-1][-1]


def fails(name: str) -> bool:
    return last_digit(name) == FAIL_DIGIT


def dest_name(name: str, prepend: str = "", ext: dict | None = None) -> str:
    """AIS's TCBMsg.ToName: the extension after the last dot remapped, then prepend."""
    out = name
    if ext:
        dot = name.rfind(".")
        if dot > name.rfind("/") and name[dot + 1:] in ext:
            out = name[: dot + 1] + ext[name[dot + 1:]]
    return prepend + out


def md5hex(data: bytes) -> bytes:
    return hashlib.md5(data).hexdigest().encode()


# --- client helpers -------------------------------------------------------------------------------


def put_all(url: str, bucket: str, objs: dict[str, bytes]) -> None:
    def put(s, item):
        name, data = item
        r = s.put(url + kh.obj_path(bucket, name), params={"provider": "ais"}, data=data,
                  timeout=60)
        return name, r.status_code, r.text[:200]

    bad = [x for x in parallel(put, objs.items()) if x[1] != 200]
    assert not bad, f"{len(bad)} PUTs failed, first: {bad[:3]}"


def get_all(url: str, bucket: str, names) -> dict[str, bytes]:
    def get(s, name):
        r = s.get(url + kh.obj_path(bucket, name), params={"provider": "ais"}, timeout=60)
        return name, r.status_code, r.content

    out, bad = {}, []
    for name, status, body in parallel(get, sorted(names)):
        if status == 200:
            out[name] = body
        else:
            bad.append((name, status, body[:200]))
    assert not bad, f"{len(bad)} GETs of ais://{bucket} failed, first: {bad[:3]}"
    return out


def bucket_exists(url: str, bucket: str) -> bool:
    r = requests.head(f"{url}/v1/buckets/{bucket}", params={"provider": "ais"}, timeout=30)
    assert r.status_code in (200, 404), f"HEAD ais://{bucket}: {r.status_code}"
    return r.status_code == 200


def assert_destination(url: str, bucket: str, expected: dict[str, bytes]) -> None:
    """The bucket holds exactly the expected names, each with exactly the expected bytes."""
    listed = list_names(url, bucket)
    assert len(listed) == len(set(listed)), f"ais://{bucket} lists a name twice"
    missing = sorted(set(expected) - set(listed))
    extra = sorted(set(listed) - set(expected))
    assert not missing and not extra, (
        f"ais://{bucket}: {len(missing)} missing (first {missing[:5]}), "
        f"{len(extra)} unexpected (first {extra[:5]})")
    got = get_all(url, bucket, expected)
    wrong = [n for n in expected if got[n] != expected[n]]
    assert not wrong, (f"ais://{bucket}: {len(wrong)} objects differ from the expected transform, "
                       f"first {wrong[0]!r}: {len(got[wrong[0]])} B, "
                       f"want {len(expected[wrong[0]])} B")


def assert_no_temp_files(cluster) -> None:
    left = {t.name: sorted(str(p.relative_to(t.tmp_dir)) for p in t.tmp_dir.rglob("*")
                           if p.is_file())
            for t in cluster.targets}
    assert not any(left.values()), f"temporary files left after the job ended: {left}"


# --- the job API ----------------------------------------------------------------------------------


def start_ok(url: str, src: str, value: dict, **kw) -> str:
    r = start(url, src, value, **kw)
    assert r.status_code == 200, f"start {value}: {r.status_code} {r.text}"
    jid = r.text.strip()
    assert JOB_ID_RE.match(jid), f"the job id is the plain-text body, got {r.text!r}"
    return jid


def totals(by_target: dict[str, list[dict]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for snap_list in by_target.values():
        for s in snap_list:
            for k, v in s["stats"].items():
                assert isinstance(v, str), f"stats.{k} must be a string (Go ,string tag): {v!r}"
                out[k] = out.get(k, 0) + int(v)
    return out


def done_count(url: str, jid: str) -> int:
    t = totals(snaps(url, jid))
    return t.get("loc-objs", 0) + t.get("out-objs", 0)


def wait_job(cluster, jid: str, timeout: float = JOB_DEADLINE) -> dict:
    """Polls what=status until end_time > 0; fails with the nodes' logs after the deadline."""
    def ended():
        check_nodes_alive(cluster)
        st = status(cluster.url, jid)
        return st if st["end_time"] > 0 else None

    return kh.wait_until(ended, timeout, f"job {jid} ends", interval=0.1,
                         on_fail=lambda: f"{snaps(cluster.url, jid)}\n{cluster.log_tails()}")


def assert_finished_ok(st: dict, jid: str, kind: str) -> None:
    assert st["uuid"] == jid and st["kind"] == kind, st
    assert st["aborted"] is False and st["err"] == "", st
    now = time.time_ns()
    assert now - 600 * 10**9 < st["end_time"] <= now + 10**9, f"end_time is unix ns: {st}"


def all_snaps(by_target) -> list[dict]:
    return [s for lst in by_target.values() for s in lst]


def sizes(objs, names) -> int:
    return sum(len(objs[n]) for n in names)



# --- offline ETLs -------------------------------------------------------------------------------


def offline_msg(cluster, name: str, *args, obj_timeout: str = "30s") -> dict:
    marker = cluster.marker(name)
    command = ["python3", str(OFFLINE_SERVER), "--port", "8000", "--marker", marker,
               *[str(a) for a in args]]
    msg = spec_msg(name, pod(name, command))
    msg["obj_timeout"] = obj_timeout
    return msg


def init_offline(cluster, api, name: str, *args) -> str:
    api.init_ok(offline_msg(cluster, name, *args))
    return name
