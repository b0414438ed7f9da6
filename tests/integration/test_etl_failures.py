"""How failures of an ETL reach the job API and the client, at the REST level (the SDK's view of
the same is tests/compat/test_sdk_etl_failures.py):

- a job that continues on errors finishes not aborted, with its errors in `err` (the first
  failed object, then "(and N more errors)"), on the proxy's status as on each target's
  snapshot, while `abort-err` stays empty (AIS keeps the two apart);
- a dry run (AIS "inspect": onto the source bucket, continuing on errors) transforms every
  object, so it finds the objects the ETL fails on, counts the results' bytes and writes nothing;
- an instance that dies while it holds an object: the client gets 400 at once (AIS's answer when
  the ETL gave no status; never a 5xx the SDK would retry), the ETL goes to Aborted with the exit
  status, whether or not the instance had answered a PUT before (a hang-up on the very first PUT
  is also what a seed-era POST-only server does, so Kiln tries POST once first).

The instances are etl_servers/offline_server.py (echo or md5; a 500 on names whose last digit is
7; the whole server exits on names whose last digit is 9).
"""

import hashlib
import re
import time

import pytest
import requests

import kilnharness as kh
from etlharness import owner
from offlinejobs import (
    all_snaps,
    list_names,
    offline_msg,
    put_all,
    snaps,
    start_ok,
    totals,
    wait_job,
)

COUNT = 30
OBJECTS = {f"o{i:02d}.txt": f"object number {i}\n".encode() * (i + 1) for i in range(COUNT)}
FAIL_DIGIT, EXIT_DIGIT = "7", "9"
FAILING = sorted(n for n in OBJECTS if n[-5] == FAIL_DIGIT)
QUICK = 5.0  # seconds: an answer that is not retried comes well within this


@pytest.fixture(scope="module")
def source(etl_cluster):
    kh.create_bucket(etl_cluster.url, "fsrc")
    put_all(etl_cluster.url, "fsrc", OBJECTS)
    return "fsrc"


def init(cluster, api, name: str, *args) -> str:
    api.init_ok(offline_msg(cluster, name, *args))
    return name


def cname(name: str) -> str:
    return f"ais://fsrc/{name}"


def inline(cluster, obj: str, etl: str, timeout: float = 30):
    return requests.get(f"{cluster.url}/v1/objects/fsrc/{obj}",
                        params={"provider": "ais", "etl_name": etl}, timeout=timeout)


def check_job_errors(cluster, jid: str):
    """The job finished with FAILING as its errors: err set (status and snapshots), not
    aborted, abort-err empty."""
    st = wait_job(cluster, jid)
    assert st["aborted"] is False, st
    assert "planned failure" in st["err"], st
    assert [n for n in FAILING if cname(n) in st["err"]], st
    by_target = snaps(cluster.url, jid)
    errors = []
    for snap in all_snaps(by_target):
        assert snap["abort-err"] == "" and snap["aborted"] is False, snap
        mine = snap["obj_errors"]
        errors += mine
        if not mine:
            assert snap["err"] == "", snap
            continue
        assert snap["err"].startswith(mine[0]["obj_name"] + ": "), snap
        if len(mine) > 1:
            more = len(mine) - 1
            assert snap["err"].endswith(f"(and {more} more error{'s' if more > 1 else ''})"), snap
    assert sorted(e["obj_name"] for e in errors) == [cname(n) for n in FAILING], errors
    return by_target


def test_continue_on_error_job_finishes_with_its_errors(etl_cluster, api, source):
    etl = init(etl_cluster, api, "fail-echo", "--fail-digit", FAIL_DIGIT)
    jid = start_ok(etl_cluster.url, source, {"id": etl, "coer": True}, dst="fdst")
    check_job_errors(etl_cluster, jid)
    assert sorted(list_names(etl_cluster.url, "fdst")) == sorted(
        n for n in OBJECTS if n not in FAILING)


def test_dry_run_transforms_every_object_and_reports_failures(etl_cluster, api, source):
    etl = init(etl_cluster, api, "fail-md5", "--transform", "md5", "--fail-digit", FAIL_DIGIT)
    jid = start_ok(etl_cluster.url, source, {"id": etl, "coer": True, "dry_run": True},
                   dst=source)
    by_target = check_job_errors(etl_cluster, jid)
    t = totals(by_target)
    good = [n for n in OBJECTS if n not in FAILING]
    assert t["loc-objs"] + t["out-objs"] == len(good), t
    # The results' bytes (32 hex digits each), not the sources': the transform ran.
    md5_len = len(hashlib.md5(b"").hexdigest())
    assert t["loc-bytes"] + t["out-bytes"] == md5_len * len(good), t
    assert sorted(list_names(etl_cluster.url, source)) == sorted(OBJECTS)


def dies_at_once(cluster, api, etl: str, victim: str):
    t0 = time.monotonic()
    r = inline(cluster, victim, etl)
    took = time.monotonic() - t0
    assert r.status_code == 400, f"{r.status_code} after {took:.1f} s: {r.text[:500]}"
    assert took < QUICK, f"400 after {took:.1f} s"
    text = r.json()["message"]
    assert etl in text, text
    api.wait_stage(etl, "Aborted", timeout=QUICK)
    details = api.details(etl).json()
    assert re.search(r"exited with status 3", details.get("error", "")), details
    r = inline(cluster, victim, etl)
    assert r.status_code == 404, r.text
    return text


def test_an_instance_that_dies_after_answering_puts(etl_cluster, api, source):
    etl = init(etl_cluster, api, "dies-later", "--exit-digit", EXIT_DIGIT)
    victim = "o09.txt"
    # An object of the same target first: that instance has answered a PUT.
    tid = owner(etl_cluster, source, victim).node_id()
    first = next(n for n in OBJECTS if n[-5] not in (EXIT_DIGIT,)
                 and owner(etl_cluster, source, n).node_id() == tid)
    r = inline(etl_cluster, first, etl)
    assert (r.status_code, r.content) == (200, OBJECTS[first]), r.text[:300]
    text = dies_at_once(etl_cluster, api, etl, victim)
    assert "without an answer" in text or "exited with status 3" in text, text


def test_an_instance_that_dies_on_its_first_put(etl_cluster, api, source):
    etl = init(etl_cluster, api, "dies-first", "--exit-digit", EXIT_DIGIT)
    text = dies_at_once(etl_cluster, api, etl, "o19.txt")
    # Which of the three the client reads depends on whether the target saw the exit before the
    # hang-up of the PUT or of its POST fallback; the exit status is in the details either way.
    assert ("exited with status 3" in text or "refused" in text.lower()
            or "without an answer" in text), text
