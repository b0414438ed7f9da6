"""ETL images as real containers (issue #10): when Docker or Podman runs on this machine, the local
runtime runs an image as a container of it, with the port published on loopback, the pod's env,
command, args and limits, logs and CPU/memory from the engine, and removes it on stop.

No registry is needed: the test builds a static Go echo server (CGO_ENABLED=0) and imports a
root file system holding only that binary as an image (`<engine> import`). Every test skips,
saying why, when no engine answers or Go is missing; .ci/run starts dockerd when it can.
"""

import base64
import json
import os
import shutil
import subprocess
import tarfile
import time
from pathlib import Path

import pytest
import requests
import yaml

import kilnharness as kh
from etlharness import (
    STOP_DEADLINE,
    EtlCluster,
    message,
    put_object,
)

SOURCE = Path(__file__).resolve().parent / "etl_servers" / "static_echo"
IMAGE = "kiln-test/static-echo:1"


def engine() -> str | None:
    for cli in ("docker", "podman"):
        if shutil.which(cli) is None:
            continue
        ask = (["info", "--format", "{{.Version.Version}}"] if cli == "podman"
               else ["version", "--format", "{{.Server.Version}}"])
        r = subprocess.run([cli, *ask], capture_output=True, text=True, timeout=30)
        if r.returncode == 0 and r.stdout.strip():
            return cli
    return None


ENGINE = engine()
pytestmark = pytest.mark.skipif(
    ENGINE is None, reason="no container engine runs here (docker/podman missing or its "
                           "daemon is down; .ci/run starts dockerd when it is installed)")


def go() -> str | None:
    return shutil.which("go") or (
        "/usr/local/go/bin/go" if os.access("/usr/local/go/bin/go", os.X_OK) else None)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The static echo server as a one-file image, imported from a root file system."""
    gobin = go()
    if gobin is None:
        pytest.skip("Go is not installed: the test image's static server cannot be built")
    base = tmp_path_factory.mktemp("image")
    rootfs = base / "rootfs"
    rootfs.mkdir()
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=mod", GOCACHE=str(base / "gocache"),
               GOPATH=str(base / "gopath"), GOPROXY="off")
    subprocess.run([gobin, "build", "-o", str(rootfs / "echo"), "."], cwd=SOURCE, env=env,
                   check=True, timeout=600)
    tar = base / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(rootfs / "echo", arcname="echo")
    subprocess.run([ENGINE, "import", "--change", 'ENTRYPOINT ["/echo"]', str(tar), IMAGE],
                   check=True, capture_output=True, timeout=120)
    yield IMAGE
    subprocess.run([ENGINE, "rmi", "-f", IMAGE], capture_output=True, timeout=60)


def containers(label: str) -> list[str]:
    r = subprocess.run([ENGINE, "ps", "-aq", "--filter", f"label=kiln.etl={label}"],
                       capture_output=True, text=True, timeout=30, check=True)
    return r.stdout.split()


@pytest.fixture(scope="module")
def etl_cluster(tmp_path_factory, image):
    base = tmp_path_factory.mktemp("etlctr")
    config = base / "kilnd.yaml"
    config.write_text(yaml.safe_dump({"etl": {"containers": ENGINE}}))
    c = EtlCluster(base / "cluster", 2, base / "venvs", config)
    try:
        yield c
    finally:
        c.close()
        # A stopped ETL's containers are gone; none of this module's may be left.
        left = [n for n in ("ctr-echo", "ctr-absent", "ctr-auto") if containers(n)]
        for n in left:
            subprocess.run([ENGINE, "rm", "-f", *containers(n)], capture_output=True, timeout=60)
        assert not left, f"containers outlived the cluster: {left}"


def pod(name: str, image: str, marker: str, limits: dict | None = None) -> str:
    container = {
        "name": "server", "image": image,
        "ports": [{"name": "default", "containerPort": 8000}],
        "command": ["/echo", "-l", "0.0.0.0", "-p", "8000"],
        "env": [{"name": "KILN_TEST_MARKER", "value": marker}],
        "readinessProbe": {"httpGet": {"path": "/health", "port": "default"}},
    }
    if limits:
        container["resources"] = {"limits": limits}
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "annotations": {"kiln.runtime": "container"}},
                           "spec": {"containers": [container]}})


def spec_msg(name: str, text: str) -> dict:
    return {"name": name, "communication": "hpush://", "init_timeout": "60s",
            "obj_timeout": "30s", "spec": base64.b64encode(text.encode()).decode()}


def test_container_runs_the_image_with_env_limits_logs_and_stats(etl_cluster, etls, image):
    bucket = kh.create_bucket(etl_cluster.url, "etlctr")
    objs = {"a.txt": b"hello containers", "bin": os.urandom(300_000)}
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    marker = f"marker-{time.monotonic_ns()}"
    t0 = time.monotonic()
    etls.init_ok(spec_msg("ctr-echo", pod("ctr-echo", image, marker,
                                         {"cpu": "500m", "memory": "64Mi"})))
    init_seconds = time.monotonic() - t0
    ids = containers("ctr-echo")
    assert len(ids) == 2, ids  # one per target
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, "ctr-echo")
        assert (r.status_code, r.content) == (200, data), obj
    r = requests.get(etl_cluster.url + kh.obj_path(bucket, "a.txt"),
                     params={"provider": "ais", "etl_name": "ctr-echo", "etl_args": "upper"},
                     timeout=60)
    assert r.content == b"HELLO CONTAINERS"

    # Limits and the port binding as the engine sees them.
    inspect = subprocess.run([ENGINE, "inspect", ids[0]], capture_output=True, text=True,
                             check=True, timeout=30).stdout
    info = json.loads(inspect)[0]
    assert info["HostConfig"]["NanoCpus"] == 500_000_000
    assert info["HostConfig"]["Memory"] == 64 * 1024 * 1024
    binding = info["HostConfig"]["PortBindings"]["8000/tcp"][0]
    assert binding["HostIp"] == "127.0.0.1", binding
    assert any(e == f"KILN_TEST_MARKER={marker}" for e in info["Config"]["Env"])

    # Logs come from the engine: the server's start line with the marker.
    def logged():
        logs = etls.get("ctr-echo", "logs").json()
        return all(marker in base64.b64decode(e["logs"]).decode(errors="replace")
                   for e in logs) and len(logs) == 2
    kh.wait_until(logged, 15, "the container's start line in every target's logs")

    # CPU and memory from `stats` (the first call starts a sample; it lands within seconds).
    def measured():
        m = etls.get("ctr-echo", "metrics").json()
        return len(m) == 2 and all(e["mem"] > 0 for e in m) and m
    metrics = kh.wait_until(measured, 30, "memory of both containers from the engine", interval=1)
    print(f"\ninit of 2 containers: {init_seconds:.2f} s; metrics: {metrics}")

    r = etls.delete("ctr-echo")
    assert r.status_code == 200, r.text
    kh.wait_until(lambda: not containers("ctr-echo"), STOP_DEADLINE, "containers removed")


def test_image_that_cannot_be_pulled_is_a_clear_400(etl_cluster, etls):
    absent = "kiln-test/absent-image:0"
    t0 = time.monotonic()
    r = etls.init(spec_msg("ctr-absent", pod("ctr-absent", absent, "x")))
    assert r.status_code == 400, r.text
    text = message(r)
    assert absent in text and "pull" in text and "etl.images" in text, text
    print(f"\npull failure answered in {time.monotonic() - t0:.2f} s: {text[:300]}")
    kh.wait_until(lambda: not containers("ctr-absent"), STOP_DEADLINE, "no container left")


def test_image_without_local_way_goes_to_the_engine(etl_cluster, etls, image):
    """No annotation: an image the catalogue does not know runs as a container by itself."""
    bucket = kh.create_bucket(etl_cluster.url, "etlctr2")
    put_object(etl_cluster.url, bucket, "x", b"plain")
    etls.init_ok({"name": "ctr-auto", "communication": "hpush://", "init_timeout": "60s",
                  "runtime": {"image": image, "command": ["/echo", "-p", "8000"]}})
    assert len(containers("ctr-auto")) == 2
    r = etls.inline(bucket, "x", "ctr-auto")
    assert (r.status_code, r.content) == (200, b"plain")
    # The container dies: the ETL is aborted, as a pod watcher would.
    for cid in containers("ctr-auto"):
        subprocess.run([ENGINE, "kill", cid], capture_output=True, timeout=30)
    etls.wait_stage("ctr-auto", "Aborted", timeout=30)
