"""The local runtime's sandbox (etl.sandbox, on by default) with a real kilnd target and real ETL
code: user code cannot read the target's objects by path, cannot write outside its own folder,
is stopped at its memory limit, and the target goes on serving. An ETL that asks for objects by
path (arg_type fqn) reads them, read-only."""

import os
import shutil
from pathlib import Path

import pytest
import requests

import kilnharness as kh
from etlharness import (
    EtlApi,
    EtlCluster,
    check_nodes_alive,
    cleanup_etls,
    code_msg,
    pod,
    put_object,
    spec_msg,
)

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

# The object's bytes name a file; the ETL answers with what it could do to that file.
PROBE = """
def attempt(f):
    try:
        return f()
    except OSError as e:
        return ("denied:" + type(e).__name__).encode()


def transform(data):
    if isinstance(data, str):  # arg_type fqn: the object's path, read from the target's disk
        data = open(data, "rb").read()
    verb, path = data.decode().split(" ", 1)
    if verb == "read":
        return attempt(lambda: b"read:" + open(path, "rb").read())
    return attempt(lambda: b"wrote:%d" % open(path, "w").write("escaped"))
"""

# An hpush server that allocates as many MiB as the object says.
HOG = """
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        self.answer(200, b"Running")
    def do_PUT(self):
        mib = int(self.rfile.read(int(self.headers["Content-Length"])))
        try:
            hog = bytearray(mib << 20)
            self.answer(200, b"allocated %d" % (len(hog) >> 20))
        except MemoryError:
            self.answer(500, b"MemoryError")
    do_POST = do_PUT
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    c = EtlCluster(base / "cluster", 1, base / "venvs")
    yield c
    c.close()


@pytest.fixture
def etls(cluster):
    api = EtlApi(cluster.url)
    yield api
    cleanup_etls(cluster, api)


def object_file(target: kh.Target, bucket: str, name: str) -> Path:
    found = [p for p in Path(target.data).rglob(name) if bucket in str(p) and p.is_file()]
    assert len(found) == 1, f"{bucket}/{name} on disk: {found}"
    return found[0]


def inline(cluster, bucket: str, name: str, etl: str) -> requests.Response:
    return requests.get(f"{cluster.url}{kh.obj_path(bucket, name)}", params={"etl_name": etl},
                        timeout=60)


def ask(cluster, bucket: str, etl: str, request: str) -> bytes:
    put_object(cluster.url, bucket, "probe", request.encode())
    r = inline(cluster, bucket, "probe", etl)
    assert r.status_code == 200, f"{request}: {r.status_code} {r.text[:1500]}"
    return r.content


def test_code_cannot_read_the_targets_objects_or_write_outside_its_folder(cluster, etls, tmp_path):
    bucket = "sandbox-probe"
    kh.create_bucket(cluster.url, bucket)
    secret = os.urandom(32).hex().encode()
    put_object(cluster.url, bucket, "victim", secret)
    victim = object_file(cluster.targets[0], bucket, "victim")
    etls.init_ok(code_msg("probe-etl", PROBE, "hpush://"))

    assert ask(cluster, bucket, "probe-etl", f"read {victim}") == b"denied:FileNotFoundError"
    node_id = Path(cluster.targets[0].data) / "node.id"
    assert ask(cluster, bucket, "probe-etl", f"read {node_id}") == b"denied:FileNotFoundError"
    assert ask(cluster, bucket, "probe-etl", "read /etc/hostname").startswith(b"read:")

    escape = tmp_path / "escaped.txt"
    assert ask(cluster, bucket, "probe-etl", f"write {escape}") == b"denied:FileNotFoundError"
    assert not escape.exists()
    answer = ask(cluster, bucket, "probe-etl", "write /usr/kiln-escaped.txt")
    assert answer.startswith(b"denied:"), answer
    assert not Path("/usr/kiln-escaped.txt").exists()
    assert ask(cluster, bucket, "probe-etl", "write own.txt") == b"wrote:7"

    # The target is untouched and serves on.
    r = requests.get(f"{cluster.url}{kh.obj_path(bucket, 'victim')}", timeout=10)
    assert (r.status_code, r.content) == (200, secret)
    check_nodes_alive(cluster)


def test_code_over_its_memory_limit_fails_clearly_and_the_target_serves_on(cluster, etls):
    bucket = "sandbox-hog"
    kh.create_bucket(cluster.url, bucket)
    doc = pod("mem-hog", ["python3", "-c", HOG], limits={"memory": "128Mi"})
    etls.init_ok(spec_msg("mem-hog", doc))

    put_object(cluster.url, bucket, "small", b"16")
    r = inline(cluster, bucket, "small", "mem-hog")
    assert (r.status_code, r.content) == (200, b"allocated 16")

    put_object(cluster.url, bucket, "big", b"512")
    r = inline(cluster, bucket, "big", "mem-hog")
    assert r.status_code >= 400, (r.status_code, r.content[:200])
    assert b"MemoryError" in r.content, r.content[:300]

    r = inline(cluster, bucket, "small", "mem-hog")  # the instance survived its refusal
    assert (r.status_code, r.content) == (200, b"allocated 16")
    r = requests.get(f"{cluster.url}{kh.obj_path(bucket, 'big')}", timeout=10)
    assert (r.status_code, r.content) == (200, b"512")
    check_nodes_alive(cluster)


def test_an_etl_that_reads_objects_by_path_reads_them_read_only(cluster, etls):
    bucket = "sandbox-fqn"
    kh.create_bucket(cluster.url, bucket)
    data = os.urandom(4096)
    put_object(cluster.url, bucket, "obj", data)
    msg = code_msg("by-path", PROBE, "hpush://")
    msg["argument"] = "fqn"
    etls.init_ok(msg)
    path = object_file(cluster.targets[0], bucket, "obj")
    assert ask(cluster, bucket, "by-path", f"read {path}") == b"read:" + data
    answer = ask(cluster, bucket, "by-path", f"write {path}")
    assert answer.startswith(b"denied:"), answer
    r = requests.get(f"{cluster.url}{kh.obj_path(bucket, 'obj')}", timeout=10)
    assert (r.status_code, r.content) == (200, data)
