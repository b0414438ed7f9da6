"""The local runtime's sandbox (etl.sandbox, on by default) with a real kilnd target and real ETL
code: user code cannot read the target's objects by path, cannot write outside its own folder,
is stopped at its memory limit, is held to its CPU limit (a cgroup of its own), and the target
goes on serving. An ETL that asks for objects by path (arg_type fqn) reads them, read-only."""

import base64
import os
import shutil
import time
from pathlib import Path

import psutil
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
    wait_instances,
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


# An hpush server that, once up, forks four children that spin on the CPU for as long as it runs:
# four cores' worth of demand, so that unlimited they take well over the limit even on a busy
# two-core machine. The marker names its processes.
SPIN = """
import http.server, os
# MARKER
for _ in range(4):
    if os.fork() == 0:
        while True:
            pass
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"Running")
http.server.ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"""


def cgroup_dir(pid: int) -> Path | None:
    """The folder of the kiln- cgroup that holds the CPU limit of a process, if it is in one."""
    mounts = [line.split() for line in Path("/proc/self/mounts").read_text().splitlines()]
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "/kiln-" not in path:
            continue
        for m in mounts:
            v2 = m[2] == "cgroup2" and controllers == ""
            v1 = m[2] == "cgroup" and "cpu" in m[3].split(",") and "cpu" in controllers.split(",")
            if v2 or v1:
                return Path(m[1] + path)
    return None


def cpu_seconds(procs) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def test_code_over_its_cpu_limit_is_held_to_it_and_the_target_serves_on(cluster, etls):
    bucket = "sandbox-spin"
    kh.create_bucket(cluster.url, bucket)
    put_object(cluster.url, bucket, "obj", b"still served")
    marker = cluster.marker("cpu-spin")
    doc = pod("cpu-spin", ["python3", "-c", SPIN.replace("MARKER", marker)],
              limits={"cpu": "200m"})
    etls.init_ok(spec_msg("cpu-spin", doc))
    r = etls.get("cpu-spin", "logs")
    assert r.status_code == 200, r.text
    logs = base64.b64decode(r.json()[0]["logs"]).decode(errors="replace")
    said = [line for line in logs.splitlines() if line.startswith("kiln: CPU limit")]
    assert len(said) == 1, logs[-2000:]  # the instance says how its limit is applied
    if not said[0].startswith("kiln: CPU limit 0.2 cores: cgroup "):
        pytest.skip(f"no writable cgroup with a cpu controller for kilnd here ({said[0]})")

    procs = wait_instances(marker, 5)  # the server and its four spinners
    cg = cgroup_dir(procs[0].pid)
    assert cg is not None and cg.is_dir(), Path(f"/proc/{procs[0].pid}/cgroup").read_text()
    assert all(cgroup_dir(p.pid) == cg for p in procs)

    time.sleep(1)  # past the first period's burst
    before, t0 = cpu_seconds(procs), time.monotonic()
    served = []
    while time.monotonic() - t0 < 4:
        r = requests.get(f"{cluster.url}{kh.obj_path(bucket, 'obj')}", timeout=5)
        served.append((r.status_code, r.content))
        time.sleep(0.2)
    cores = (cpu_seconds(procs) - before) / (time.monotonic() - t0)
    print(f"\n{said[0]}\nthe ETL's processes used {cores:.3f} cores over 4 s")
    assert cores <= 0.3, f"the ETL used {cores:.2f} cores with a limit of 0.2"
    assert cores > 0.05, f"the spinners hardly ran ({cores:.2f} cores): nothing was measured"
    assert set(served) == {(200, b"still served")} and len(served) >= 10, served[:5]
    check_nodes_alive(cluster)

    assert etls.delete("cpu-spin").status_code == 200
    wait_instances(marker, 0)
    kh.wait_until(lambda: not cg.exists(), 10, f"cgroup {cg} removed with the ETL")
