"""ETL helpers for the integration suite: the messages an init takes (pod spec, code, runtime
image), the proxy's /v1/etl API, the instances as processes, and the cluster whose targets keep
their venvs in the test run. The fixtures over them (`etl_cluster`, `api`, `etls`, `sdk`) are in
conftest.py.

The instances are the small servers in etl_servers/. Every instance command line carries a
marker unique to the test, so psutil can tell which of them are alive; `make_etl_cluster` fails
if any instance outlives the cluster.
"""

import base64
import json
import re
import time
import uuid
from pathlib import Path

import psutil
import requests
import yaml
from aistore.sdk import Client
from aistore.sdk.retry_config import RetryConfig
from tenacity import Retrying, stop_after_attempt, wait_fixed
from urllib3.util.retry import Retry

import kilnharness as kh

SERVERS = Path(__file__).resolve().parent / "etl_servers"
ECHO = SERVERS / "echo_server.py"
WS_SERVER = SERVERS / "ws_echo_server.py"
MD5_SERVER = SERVERS / "md5_server.py"
XID_RE = re.compile(r"^etl-[0-9A-Za-z_-]+$")
INIT_TIMEOUT = 120  # client timeout of an init request (the server's own limit is in the message)
STOP_DEADLINE = 15.0  # an instance gets SIGTERM, then SIGKILL after a grace of a few seconds

# Seed 004, "Simplified flow": transform(input_bytes) -> bytes.
MD5_CODE = """import hashlib


def transform(input_bytes):
    md5 = hashlib.md5()
    md5.update(input_bytes)
    return md5.hexdigest().encode()
"""

# Seed 004, "Simplified flow with input/output", corrected: the seed iterates over the bytes of
# stdin (`for chunk in sys.stdin.buffer.read()` yields ints, and md5.update(int) raises).
MD5_IO_CODE = """import hashlib
import sys

md5 = hashlib.md5()
for chunk in iter(lambda: sys.stdin.buffer.read(65536), b""):
    md5.update(chunk)
sys.stdout.buffer.write(md5.hexdigest().encode())
"""


def b64(data) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def message(r) -> str:
    """The error message of an AIS JSON error body (or the raw text)."""
    try:
        return r.json()["message"]
    except (ValueError, KeyError, TypeError):
        return r.text


# --- messages ---------------------------------------------------------------------------------


def echo_command(marker: str, *extra) -> list[str]:
    # `--port 8000` is the containerPort: the local runtime rewrites it to the port it picked.
    return ["python3", str(ECHO), "--port", "8000", "--marker", marker, *[str(e) for e in extra]]


def ws_command(marker: str, *extra) -> list[str]:
    # The same for etl_servers/ws_echo_server.py.
    return ["python3", str(WS_SERVER), "--port", "8000", "--marker", marker, *extra]


def pod(name: str, command: list[str], comm: str | None = None, wait_timeout: str | None = None,
        limits: dict | None = None) -> dict:
    """A Kubernetes Pod as seed 000/004 describe it: one container, port `default`, probe."""
    container = {
        "name": "server",
        "image": "python:3.11",
        "ports": [{"name": "default", "containerPort": 8000}],
        "command": command,
        "readinessProbe": {"httpGet": {"path": "/health", "port": "default"}},
    }
    if limits:
        container["resources"] = {"limits": limits}
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [container]}}
    annotations = {}
    if comm:
        annotations["communication_type"] = comm
    if wait_timeout:
        annotations["wait_timeout"] = wait_timeout
    if annotations:
        doc["metadata"]["annotations"] = annotations
    return doc


def pod_yaml(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


def spec_msg(name: str, doc_or_yaml, comm: str = "hpush://", init_timeout: str = "45s") -> dict:
    text = doc_or_yaml if isinstance(doc_or_yaml, str) else pod_yaml(doc_or_yaml)
    return {"name": name, "communication": comm, "init_timeout": init_timeout,
            "obj_timeout": "30s", "spec": b64(text)}


def echo_spec_msg(name: str, marker: str, comm: str = "hpush://", **kw) -> dict:
    return spec_msg(name, pod(name, echo_command(marker)), comm=comm, **kw)


def code_msg(name: str, code: str, comm: str, deps: str | None = None,
             init_timeout: str = "45s") -> dict:
    msg = {"name": name, "communication": comm, "runtime": "python3.11v2", "code": b64(code),
           "init_timeout": init_timeout, "obj_timeout": "30s"}
    if deps is not None:
        msg["dependencies"] = b64(deps)
    return msg


def etl_spec_msg(name: str, command: list[str], comm: str = "hpush://", image="python:3.11",
                 resources: dict | None = None) -> dict:
    msg = {"name": name, "communication": comm, "init_timeout": "45s", "obj_timeout": "30s",
           "runtime": {"image": image, "command": command}}
    if resources:
        msg["resources"] = resources
    return msg


# --- the ETL API --------------------------------------------------------------------------------


class EtlApi:
    """The proxy's /v1/etl endpoints, one method each; nothing here asserts."""

    def __init__(self, url: str):
        self.url = url
        self.http = requests.Session()

    def init(self, msg: dict):
        return self.http.put(f"{self.url}/v1/etl", json=msg, timeout=INIT_TIMEOUT)

    def init_ok(self, msg: dict) -> str:
        t0 = time.monotonic()
        r = self.init(msg)
        assert r.status_code == 200, (
            f"init {msg['name']}: {r.status_code} {r.text} after {time.monotonic() - t0:.1f} s")
        xid = r.text.strip()
        assert XID_RE.match(xid), f"init {msg['name']} answered {r.text!r}, not an xaction id"
        return xid

    def list(self) -> dict:
        r = self.http.get(f"{self.url}/v1/etl", timeout=30)
        assert r.status_code == 200, r.text
        return {e["id"]: e for e in r.json()}

    def details(self, name: str):
        return self.http.get(f"{self.url}/v1/etl/{name}", timeout=30)

    def post(self, name: str, action: str):
        return self.http.post(f"{self.url}/v1/etl/{name}/{action}", timeout=INIT_TIMEOUT)

    def delete(self, name: str):
        return self.http.delete(f"{self.url}/v1/etl/{name}", timeout=INIT_TIMEOUT)

    def get(self, name: str, what: str):
        return self.http.get(f"{self.url}/v1/etl/{name}/{what}", timeout=30)

    def stage(self, name: str) -> str | None:
        entry = self.list().get(name)
        return entry and entry["stage"]

    def wait_stage(self, name: str, stage: str, timeout: float = 15.0) -> dict:
        return kh.wait_until(lambda: (e := self.list().get(name)) and e["stage"] == stage and e,
                             timeout, f"ETL {name} listed {stage}",
                             on_fail=lambda: json.dumps(self.list()))

    def inline(self, bucket: str, obj: str, name: str, param: str = "etl_name", **kw):
        return self.http.get(self.url + kh.obj_path(bucket, obj),
                             params={"provider": "ais", param: name}, timeout=60, **kw)


def put_object(url: str, bucket: str, name: str, data: bytes) -> None:
    r = requests.put(url + kh.obj_path(bucket, name), params={"provider": "ais"}, data=data,
                     timeout=60)
    assert r.status_code == 200, f"PUT {bucket}/{name}: {r.status_code} {r.text}"


def owner(cluster, bucket: str, obj: str) -> kh.Target:
    """The target the proxy redirects a GET of bucket/obj to."""
    r = requests.get(cluster.url + kh.obj_path(bucket, obj), params={"provider": "ais"},
                     allow_redirects=False, timeout=10)
    assert r.status_code == 301, f"GET {bucket}/{obj} via the proxy: {r.status_code} {r.text}"
    return cluster.target_for_url(r.headers["Location"])


# --- processes ------------------------------------------------------------------------------------


def etl_procs(*needles: str) -> list[psutil.Process]:
    """Live ETL processes whose command line contains one of needles: not kilnd, and not the
    bubblewrap processes that hold a sandboxed instance (their command line names it too)."""
    found = []
    for p in psutil.process_iter(["pid", "ppid", "cmdline", "status"]):
        cmd = p.info["cmdline"] or []
        if not cmd or Path(cmd[0]).name in ("kilnd", "bwrap") \
                or p.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        line = " ".join(cmd)
        if any(n in line for n in needles):
            found.append(p)
    return found


def target_pid(p: psutil.Process) -> int:
    """The kilnd process an ETL process belongs to: its parent, or, sandboxed, the parent of the
    bubblewrap processes around it. 0 when there is none (it was orphaned)."""
    try:
        for parent in p.parents():
            if Path(parent.exe()).name == "kilnd":
                return parent.pid
    except psutil.Error:
        pass
    return 0


def describe(procs) -> str:
    out = []
    for p in procs:
        try:
            out.append(f"{p.pid} (target {target_pid(p)}): {' '.join(p.cmdline())}")
        except psutil.Error:
            out.append(f"{p.pid}: exited")
    return "\n".join(out) or "(none)"


def wait_instances(needle: str, count: int, timeout: float = 15.0) -> list[psutil.Process]:
    """Waits until exactly `count` processes carry needle (0: all gone)."""
    procs = []

    def exact():
        nonlocal procs
        procs = etl_procs(needle)
        return len(procs) == count

    try:
        kh.wait_until(exact, timeout, f"{count} process(es) with {needle!r} in the command line")
    except TimeoutError as e:
        raise AssertionError(f"{e}\nfound:\n{describe(procs)}") from None
    return procs


def instances_by_parent(needle: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for p in etl_procs(needle):
        try:
            out.setdefault(target_pid(p), []).append(p.pid)
        except psutil.Error:
            pass
    return out


# --- the cluster ----------------------------------------------------------------------------------


class EtlCluster(kh.Cluster):
    """kh.Cluster whose targets keep their ETL venvs in a folder of this test run, so a
    dependency install really runs pip and leaves nothing in the user's cache."""

    def __init__(self, base: Path, targets: int, venv_dir: Path, config: Path | None = None):
        self.venv_dir = venv_dir
        self.config = config  # a kilnd.yaml for the targets (etl.images, etl.containers)
        self.tag = f"kiln-etl-{uuid.uuid4().hex[:10]}"
        super().__init__(base, targets)

    def start_target(self, data: Path, name: str, wait: bool = True) -> kh.Target:
        config = ["--config", self.config] if self.config else []
        t = kh.Target(data, self.base, self.proxy.url, name=name,
                      extra=[*self.keepalive, "--venv-dir", self.venv_dir, *config])
        return self.adopt(t, wait)

    def marker(self, label: str) -> str:
        """A unique word to put on an instance's command line."""
        return f"{self.tag}-{label}-{uuid.uuid4().hex[:6]}"

    def target_ids(self) -> set[str]:
        return set(self.smap()["tmap"])


def make_etl_cluster(tmp_path_factory, label: str):
    base = tmp_path_factory.mktemp(label)
    c = EtlCluster(base / "cluster", 3, base / "venvs")
    try:
        yield c
    finally:
        c.close()
        # Every instance is a child of a target: none may outlive the targets (test 11).
        needles = (c.tag, str(base))
        try:
            kh.wait_until(lambda: not etl_procs(*needles), STOP_DEADLINE,
                          "every ETL instance gone after the cluster stopped")
        except TimeoutError:
            left = etl_procs(*needles)
            text = describe(left)
            for p in left:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            raise AssertionError(f"ETL instances outlived the cluster:\n{text}") from None



def check_nodes_alive(cluster) -> None:
    """Fails with the node's log if a kilnd of the cluster died (a crash, not a test's stop)."""
    for node in [cluster.proxy, *cluster.targets]:
        node.check_alive()


def cleanup_etls(cluster, api) -> None:
    """Deletes every ETL a test left behind and checks that their instances went with them."""
    check_nodes_alive(cluster)
    for name in api.list():
        r = api.delete(name)
        assert r.status_code == 200, f"DELETE {name}: {r.status_code} {r.text}"
    assert api.list() == {}
    wait_instances(cluster.tag, 0, STOP_DEADLINE)



# --- the SDK --------------------------------------------------------------------------------------


def quick_sdk(url: str) -> Client:
    """The official SDK's client, retrying a 5xx once: its default policy replays a 5xx for
    ~90 s, and a Kiln bug should fail fast instead."""
    retry = RetryConfig(
        http_retry=Retry(total=1, backoff_factor=0.1, status_forcelist=[429, 500, 502, 503, 504],
                         connect=0, read=0),
        network_retry=Retrying(stop=stop_after_attempt(2), wait=wait_fixed(0.2), reraise=True),
    )
    return Client(url, timeout=(3, 60), retry_config=retry)
