"""Inline transforms through a real cluster: `GET /v1/objects/B/O?etl_name=N` via the proxy,
with ETLs started from a pod spec (an echo server), from code (seed 004's MD5 transform over
hpush, hpull, hrev and io://, one with a pip dependency), and the seed's POST-only MD5 server;
the official SDK reads through them too. Then failures of a running ETL: an instance killed,
a target restarted, a `kilnd cluster` shut down.

Helpers and the cluster fixture come from test_etl_control.py.
"""

import base64
import collections
import hashlib
import os
import re
import signal
import time

import pytest
import requests
from aistore.sdk.etl import ETLConfig

import kilnharness as kh
from etlharness import (
    MD5_CODE,
    MD5_IO_CODE,
    MD5_SERVER,
    STOP_DEADLINE,
    EtlApi,
    check_nodes_alive,
    cleanup_etls,
    code_msg,
    describe,
    echo_command,
    echo_spec_msg,
    etl_procs,
    instances_by_parent,
    make_etl_cluster,
    message,
    owner,
    pod,
    pod_yaml,
    put_object,
    spec_msg,
    target_pid,
    wait_instances,
)

MIB = 1024 * 1024


@pytest.fixture
def own_cluster(tmp_path_factory):
    """A cluster of the test's own, with an empty venv folder."""
    yield from make_etl_cluster(tmp_path_factory, "etlown")


@pytest.fixture(scope="module")
def objects(etl_cluster):
    """Objects of every size that matters, spread over the three targets."""
    bucket = kh.create_bucket(etl_cluster.url, "etlinl")
    objs = {
        "empty": b"",
        "seed/shard.in": b"some text :)\n",
        "dir/with space/\u00fcn\u00efcode.bin": bytes(range(256)) * 300,
        "big/5MiB": os.urandom(5 * MIB),
    }
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    return bucket, objs


def wait_code_instances(cluster, name: str, per_target: int) -> None:
    """Waits until each target runs `per_target` processes of code ETL `name` (its files live
    in the target's data folder, under etl/<name>/)."""
    for t in cluster.targets:
        wait_instances(str(t.data / "etl" / name) + "/", per_target)


def test_pod_spec_echo_hpush_returns_identical_bytes(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("echo")
    doc = pod("echo-hpush", echo_command(marker), comm="hpush://")
    text = pod_yaml(doc)
    msg = spec_msg("echo-hpush", text)
    xid = etls.init_ok(msg)

    procs = wait_instances(marker, 3)
    assert sorted(target_pid(p) for p in procs) == sorted(t.pid for t in etl_cluster.targets), \
        describe(procs)

    for name, data in objs.items():
        r = etls.inline(bucket, name, "echo-hpush")
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:300]}"
        assert len(r.content) == len(data) and r.content == data, name

    total = sum(len(d) for d in objs.values())

    def counted():
        e = etls.list()["echo-hpush"]
        return (e["obj_count"], e["in_bytes"], e["out_bytes"]) == (len(objs), total, total) and e

    entry = kh.wait_until(counted, 10, "list counts every transformed object",
                          on_fail=lambda: str(etls.list()))
    assert (entry["stage"], entry["xaction_id"]) == ("Running", xid)

    r = etls.details("echo-hpush")
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["stage"] == "Running" and d["xaction_id"] == xid
    assert d["init_msg"]["name"] == "echo-hpush"
    assert d["init_msg"]["communication"] == "hpush://"
    assert base64.b64decode(d["init_msg"]["spec"]) == text.encode()

    # One more read counts one more object.
    assert etls.inline(bucket, "seed/shard.in", "echo-hpush").content == objs["seed/shard.in"]
    kh.wait_until(lambda: etls.list()["echo-hpush"]["obj_count"] == len(objs) + 1, 10,
                  "obj_count after one more read", on_fail=lambda: str(etls.list()))


@pytest.mark.parametrize("comm", ["hpush://", "hpull://", "hrev://", "io://"])
def test_md5_code_transform(etl_cluster, etls, objects, sdk, comm):
    """Seed 004 "init code": transform(input_bytes) over each communication type (io:// with the
    stdin/stdout program); the REST GET and the SDK's reader both get the hex digest."""
    bucket, objs = objects
    name = "md5-" + comm[:-3]
    code = MD5_IO_CODE if comm == "io://" else MD5_CODE
    etls.init_ok(code_msg(name, code, comm))
    assert etls.details(name).json()["init_msg"]["communication"] == comm

    for obj, data in objs.items():
        want = hashlib.md5(data).hexdigest().encode()
        r = etls.inline(bucket, obj, name)
        assert r.status_code == 200, f"{obj}: {r.status_code} {r.text[:300]}"
        assert r.content == want, obj
        got = sdk.bucket(bucket).object(obj).get_reader(etl=ETLConfig(name)).read_all()
        assert got == want, f"SDK, {obj}"
    assert objs["seed/shard.in"] == b"some text :)\n"  # seed 004: 393c6706efb128fbc442d3f7d084a426

    if comm == "io://":
        # A process per object, forked by the ETL's fork server: between reads only the server
        # runs, one per target.
        wait_code_instances(etl_cluster, name, 1)
        for t in etl_cluster.targets:
            (server,) = etl_procs(str(t.data / "etl" / name) + "/")
            assert "kiln_io_forkserver.py" in " ".join(server.cmdline())
    else:
        wait_code_instances(etl_cluster, name, 1)
    if comm == "hpull://":
        # The target redirects the client to its own instance, not to a target.
        r = requests.get(etl_cluster.url + kh.obj_path(bucket, "seed/shard.in"),
                         params={"provider": "ais", "etl_name": name}, allow_redirects=False,
                         timeout=10)
        assert r.status_code == 301, r.text
        r = requests.get(r.headers["Location"], allow_redirects=False, timeout=10)
        assert r.status_code == 307, r.text
        location = r.headers["Location"]
        target_ports = {t.port() for t in etl_cluster.targets}
        port = requests.utils.urlparse(location).port
        assert port and port not in target_ports, location
        r = requests.get(location, timeout=30)
        assert (r.status_code, r.content) == (200, b"393c6706efb128fbc442d3f7d084a426")


def objects_on_every_target(cluster, bucket: str, prefix: str, make_data) -> dict:
    """{name: data}, one object owned by each target (names tried in order)."""
    found = {}
    for i in range(300):
        name = f"{prefix}{i}"
        t = owner(cluster, bucket, name)
        if t.name not in found:
            data = make_data(i)
            put_object(cluster.url, bucket, name, data)
            found[t.name] = (name, data)
        if len(found) == len(cluster.targets):
            break
    assert len(found) == len(cluster.targets), found.keys()
    return dict(found.values())


def test_seed_md5_server_with_post_only(etl_cluster, etls, objects):
    """Seed 004 "regular flow": the md5 server from a pod spec, container port 80 on its command
    line, and no do_PUT, so the target pushes with POST. The first object every target pushes
    is 5 MiB: the server answers the PUT with 501 without reading its body."""
    bucket, objs = objects
    big_first = objects_on_every_target(etl_cluster, bucket, "md5srv/big-",
                                        lambda i: os.urandom(5 * MIB + i))
    marker = etl_cluster.marker("md5srv")
    command = ["python3", str(MD5_SERVER), "--listen", "127.0.0.1", "--port", "80",
               "--marker", marker]
    doc = pod("transformer-md5", command)
    doc["spec"]["containers"][0]["ports"][0]["containerPort"] = 80
    etls.init_ok(spec_msg("transformer-md5", doc, comm="hpush://"))
    procs = wait_instances(marker, 3)
    for p in procs:  # `--port 80` became the port the runtime picked
        cmd = p.cmdline()
        assert cmd[cmd.index("--port") + 1] != "80", describe(procs)
    for obj, data in [*big_first.items(), *objs.items()]:
        r = etls.inline(bucket, obj, "transformer-md5")
        assert r.status_code == 200, f"{obj}: {r.status_code} {r.text[:300]}"
        assert r.content == hashlib.md5(data).hexdigest().encode(), obj


def test_code_with_a_dependency_gets_a_venv(own_cluster):
    """The dependency is pip-installed once into a venv the three targets share."""
    etls = EtlApi(own_cluster.url)
    bucket = kh.create_bucket(own_cluster.url, "deps")
    objs = {"seed/shard.in": b"some text :)\n", "empty": b""}
    for name, data in objs.items():
        put_object(own_cluster.url, bucket, name, data)
    code = (
        "import hashlib\n"
        "import six\n\n\n"
        "def transform(input_bytes):\n"
        "    return ('six %s ' % six.__version__).encode() + hashlib.md5(input_bytes).hexdigest().encode()\n"
    )
    t0 = time.monotonic()
    r = etls.init(code_msg("md5-six", code, "hpush://", deps="six==1.16.0\n", init_timeout="240s"))
    took = time.monotonic() - t0
    check_nodes_alive(own_cluster)  # the target that built the venv must still be there
    assert r.status_code == 200, f"{r.status_code} {r.text} after {took:.1f} s"
    for obj in ("seed/shard.in", "empty"):
        r = etls.inline(bucket, obj, "md5-six")
        assert r.status_code == 200, r.text
        assert r.content == b"six 1.16.0 " + hashlib.md5(objs[obj]).hexdigest().encode()
    installed = list(own_cluster.venv_dir.glob("*/lib/python*/site-packages/six.py"))
    assert len(installed) == 1, (installed, f"init took {took:.1f} s")
    # The three targets share one cached venv: a second ETL with the same requirement is quick.
    t0 = time.monotonic()
    etls.init_ok(code_msg("md5-six-2", code, "hpull://", deps="six==1.16.0"))
    assert time.monotonic() - t0 < 10
    r = etls.inline(bucket, "seed/shard.in", "md5-six-2")
    assert r.content == b"six 1.16.0 393c6706efb128fbc442d3f7d084a426", r.text
    assert len(list(own_cluster.venv_dir.glob("*/lib/python*/site-packages/six.py"))) == 1
    cleanup_etls(own_cluster, etls)


def test_killed_instance_aborts_the_etl(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("kill")
    etls.init_ok(echo_spec_msg("kill-me", marker))
    procs = wait_instances(marker, 3)
    obj = "dir/with space/\u00fcn\u00efcode.bin"
    victim_target = owner(etl_cluster, bucket, obj)
    victim_tid = victim_target.node_id()
    r = etls.inline(bucket, obj, "kill-me")
    assert (r.status_code, r.content) == (200, objs[obj])
    victims = [p for p in procs if target_pid(p) == victim_target.pid]
    assert len(victims) == 1, describe(procs)
    # The request line the instance logged last (http.server logs the path as received).
    last_line = kh.wait_until(
        lambda: next((ln for ln in reversed(
            base64.b64decode(etls.get("kill-me", f"logs/{victim_tid}").json()[0]["logs"])
            .decode(errors="replace").splitlines()) if '" 200 ' in ln and "/health" not in ln),
            None),
        10, "the instance logged the transform request")
    os.kill(victims[0].pid, signal.SIGKILL)

    t0 = time.monotonic()
    etls.wait_stage("kill-me", "Aborted", timeout=10)
    assert time.monotonic() - t0 < 10
    d = etls.details("kill-me").json()
    error = d.get("error", "")
    # SIGKILL is signal 9: the message says the instance was killed, and with what.
    assert re.search(r"(status|signal)\D{0,20}\b9\b|SIGKILL", error), d
    assert "kill" in error.lower() or "signal" in error.lower(), d
    request_part = last_line.split('"')[1]  # PUT /bucket/object HTTP/1.1
    assert request_part in error, f"the last log line {last_line!r} is not in: {error}"
    assert victim_tid in error or victim_tid in d.get("target_errors", {}), d
    wait_instances(marker, 0, STOP_DEADLINE)
    r = etls.inline(bucket, obj, "kill-me")
    assert r.status_code == 404, r.text

    # It starts again from Aborted.
    r = etls.post("kill-me", "start")
    assert r.status_code == 200, r.text
    wait_instances(marker, 3)
    r = etls.inline(bucket, obj, "kill-me")
    assert (r.status_code, r.content) == (200, objs[obj])


def test_restarted_target_restores_its_running_etl(etl_cluster, etls, objects):
    bucket, objs = objects
    marker = etl_cluster.marker("restart")
    xid = etls.init_ok(echo_spec_msg("survive-me", marker))
    wait_instances(marker, 3)
    old = etl_cluster.targets[1]
    owned = []
    for i in range(200):
        name = f"restart/{i}"
        data = f"object {i} of the restarted target\n".encode() * (i + 1)
        put_object(etl_cluster.url, bucket, name, data)
        if owner(etl_cluster, bucket, name) is old:
            owned.append((name, data))
        if len(owned) == 3:
            break
    assert len(owned) == 3
    for name, data in owned:
        assert etls.inline(bucket, name, "survive-me").content == data

    old_pid = old.pid
    assert old.stop() == 0, old.log_tail()
    # Its instance went down with it; the other two keep running.
    wait_instances(marker, 2, STOP_DEADLINE)
    assert all(target_pid(p) != old_pid for p in etl_procs(marker))

    new = etl_cluster.restart_target(old)

    def transformed():
        return all(etls.inline(bucket, n, "survive-me").content == d for n, d in owned)

    kh.wait_until(transformed, 30, "inline GETs through the restarted target",
                  on_fail=new.log_tail)
    for name, _ in owned:
        assert owner(etl_cluster, bucket, name).pid == new.pid
    by_parent = instances_by_parent(marker)
    assert {k: len(v) for k, v in by_parent.items()} == {t.pid: 1 for t in etl_cluster.targets}, \
        describe(etl_procs(marker))
    entry = etls.list()["survive-me"]
    assert (entry["stage"], entry["xaction_id"]) == ("Running", xid)
    kh.wait_until(lambda: [e["health_status"] for e in etls.get("survive-me", "health").json()]
                  == ["Running"] * 3, 10, "health Running on the three targets",
                  on_fail=lambda: etls.get("survive-me", "health").text)


def test_restored_instance_gets_no_request_before_it_is_ready(etl_cluster, etls, objects):
    """The restarted target brings its instance back, which takes 3 s to open its port: a GET
    meanwhile must wait for it (200) or say it is not ready yet (503), not fail on the refused
    connection."""
    marker = etl_cluster.marker("slow")
    command = echo_command(marker, "--start-delay", 3)
    etls.init_ok(spec_msg("slow-start", pod("slow-start", command)))
    bucket, _ = objects
    old = etl_cluster.targets[2]
    owned = next((n, d) for n, d in objects_on_every_target(
        etl_cluster, bucket, "slow/", lambda i: b"slow %d" % i).items()
        if owner(etl_cluster, bucket, n) is old)
    assert etls.inline(bucket, owned[0], "slow-start").content == owned[1]
    assert old.stop() == 0, old.log_tail()
    wait_instances(marker, 2, STOP_DEADLINE)
    etl_cluster.restart_target(old)

    answers = []

    def transformed():
        r = etls.inline(bucket, owned[0], "slow-start")
        answers.append((r.status_code, message(r)))
        return r.status_code == 200 and r.content == owned[1]

    kh.wait_until(transformed, 30, "an inline GET through the restarted target", interval=0.2)
    bad = collections.Counter(a for a in answers if a[0] not in (200, 503))
    assert not bad, f"{sum(bad.values())} of {len(answers)} GETs while the instance started: " + \
        "; ".join(f"{n} x {status} {text}" for (status, text), n in bad.items())


def test_cluster_supervisor_shutdown_stops_instances(kilnd_cluster):
    """`kilnd cluster`: an ETL runs under the supervisor's targets and dies with them."""
    api = EtlApi(kilnd_cluster.url)
    marker = f"kiln-etl-supervisor-{os.getpid()}-{time.monotonic_ns()}"
    api.init_ok(echo_spec_msg("echo-super", marker))
    wait_instances(marker, 3)
    bucket = kh.create_bucket(kilnd_cluster.url, "etlsuper")
    data = os.urandom(MIB + 7)
    put_object(kilnd_cluster.url, bucket, "o", data)
    r = api.inline(bucket, "o", "echo-super")
    assert (r.status_code, r.content) == (200, data)
    kilnd_cluster.close()
    wait_instances(marker, 0, STOP_DEADLINE)

