"""Every communication type against one universal transform: hpush://, hpull:// and hrev:// run
etl_servers/comm_server.py from a pod spec, io:// runs etl_servers/comm_io.py as code; both pick
the transform from etl_args (echo, buffered, upper, md5, fail, sleep, args). Per type: empty and
1 KiB objects, a 64 MiB object read as a stream (answered while it arrives, and after), the
instance's error status and message, the object timeout, etl_args arriving unchanged (form- and
percent-encoded), and 32 inline GETs at once over objects of all targets. Last, an ETL deleted
while an object is in flight.

Each type gets two ETLs: "quick" with obj_timeout 2s (errors, timeouts, small objects) and "big"
with 20s (the 64 MiB object and the concurrent reads, slow on a loaded 2-core machine).
"""

import hashlib
import os
import random
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import psutil
import pytest
import requests

import kilnharness as kh
from etlharness import (
    SERVERS,
    STOP_DEADLINE,
    b64,
    check_nodes_alive,
    describe,
    etl_procs,
    message,
    owner,
    pod,
    put_object,
    spec_msg,
    wait_instances,
)

MIB = 1024 * 1024
COMM_SERVER = SERVERS / "comm_server.py"
COMM_IO = SERVERS / "comm_io.py"
COMMS = ["hpush", "hpull", "hrev", "io"]
BIG = 64 * MIB
CONCURRENCY = 32
QUICK_TIMEOUT = 2.0  # obj_timeout of the quick ETLs, seconds


@dataclass
class Objects:
    bucket: str
    small: dict  # name -> bytes
    big: str
    big_sha256: str
    many: dict  # name -> bytes, owned by all three targets


@pytest.fixture(scope="module")
def objects(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "comm")
    small = {"small/empty": b"", "small/1KiB": os.urandom(1024)}
    for name, data in small.items():
        put_object(etl_cluster.url, bucket, name, data)
    big = os.urandom(BIG)
    put_object(etl_cluster.url, bucket, "big/64MiB", big)
    rnd = random.Random(7)
    many = {f"many/{i:02d}": rnd.randbytes(rnd.randint(1, 256) * 1024) for i in range(CONCURRENCY)}
    for name, data in many.items():
        put_object(etl_cluster.url, bucket, name, data)
    owners = {owner(etl_cluster, bucket, n).name for n in many}
    assert len(owners) == 3, f"{CONCURRENCY} objects on {owners} only"
    return Objects(bucket, small, "big/64MiB", hashlib.sha256(big).hexdigest(), many)


@dataclass
class CommEtls:
    comm: str
    quick: str  # obj_timeout 2s
    big: str  # obj_timeout 20s
    marker: str | None  # on the instances' command lines (spec ETLs)


def comm_msg(name: str, comm: str, obj_timeout: str, marker: str) -> dict:
    if comm == "io":
        return {"name": name, "communication": "io://", "runtime": "python3",
                "code": b64(COMM_IO.read_text()), "obj_timeout": obj_timeout}
    command = ["python3", str(COMM_SERVER), "--port", "8000", "--marker", marker]
    msg = spec_msg(name, pod(name, command), comm=f"{comm}://")
    msg["obj_timeout"] = obj_timeout
    return msg


@pytest.fixture(scope="module", params=COMMS)
def etls(request, etl_cluster, api):
    """The quick and the big ETL of one communication type (deleted after its tests)."""
    comm = request.param
    marker = None if comm == "io" else etl_cluster.marker(comm)
    made = CommEtls(comm, f"quick-{comm}", f"big-{comm}", marker)
    api.init_ok(comm_msg(made.quick, comm, f"{QUICK_TIMEOUT:.0f}s", marker or ""))
    api.init_ok(comm_msg(made.big, comm, "20s", marker or ""))
    if marker:
        wait_instances(marker, 6)
    yield made
    check_nodes_alive(etl_cluster)
    for name in (made.quick, made.big):
        r = api.delete(name)
        assert r.status_code == 200, f"DELETE {name}: {r.status_code} {r.text}"
    if marker:
        wait_instances(marker, 0, STOP_DEADLINE)


def inline(cluster, bucket: str, obj: str, etl: str, args: str | None = None, session=requests,
           **kw):
    params = {"provider": "ais", "etl_name": etl}
    if args is not None:
        params["etl_args"] = args
    kw.setdefault("timeout", 60)
    return session.get(cluster.url + kh.obj_path(bucket, obj), params=params, **kw)


def escaped_uname(bucket: str, obj: str) -> str:
    return "/" + quote(f"ais/@#/{bucket}/{obj}", safe="@")


def instance_pids(marker: str) -> set[int]:
    return {p.pid for p in wait_instances(marker, 6)}


# --- small objects, etl_args ------------------------------------------------------------------


@pytest.mark.parametrize("obj", ["small/empty", "small/1KiB"])
def test_small_object_echo_is_byte_exact(etl_cluster, etls, objects, obj):
    r = inline(etl_cluster, objects.bucket, obj, etls.quick)
    assert r.status_code == 200, f"{etls.comm} {obj}: {r.status_code} {r.text[:300]}"
    data = objects.small[obj]
    assert len(r.content) == len(data) and r.content == data


@pytest.mark.parametrize("args", ["upper", "md5"])
@pytest.mark.parametrize("obj", ["small/empty", "small/1KiB"])
def test_etl_args_choose_the_transform(etl_cluster, etls, objects, obj, args):
    data = objects.small[obj]
    want = data.upper() if args == "upper" else hashlib.md5(data).hexdigest().encode()
    r = inline(etl_cluster, objects.bucket, obj, etls.quick, args)
    assert r.status_code == 200, f"{etls.comm} {obj} {args}: {r.status_code} {r.text[:300]}"
    assert r.content == want


@pytest.mark.parametrize("args", [
    "args",
    "args with spaces & ampersand=equals/slash?q#hash",
    "args %2F%20 already-escaped +plus",
    "args \u00fcn\u00efc\u00f6de \u2603",
])
@pytest.mark.parametrize("encoding", ["form", "percent"])
def test_etl_args_arrive_unchanged(etl_cluster, etls, objects, args, encoding):
    """etl_args=<args> as a form-encoded query (space as `+`, what requests and the SDK send)
    and percent-encoded (space as `%20`): the transform sees the very string."""
    if encoding == "form":
        r = inline(etl_cluster, objects.bucket, "small/1KiB", etls.quick, args)
    else:
        query = f"provider=ais&etl_name={etls.quick}&etl_args={quote(args, safe='')}"
        r = requests.get(etl_cluster.url + kh.obj_path(objects.bucket, "small/1KiB") + "?" + query,
                         timeout=60)
    assert r.status_code == 200, f"{etls.comm} {args!r}: {r.status_code} {r.text[:300]}"
    assert r.content.decode(errors="replace") == args, f"{etls.comm}, sent as {r.request.url}"


# --- 64 MiB ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", ["", "buffered"], ids=["answer while reading", "answer after"])
def test_64mib_object_streams_byte_exact(etl_cluster, etls, objects, args):
    """The instance echoes as it reads (a streaming transform: its answer starts while the object
    is still arriving), or only once it has the whole object."""
    digest, received = hashlib.sha256(), 0
    t0 = time.monotonic()
    with inline(etl_cluster, objects.bucket, objects.big, etls.big, args, stream=True,
                timeout=(5, 60)) as r:
        assert r.status_code == 200, f"{etls.comm}: {r.status_code} {r.text[:300]}"
        for chunk in r.iter_content(MIB):
            digest.update(chunk)
            received += len(chunk)
    took = time.monotonic() - t0
    assert received == BIG, f"{etls.comm}: {received} of {BIG} bytes in {took:.1f} s"
    assert digest.hexdigest() == objects.big_sha256, etls.comm


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("args,status", [("fail", 500), ("fail:422", 422), ("fail:404", 404)])
def test_instance_error_reaches_the_client(etl_cluster, etls, objects, args, status):
    """The client gets the instance's status and, through the target, `ETL error: <its body>`.
    hpull: the client talks to the instance itself, so it gets the instance's own answer.
    io://: a non-zero exit is 500 with the status and the process's stderr."""
    obj = "small/1KiB"
    r = inline(etl_cluster, objects.bucket, obj, etls.quick, args)
    if etls.comm == "io":  # no status of its own: comm_io exits with 3 for every "fail..."
        assert r.status_code == 500, r.text
        assert message(r).startswith("ETL error: "), message(r)
        assert "comm_io: transform failed on purpose" in message(r)
        assert "status 3" in message(r)
    else:
        path = f"/{objects.bucket}/{obj}" if etls.comm == "hpush" else escaped_uname(
            objects.bucket, obj)
        body = f"comm_server: transform failed for {path}"
        assert r.status_code == status, f"{etls.comm}: {r.status_code} {r.text[:300]}"
        if etls.comm == "hpull":
            assert r.text == body
            assert urlsplit(r.url).port not in {t.port() for t in etl_cluster.targets}
        else:
            assert message(r) == f"ETL error: {body}", r.text
    # The ETL keeps serving.
    r = inline(etl_cluster, objects.bucket, obj, etls.quick)
    assert (r.status_code, r.content) == (200, objects.small[obj])


def test_object_timeout_is_400_and_the_etl_keeps_serving(etl_cluster, etls, objects):
    """obj_timeout 2s against a transform that takes 5 s: 400 after about 2 s (AIS's answer when
    the ETL gave no status; the SDK retries a 504, not a 400), naming obj_timeout, and the same ETL
    (the same instance processes) answers the next request."""
    obj = "small/1KiB"
    before = instance_pids(etls.marker) if etls.marker else None
    if etls.comm == "hpull":
        # AIS hpull: the target only redirects; the instance answers the client itself, so no
        # object timeout of the target can apply. The redirect must not wait for the instance.
        t0 = time.monotonic()
        r = requests.get(etl_cluster.url + kh.obj_path(objects.bucket, obj),
                         params={"provider": "ais", "etl_name": etls.quick, "etl_args": "sleep"},
                         allow_redirects=False, timeout=10)
        assert r.status_code == 301, r.text
        r = requests.get(r.headers["Location"], allow_redirects=False, timeout=10)
        assert r.status_code == 307, r.text
        assert time.monotonic() - t0 < QUICK_TIMEOUT
        with pytest.raises(requests.ReadTimeout):
            requests.get(r.headers["Location"], timeout=(5, QUICK_TIMEOUT))
    else:
        t0 = time.monotonic()
        r = inline(etl_cluster, objects.bucket, obj, etls.quick, "sleep", timeout=30)
        took = time.monotonic() - t0
        assert r.status_code == 400, f"{etls.comm}: {r.status_code} after {took:.1f} s: {r.text}"
        assert QUICK_TIMEOUT - 0.2 <= took < QUICK_TIMEOUT + 2.5, f"400 after {took:.1f} s"
        assert "obj_timeout" in message(r), message(r)
    t0 = time.monotonic()
    r = inline(etl_cluster, objects.bucket, obj, etls.quick)
    assert (r.status_code, r.content) == (200, objects.small[obj]), \
        f"{etls.comm} after the timeout: {r.status_code} {r.text[:300]}"
    assert time.monotonic() - t0 < QUICK_TIMEOUT
    if etls.marker:
        after = instance_pids(etls.marker)
        assert after == before, describe(wait_instances(etls.marker, 6))


# --- concurrency -------------------------------------------------------------------------------


def test_32_concurrent_inline_gets_are_byte_exact(etl_cluster, etls, objects):
    names = sorted(objects.many)
    start = threading.Barrier(len(names))
    results = {}

    def read(name):
        with requests.Session() as s:
            start.wait(30)
            try:
                r = inline(etl_cluster, objects.bucket, name, etls.big, session=s, timeout=60)
                results[name] = (r.status_code, hashlib.sha256(r.content).hexdigest(),
                                 len(r.content), r.text[:200] if r.status_code != 200 else "")
            except requests.RequestException as e:
                results[name] = (0, "", 0, repr(e))

    threads = [threading.Thread(target=read, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    bad = []
    for name in names:
        data = objects.many[name]
        got = results.get(name, (None, "", 0, "no answer"))
        if got[:3] != (200, hashlib.sha256(data).hexdigest(), len(data)):
            bad.append(f"{name} ({len(data)} B): {got[0]}, {got[2]} B {got[3]}")
    assert not bad, f"{etls.comm}: {len(bad)} of {len(names)} wrong:\n" + "\n".join(bad)


# --- an ETL deleted under a request ------------------------------------------------------------


def in_flight_procs(cluster, comm: str, name: str, marker: str):
    """The instance processes busy with a request: an io:// process, or a server holding a
    connection besides its listening socket."""
    if comm == "io":
        # The object's process, forked by the fork server (the same command line as the server).
        procs = etl_procs(*(str(t.data / "etl" / name) + "/" for t in cluster.targets))
        servers = {p.pid for p in procs}
        forked = []
        for p in procs:
            try:
                if p.ppid() in servers:
                    forked.append(p)
            except psutil.Error:
                pass
        return forked
    busy = []
    for p in etl_procs(marker):
        try:
            if any(c.status == "ESTABLISHED" for c in p.net_connections(kind="tcp")):
                busy.append(p)
        except psutil.Error:
            pass
    return busy


@pytest.mark.parametrize("comm", ["hrev", "io", "hpush"])
def test_etl_deleted_while_an_object_is_in_flight(etl_cluster, api, objects, comm):
    """DELETE of an ETL whose instance is busy with an inline GET ("sleep": 5 s): the client gets
    an error status, the targets stay up, and no process of the ETL is left. The status: 400 for
    a server that hung up without an answer (AIS's answer when the ETL gave no status, which the
    SDK does not retry), 500 for an io:// program killed mid-object (its exit is its error)."""
    name = f"gone-{comm}"
    marker = etl_cluster.marker(f"gone-{comm}")
    api.init_ok(comm_msg(name, comm, "20s", marker))
    answer = {}

    def read():
        t0 = time.monotonic()
        try:
            r = inline(etl_cluster, objects.bucket, "small/1KiB", name, "sleep", timeout=30)
            answer["got"] = (r.status_code, r.content if r.status_code == 200 else message(r))
        except requests.RequestException as e:
            answer["got"] = (0, repr(e))
        answer["took"] = time.monotonic() - t0

    reader = threading.Thread(target=read)
    reader.start()
    try:
        kh.wait_until(lambda: in_flight_procs(etl_cluster, comm, name, marker), 10,
                      f"{comm}: an instance busy with the GET")
        r = api.delete(name)
        assert r.status_code == 200, f"DELETE {name}: {r.status_code} {r.text}"
    finally:
        reader.join(40)
    check_nodes_alive(etl_cluster)
    assert answer["got"][0] == (500 if comm == "io" else 400), \
        f"{comm}: the client got {answer['got']!r} after {answer['took']:.1f} s"
    kh.wait_until(lambda: not in_flight_procs(etl_cluster, comm, name, marker)
                  and not (comm != "io" and etl_procs(marker)), STOP_DEADLINE,
                  f"{comm}: every process of the deleted ETL gone")
