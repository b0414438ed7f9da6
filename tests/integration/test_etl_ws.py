"""ws:// inline transforms on a real cluster: ETLs from a pod spec running etl_servers/
ws_echo_server.py (a standard-library websocket server), read through the proxy with
`GET /v1/objects/B/O?etl_name=N`. Byte-exact results from 0 B to 64 MiB, etl_args and FQN mode
reaching the server, 32 concurrent reads over the three targets with at most four websockets per
instance, the object timeout (400, then the ETL works on), a killed instance (400 for the object
on the wire, then Aborted): AIS answers 400 when the ETL gave no status, and the SDK does not
retry that. Also the hpush:// replay of a PUT the instance answered with 503 +
`Ais-Etl-Retry-Reason: direct-put-transient` (protocol §1.5).

Helpers and the cluster fixture come from test_etl_control.py.
"""

import base64
import concurrent.futures
import hashlib
import os
import re
import signal
import threading
import time

import pytest
import requests

import kilnharness as kh
from etlharness import (
    STOP_DEADLINE,
    check_nodes_alive,
    describe,
    echo_command,
    message,
    owner,
    pod,
    put_object,
    spec_msg,
    target_pid,
    wait_instances,
    ws_command,
)

MIB = 1024 * 1024
POOL_SIZE = 4  # websockets per ETL per target (service/etl/comm/wspool.cpp)


@pytest.fixture(scope="module")
def objects(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "etlws")
    objs = {
        "empty": b"",
        "one-kib": os.urandom(1024),
        "dir/with space/\u00fcn\u00efcode.bin": bytes(range(256)) * 300,
        "big/5MiB": os.urandom(5 * MIB),
        "big/64MiB": os.urandom(64 * MIB),
    }
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    return bucket, objs


def ws_msg(name: str, marker: str, *extra, comm: str = "ws://", env: dict | None = None,
           obj_timeout: str = "30s") -> dict:
    doc = pod(name, ws_command(marker, *extra))
    if env:
        doc["spec"]["containers"][0]["env"] = [{"name": k, "value": v} for k, v in env.items()]
    msg = spec_msg(name, doc, comm=comm)
    msg["obj_timeout"] = obj_timeout
    # AIS refuses ws:// without direct put (501), and so does Kiln.
    msg["support_direct_put"] = True
    return msg


def get(cluster, bucket: str, obj: str, etl: str, args: str | None = None, timeout=120):
    params = {"provider": "ais", "etl_name": etl}
    if args is not None:
        params["etl_args"] = args
    return requests.get(cluster.url + kh.obj_path(bucket, obj), params=params, timeout=timeout)


def instance_log(etls, name: str, target_id: str) -> str:
    r = etls.get(name, f"logs/{target_id}")
    assert r.status_code == 200, r.text
    return base64.b64decode(r.json()[0]["logs"]).decode(errors="replace")


def max_open(log: str) -> int:
    return max((int(n) for n in re.findall(r"\(open: (\d+)\)", log)), default=0)


def test_echo_is_byte_exact_from_empty_to_64_mib(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("wsecho")
    xid = etls.init_ok(ws_msg("ws-echo", marker))
    wait_instances(marker, 3)
    assert etls.details("ws-echo").json()["init_msg"]["communication"] == "ws://"

    for name, data in objs.items():
        t0 = time.monotonic()
        r = get(etl_cluster, bucket, name, "ws-echo")
        took = time.monotonic() - t0
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:300]}"
        assert len(r.content) == len(data), f"{name}: {len(r.content)} of {len(data)} bytes"
        assert r.content == data, name
        assert took < 30, f"{name}: {took:.1f} s"

    total = sum(len(d) for d in objs.values())

    def counted():
        e = etls.list()["ws-echo"]
        return (e["obj_count"], e["in_bytes"], e["out_bytes"]) == (len(objs), total, total) and e

    entry = kh.wait_until(counted, 10, "list counts every transformed object",
                          on_fail=lambda: str(etls.list()))
    assert (entry["stage"], entry["xaction_id"]) == ("Running", xid)

    # The bytes went over the websocket (no FQN for this ETL), one object per message.
    logs = "\n".join(instance_log(etls, "ws-echo", t.node_id()) for t in etl_cluster.targets)
    assert f"ws object 'big/64MiB' {64 * MIB} bytes fqn=False" in logs, logs[-2000:]
    assert "ws object 'empty' 0 bytes fqn=False" in logs, logs[-2000:]
    assert "etl_args" not in logs  # nothing asked, nothing sent
    check_nodes_alive(etl_cluster)


def test_etl_args_reach_the_server(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("wsargs")
    etls.init_ok(ws_msg("ws-args", marker, "--args"))
    for name in ("one-kib", "empty", "dir/with space/\u00fcn\u00efcode.bin"):
        # Escaped on the way in (no spaces: the target's query parsing keeps a '+' as it is).
        r = get(etl_cluster, bucket, name, "ws-args", args="hello,ws/\u00fc&x=1%")
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:300]}"
        assert r.content == "HELLO,WS/\u00dc&X=1%".encode() + objs[name], name
    # Without etl_args the control message has none: the bytes come back as they are.
    r = get(etl_cluster, bucket, "one-kib", "ws-args")
    assert (r.status_code, r.content) == (200, objs["one-kib"])


def test_fqn_mode_sends_the_path_not_the_bytes(etl_cluster, etls, objects):
    """ETL_DIRECT_FQN=true, as for hpush: the control message names the file, no bytes follow."""
    bucket, objs = objects
    marker = etl_cluster.marker("wsfqn")
    etls.init_ok(ws_msg("ws-md5-fqn", marker, "--md5", env={"ETL_DIRECT_FQN": "true"}))
    for name in ("one-kib", "empty", "big/5MiB", "dir/with space/\u00fcn\u00efcode.bin"):
        r = get(etl_cluster, bucket, name, "ws-md5-fqn")
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:300]}"
        assert r.content == hashlib.md5(objs[name]).hexdigest().encode(), name
    logs = "\n".join(instance_log(etls, "ws-md5-fqn", t.node_id()) for t in etl_cluster.targets)
    assert f"ws object 'big/5MiB' {5 * MIB} bytes fqn=True" in logs, logs[-2000:]
    assert "fqn=False" not in logs, logs[-2000:]


def test_text_reply_means_delivered_by_direct_put(etl_cluster, etls, objects):
    """AIS: a text frame answers an object the instance delivered elsewhere; the client gets an
    empty 200."""
    bucket, _ = objects
    marker = etl_cluster.marker("wsdp")
    etls.init_ok(ws_msg("ws-direct", marker))
    r = get(etl_cluster, bucket, "one-kib", "ws-direct", args="direct-put")
    assert (r.status_code, r.content) == (200, b""), r.text[:300]


def test_32_concurrent_reads_through_3_targets(etl_cluster, etls):
    bucket = kh.create_bucket(etl_cluster.url, "etlws-many")
    objs = {f"many/{i:02d}": os.urandom(1 + (i * 37_813) % (700 * 1024)) for i in range(32)}
    objs["many/big-a"] = os.urandom(3 * MIB)
    objs["many/big-b"] = os.urandom(3 * MIB + 5)
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    owners = {t.name for t in (owner(etl_cluster, bucket, n) for n in objs)}
    assert len(owners) == 3, owners

    marker = etl_cluster.marker("wsmany")
    etls.init_ok(ws_msg("ws-many", marker))

    def read(name):
        with requests.Session() as s:
            r = s.get(etl_cluster.url + kh.obj_path(bucket, name),
                      params={"provider": "ais", "etl_name": "ws-many"}, timeout=120)
            return name, r.status_code, r.content

    for round_ in range(2):  # the second round runs on the connections the first one opened
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            results = list(pool.map(read, objs))
        bad = [(n, s, c[:200]) for n, s, c in results if s != 200 or c != objs[n]]
        assert not bad, f"round {round_}: {len(bad)} of {len(results)} wrong: {bad[:3]}"

    kh.wait_until(lambda: etls.list()["ws-many"]["obj_count"] == 2 * len(objs), 10,
                  "every object counted", on_fail=lambda: str(etls.list()))
    for t in etl_cluster.targets:
        log = instance_log(etls, "ws-many", t.node_id())
        opened = log.count("ws open (open:")
        assert 1 <= max_open(log) <= POOL_SIZE, log[-3000:]
        assert opened <= POOL_SIZE, f"{t.name} opened {opened} websockets:\n{log[-3000:]}"
    check_nodes_alive(etl_cluster)


def test_object_timeout_is_400_and_the_next_object_works(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("wsslow")
    etls.init_ok(ws_msg("ws-slow", marker, obj_timeout="2s"))
    name = "one-kib"
    assert get(etl_cluster, bucket, name, "ws-slow").content == objs[name]

    t0 = time.monotonic()
    r = get(etl_cluster, bucket, name, "ws-slow", args="sleep=5")
    took = time.monotonic() - t0
    assert r.status_code == 400, f"{r.status_code} {r.text[:300]}"
    assert "object timeout" in message(r), r.text
    assert 1.5 < took < 4.5, f"400 after {took:.1f} s"

    # The late reply cannot be matched any more: its connection went, the next object gets a
    # good one (and its own bytes, not the late reply).
    for _ in range(POOL_SIZE + 1):
        r = get(etl_cluster, bucket, name, "ws-slow")
        assert (r.status_code, r.content) == (200, objs[name]), r.text[:300]
    r = get(etl_cluster, bucket, "big/5MiB", "ws-slow")
    assert (r.status_code, r.content) == (200, objs["big/5MiB"]), r.text[:300]

    d = etls.details("ws-slow").json()
    errors = d.get("obj_errors", [])
    assert any(e["ecode"] == 400 and e["obj_name"].endswith("/" + name) for e in errors), d
    assert etls.stage("ws-slow") == "Running"


def test_killed_instance_fails_the_object_on_the_wire_and_aborts_the_etl(etl_cluster, etls,
                                                                         objects):
    bucket, objs = objects
    marker = etl_cluster.marker("wskill")
    etls.init_ok(ws_msg("ws-kill", marker))
    procs = wait_instances(marker, 3)
    name = "big/5MiB"
    victim_target = owner(etl_cluster, bucket, name)
    tid = victim_target.node_id()
    assert get(etl_cluster, bucket, name, "ws-kill").content == objs[name]
    victims = [p for p in procs if target_pid(p) == victim_target.pid]
    assert len(victims) == 1, describe(procs)

    # An object the instance holds (it sleeps on it) when the instance dies.
    answer = {}

    def slow_read():
        t0 = time.monotonic()
        r = get(etl_cluster, bucket, name, "ws-kill", args="sleep=20")
        answer.update(status=r.status_code, text=message(r), took=time.monotonic() - t0)

    reader = threading.Thread(target=slow_read)
    reader.start()
    kh.wait_until(lambda: "args='sleep=20'" in instance_log(etls, "ws-kill", tid), 10,
                  "the instance got the slow object")
    os.kill(victims[0].pid, signal.SIGKILL)
    reader.join(30)
    assert not reader.is_alive()
    assert answer["status"] == 400, answer
    assert "ws://" in answer["text"] and "ws-kill" in answer["text"], answer
    assert answer["took"] < 10, answer

    etls.wait_stage("ws-kill", "Aborted", timeout=10)
    d = etls.details("ws-kill").json()
    assert re.search(r"(status|signal)\D{0,20}\b9\b|SIGKILL", d.get("error", "")), d
    wait_instances(marker, 0, STOP_DEADLINE)
    check_nodes_alive(etl_cluster)
    r = get(etl_cluster, bucket, name, "ws-kill")
    assert r.status_code == 404, r.text

    # It starts again from Aborted, with fresh websockets to the new instances.
    r = etls.post("ws-kill", "start")
    assert r.status_code == 200, r.text
    wait_instances(marker, 3)
    r = get(etl_cluster, bucket, name, "ws-kill")
    assert (r.status_code, r.content) == (200, objs[name]), r.text[:300]


def test_instance_without_websocket_is_400_every_time(etl_cluster, etls, objects):
    """An HTTP-only server behind ws://: the upgrade fails, each object gets a clear 400 at once,
    and a later object tries a fresh connection (nothing hangs, nothing stays broken)."""
    bucket, _ = objects
    marker = etl_cluster.marker("wsnone")
    msg = spec_msg("ws-none", pod("ws-none", echo_command(marker)), comm="ws://")
    msg["support_direct_put"] = True
    etls.init_ok(msg)
    for _ in range(3):
        t0 = time.monotonic()
        r = get(etl_cluster, bucket, "one-kib", "ws-none")
        assert r.status_code == 400, f"{r.status_code} {r.text[:300]}"
        assert "cannot open a ws:// connection to ws://127.0.0.1:" in message(r), r.text
        assert time.monotonic() - t0 < 5
    check_nodes_alive(etl_cluster)


# --- hpush: replaying a PUT the instance could not pass on ------------------------------------


def put_lines(log: str, bucket: str, obj: str) -> list[str]:
    """The statuses http.server logged for PUTs of bucket/obj."""
    return re.findall(rf'"PUT /{re.escape(bucket)}/{re.escape(obj)}(?:\?\S*)? HTTP/1.1" (\d+)',
                      log)


def test_hpush_replays_a_direct_put_transient_503(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("dp503")
    etls.init_ok(ws_msg("dp-retry", marker, comm="hpush://"))
    name = "one-kib"
    tid = owner(etl_cluster, bucket, name).node_id()

    # Two transient 503s, then the answer: the client sees only the 200.
    t0 = time.monotonic()
    r = get(etl_cluster, bucket, name, "dp-retry", args="transient=2")
    took = time.monotonic() - t0
    assert (r.status_code, r.content) == (200, objs[name]), r.text[:300]
    assert took >= 2.5, f"two replays after 1 + 1.5 s (AIS's backoff), answered after {took:.2f} s"
    lines = kh.wait_until(lambda: (p := put_lines(instance_log(etls, "dp-retry", tid), bucket,
                                                  name)) and len(p) >= 3 and p, 10,
                          "three PUTs logged")
    assert lines == ["503", "503", "200"], lines


# AIS's soft-error budget for one object (ext/etl retryConnSoftErr): the PUT and 10 replays,
# 1 s apart at first, then 0.5 s more each time up to 5 s.
SOFT_TRIES = 11
SOFT_BACKOFF = sum(min(1.0 + 0.5 * i, 5.0) for i in range(SOFT_TRIES - 1))


def test_hpush_gives_up_after_ais_soft_retry_budget(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("dp503x")
    etls.init_ok(ws_msg("dp-give-up", marker, comm="hpush://"))
    name, other = "big/5MiB", "one-kib"  # the 5 MiB body is sent again on every replay
    tid = owner(etl_cluster, bucket, name).node_id()
    tid_other = owner(etl_cluster, bucket, other).node_id()

    # Always transient: the PUT and ten replays, then the last answer goes to the client.
    t0 = time.monotonic()
    r = get(etl_cluster, bucket, name, "dp-give-up", args="transient=99", timeout=90)
    took = time.monotonic() - t0
    assert r.status_code == 503, f"{r.status_code} {r.text[:300]}"
    assert "direct put to the next hop failed" in message(r), r.text
    assert f"{SOFT_TRIES} tries" in message(r), r.text
    assert took >= SOFT_BACKOFF - 0.5, f"{SOFT_BACKOFF} s of backoff, answered after {took:.2f} s"
    log = instance_log(etls, "dp-give-up", tid)
    assert put_lines(log, bucket, name) == ["503"] * SOFT_TRIES, log[-3000:]

    # A 503 without the header is the instance's answer, not a reason to replay.
    r = get(etl_cluster, bucket, other, "dp-give-up", args="plain503=1")
    assert r.status_code == 503, f"{r.status_code} {r.text[:300]}"
    log = instance_log(etls, "dp-give-up", tid_other)
    assert put_lines(log, bucket, other) == ["503"], log[-3000:]
    r = get(etl_cluster, bucket, other, "dp-give-up")
    assert (r.status_code, r.content) == (200, objs[other]), r.text[:300]
