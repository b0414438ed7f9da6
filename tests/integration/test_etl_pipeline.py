"""ETL pipelines on a real cluster: an object through several ETLs, inline
(`GET ...?etl_name=a&etl_pipeline=b,c`, what `ais etl object "a>>b>>c"` sends) and offline
(etl-bck and etl-listrange with `pipeline` in their message), with every comm type as a stage.
Errors as AIS answers them (ext/etl GetPipeline, ais/tgtetl.go, ais/proxy.go etlExists), the
inline error list of the ETL the client named, and no spool file left behind.

Stages are code ETLs (seed 004's form) whose results a test computes itself: upper-case, reverse,
MD5 over io://, and the ws:// echo server with --md5.
"""

import os
import re

import pytest
import requests

import kilnharness as kh
from etlharness import (
    b64,
    code_msg,
    message,
    owner,
    pod,
    put_object,
    spec_msg,
    ws_command,
)
from offlinejobs import assert_finished_ok, md5hex, start_ok, wait_job

MIB = 1024 * 1024

UPPER = "def transform(input_bytes):\n    return input_bytes.upper()\n"
REVERSE = "def transform(input_bytes):\n    return input_bytes[::-1]\n"
# Fails for inputs that contain BAD (after upper-casing, "bad" too).
PICKY = ("def transform(input_bytes):\n"
         "    if b'BAD' in input_bytes:\n"
         "        raise ValueError('refusing ' + str(len(input_bytes)) + ' bytes')\n"
         "    return input_bytes\n")
MD5_IO = ("import hashlib, sys\n"
          "h = hashlib.md5()\n"
          "for c in iter(lambda: sys.stdin.buffer.read(65536), b''):\n"
          "    h.update(c)\n"
          "sys.stdout.buffer.write(h.hexdigest().encode())\n")


def io_msg(name: str, code: str) -> dict:
    return {"name": name, "communication": "io://", "runtime": "python3", "code": b64(code),
            "obj_timeout": "30s"}


STAGES = {
    "p-upper": lambda d: d.upper(),
    "p-rev-hrev": lambda d: d[::-1],
    "p-rev-hpull": lambda d: d[::-1],
    "p-md5-io": md5hex,
    "p-md5-ws": md5hex,
    "p-picky": lambda d: d,
}


@pytest.fixture(scope="module", autouse=True)
def stage_etls(etl_cluster, api):
    """The ETLs the chains are made of, on the module's cluster (deleted with the api fixture)."""
    ws = spec_msg("p-md5-ws", pod("p-md5-ws", ws_command(etl_cluster.marker("ws"), "--md5")),
                  comm="ws://")
    ws["support_direct_put"] = True
    for msg in (code_msg("p-upper", UPPER, "hpush://"),
                code_msg("p-rev-hrev", REVERSE, "hrev://"),
                code_msg("p-rev-hpull", REVERSE, "hpull://"),
                code_msg("p-picky", PICKY, "hpush://"),
                io_msg("p-md5-io", MD5_IO), ws):
        api.init_ok(msg)


@pytest.fixture(scope="module")
def objects(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "etlpipe")
    objs = {"empty": b"", "text/a.txt": b"some text :)\n", "bin/3MiB": os.urandom(3 * MIB),
            "dir/b.txt": b"abc" * 1000}
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    return bucket, objs


def through(stages: list[str], data: bytes) -> bytes:
    for s in stages:
        data = STAGES[s](data)
    return data


def inline(cluster, bucket: str, obj: str, stages: list[str], **params):
    query = {"provider": "ais", "etl_name": stages[0], "etl_pipeline": ",".join(stages[1:]),
             **params}
    return requests.get(cluster.url + kh.obj_path(bucket, obj), params=query, timeout=120)


def no_spool_files(cluster) -> bool:
    return not any(p.name.startswith("etl-pipeline.") for t in cluster.targets
                   for p in t.tmp_dir.iterdir())


CHAINS = {
    "hpush>>hrev": ["p-upper", "p-rev-hrev"],
    "hpush>>hpull>>io": ["p-upper", "p-rev-hpull", "p-md5-io"],
    "hrev>>hpush>>ws": ["p-rev-hrev", "p-upper", "p-md5-ws"],
    "ws>>hpush": ["p-md5-ws", "p-upper"],
    "io>>hrev": ["p-md5-io", "p-rev-hrev"],
    "same ETL twice": ["p-upper", "p-rev-hrev", "p-rev-hrev"],
}


@pytest.mark.parametrize("stages", CHAINS.values(), ids=CHAINS.keys())
def test_inline_pipeline_is_byte_exact_through_every_comm_type(etl_cluster, api, objects, stages):
    bucket, objs = objects
    for name, data in objs.items():
        r = inline(etl_cluster, bucket, name, stages)
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text}"
        assert r.content == through(stages, data), name
    kh.wait_until(lambda: no_spool_files(etl_cluster), 10, "pipeline spool files removed")


def test_an_empty_pipeline_parameter_is_no_pipeline(etl_cluster, api, objects):
    # The SDK sends etl_pipeline= with every ETL it names.
    bucket, objs = objects
    r = inline(etl_cluster, bucket, "text/a.txt", ["p-upper"])
    assert r.status_code == 200, r.text
    assert r.content == objs["text/a.txt"].upper()


def test_etl_args_go_to_the_first_stage_only(etl_cluster, api, objects):
    bucket, objs = objects
    r = inline(etl_cluster, bucket, "text/a.txt", ["p-md5-ws", "p-upper"], etl_args="ignored")
    assert r.status_code == 200, r.text
    assert r.content == md5hex(objs["text/a.txt"]).upper()


def test_inline_pipeline_errors_are_aiss(etl_cluster, api, objects):
    bucket, _ = objects
    tid = owner(etl_cluster, bucket, "text/a.txt").node_id()
    # A stage that is not running here: AIS's ErrETL, answered 400 (tgtetl.go writes it without
    # a status).
    r = inline(etl_cluster, bucket, "text/a.txt", ["p-upper", "nope-etl"])
    assert r.status_code == 400, r.text
    assert message(r) == f'[t[{tid}],etl="nope-etl"] entry not found in the target'
    assert r.json().get("tcode") == "ErrETL"
    # An empty stage ("a,,b") names no ETL.
    r = inline(etl_cluster, bucket, "text/a.txt", ["p-upper", "", "p-rev-hrev"])
    assert r.status_code == 400, r.text
    assert message(r) == f"[t[{tid}]] entry not found in the target"
    # The client follows an hpull:// redirect itself: no pipeline behind it.
    r = inline(etl_cluster, bucket, "text/a.txt", ["p-rev-hpull", "p-upper"])
    assert r.status_code == 400, r.text
    assert message(r) == "inline transform pipeline not supported for hpull://"
    # An unknown first ETL: 404 naming the primary's init endpoint.
    r = inline(etl_cluster, bucket, "text/a.txt", ["nope-etl", "p-upper"])
    assert r.status_code == 404, r.text
    assert message(r) == (f'{"t[" + tid + "]"}: nope-etl does not exist - try starting new ETL '
                          f'with "{etl_cluster.url}/v1/etl/init" endpoint')


def inline_errors(api, name: str) -> list[dict]:
    r = api.details(name)
    assert r.status_code == 200, r.text
    return r.json().get("obj_errors", [])


def test_missing_object_through_an_etl_is_in_its_error_list(etl_cluster, api, objects):
    bucket, _ = objects
    tid = owner(etl_cluster, bucket, "no/such.obj").node_id()
    r = inline(etl_cluster, bucket, "no/such.obj", ["p-upper"])
    assert r.status_code == 404, r.text
    assert message(r) == f"t[{tid}]: ais://{bucket}/no/such.obj does not exist"
    assert r.json().get("tcode") == "ErrNotFound"
    # AIS keeps "object not found" with the code its object load returned (202 Accepted).
    assert {"obj_name": f"ais://{bucket}/no/such.obj", "msg": "object not found",
            "ecode": 202} in inline_errors(api, "p-upper")


def test_a_later_stage_failure_is_the_first_etls_error(etl_cluster, api, objects):
    bucket, _ = objects
    put_object(etl_cluster.url, bucket, "bad.txt", b"this is bad\n")
    r = inline(etl_cluster, bucket, "bad.txt", ["p-upper", "p-picky"])
    assert r.status_code == 500, r.text
    assert "ETL error:" in message(r) and "refusing 12 bytes" in message(r), r.text
    errors = [e for e in inline_errors(api, "p-upper") if e["obj_name"] == f"ais://{bucket}/bad.txt"]
    assert errors and errors[0]["ecode"] == 500 and "refusing 12 bytes" in errors[0]["msg"], errors
    assert not [e for e in inline_errors(api, "p-picky") if "bad.txt" in e["obj_name"]]
    kh.wait_until(lambda: no_spool_files(etl_cluster), 10, "pipeline spool files removed")


def dst_contents(cluster, bucket: str, names) -> dict[str, bytes]:
    out = {}
    for n in names:
        r = requests.get(cluster.url + kh.obj_path(bucket, n), params={"provider": "ais"},
                         timeout=60)
        assert r.status_code == 200, f"{bucket}/{n}: {r.status_code} {r.text}"
        out[n] = r.content
    return out


def test_bucket_transform_through_a_pipeline(etl_cluster, api, objects):
    bucket, objs = objects
    stages = ["p-upper", "p-rev-hrev", "p-md5-io"]
    xid = start_ok(etl_cluster.url, bucket,
                   {"id": stages[0], "pipeline": stages[1:], "prefix": "dir/"}, dst="pipe-bck")
    assert_finished_ok(wait_job(etl_cluster, xid), xid, "etl-bck")
    assert dst_contents(etl_cluster, "pipe-bck", ["dir/b.txt"]) == {
        "dir/b.txt": through(stages, objs["dir/b.txt"])}
    kh.wait_until(lambda: no_spool_files(etl_cluster), 10, "pipeline spool files removed")


def test_listrange_transform_through_a_pipeline(etl_cluster, api, objects):
    bucket, objs = objects
    stages = ["p-md5-ws", "p-rev-hpull"]  # hpull:// behind the first stage gets a PUT
    names = ["empty", "bin/3MiB", "text/a.txt"]
    xid = start_ok(etl_cluster.url, bucket,
                   {"id": stages[0], "pipeline": stages[1:], "objnames": names,
                    "tobck": {"name": "pipe-lr", "provider": "ais"}}, action="etl-listrange")
    assert_finished_ok(wait_job(etl_cluster, xid), xid, "etl-listrange")
    assert dst_contents(etl_cluster, "pipe-lr", names) == {
        n: through(stages, objs[n]) for n in names}


@pytest.mark.parametrize("pipeline,words", [
    (["nope-etl"], "ETL nope-etl doesn't exist"),
    ([""], 'ETL name "" is empty'),
    (["Bad_Name"], 'ETL name "Bad_Name" is invalid: can only contain [a-z0-9-]'),
], ids=["unknown", "empty", "bad name"])
def test_offline_pipeline_with_an_unknown_stage_is_404(etl_cluster, api, objects, pipeline, words):
    bucket, _ = objects
    r = requests.post(f"{etl_cluster.url}/v1/buckets/{bucket}",
                      params={"provider": "ais", "bck_to": "ais/@#/pipe-none/"},
                      json={"action": "etl-bck", "name": "",
                            "value": {"id": "p-upper", "pipeline": pipeline}}, timeout=30)
    assert r.status_code == 404, r.text
    assert message(r) == words


def test_pipeline_counts_on_every_stage(etl_cluster, api, objects):
    bucket, objs = objects
    before = api.list()
    r = inline(etl_cluster, bucket, "dir/b.txt", ["p-upper", "p-md5-io"])
    assert r.status_code == 200, r.text
    after = api.list()
    for name in ("p-upper", "p-md5-io"):
        assert after[name]["obj_count"] == before[name]["obj_count"] + 1, name
    assert re.fullmatch(rb"[0-9a-f]{32}", r.content)
