"""ETL control plane on a real cluster (a proxy and three targets, each running ETL instances as
local child processes): init in its three message forms and the seed-era aliases, the name rule
and spec validation, two-phase init failures, stop / start / delete, logs, health and metrics.

The instances are the small servers in etl_servers/; the messages, the ETL API and the process
helpers are in etlharness.py, the `etl_cluster` / `api` / `etls` fixtures in conftest.py.
"""

import base64
import re
import time

import pytest
import requests

import kilnharness as kh
from etlharness import (
    ECHO,
    INIT_TIMEOUT,
    MD5_CODE,
    MD5_IO_CODE,
    STOP_DEADLINE,
    XID_RE,
    code_msg,
    describe,
    echo_command,
    echo_spec_msg,
    etl_procs,
    etl_spec_msg,
    message,
    pod,
    pod_yaml,
    put_object,
    spec_msg,
    wait_instances,
)


@pytest.fixture(scope="module")
def ebucket(etl_cluster):
    return kh.create_bucket(etl_cluster.url, "etlctl")


# --- tests: init forms ----------------------------------------------------------------------------


def test_etl_spec_form_runs_the_command_with_port_and_target_url(etl_cluster, etls, ebucket):
    """Form (a): runtime.image + command; `$(PORT)` expands, AIS_TARGET_URL lets hpull fetch."""
    marker = etl_cluster.marker("spec")
    cmd = ["python3", str(ECHO), "--port", "$(PORT)", "--marker", marker]
    xid = etls.init_ok(etl_spec_msg("echo-etlspec", cmd, comm="hpull://"))
    procs = wait_instances(marker, 3)
    assert all("$(PORT)" not in " ".join(p.cmdline()) for p in procs), describe(procs)
    data = b"runtime.image form \x00\xff" * 100
    put_object(etl_cluster.url, ebucket, "spec/obj", data)
    r = etls.inline(ebucket, "spec/obj", "echo-etlspec")
    assert r.status_code == 200, r.text
    assert r.content == data
    entry = etls.list()["echo-etlspec"]
    assert entry["stage"] == "Running" and entry["xaction_id"] == xid
    d = etls.details("echo-etlspec").json()
    assert d["init_msg"]["runtime"]["image"] == "python:3.11"
    assert d["init_msg"]["runtime"]["command"] == cmd
    assert d["init_msg"]["communication"] == "hpull://"


def test_seed_era_init_yaml_honours_annotations(etl_cluster, etls, ebucket):
    """POST /v1/etl/init with the raw pod YAML; comm type and init timeout from annotations,
    the name from metadata.name; GET /v1/etl/list; ?uuid= inline; DELETE /v1/etl/stop/NAME."""
    marker = etl_cluster.marker("seedinit")
    text = pod_yaml(pod("seed-init-yaml", echo_command(marker), comm="hpull://",
                        wait_timeout="40s"))
    r = requests.post(f"{etl_cluster.url}/v1/etl/init", data=text.encode(),
                      headers={"Content-Type": "application/x-yaml"}, timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    xid = r.text.strip()
    assert XID_RE.match(xid), r.text
    msg = etls.details("seed-init-yaml").json()["init_msg"]
    assert msg["name"] == "seed-init-yaml"
    assert msg["communication"] == "hpull://"
    assert msg["init_timeout"] == "40s"
    assert base64.b64decode(msg["spec"]).decode() == text

    r = requests.get(f"{etl_cluster.url}/v1/etl/list", timeout=30)
    assert r.status_code == 200, r.text
    listed = {e["id"]: e for e in r.json()}
    assert listed["seed-init-yaml"]["stage"] == "Running"
    assert listed["seed-init-yaml"]["xaction_id"] == xid

    data = bytes(range(256)) * 41
    put_object(etl_cluster.url, ebucket, "seed/uuid", data)
    r = etls.inline(ebucket, "seed/uuid", "seed-init-yaml", param="uuid")
    assert r.status_code == 200, r.text
    assert r.content == data

    wait_instances(marker, 3)
    r = requests.delete(f"{etl_cluster.url}/v1/etl/stop/seed-init-yaml", timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    assert etls.stage("seed-init-yaml") == "Aborted"
    wait_instances(marker, 0, STOP_DEADLINE)


def test_seed_era_init_takes_the_name_from_the_query(etl_cluster, etls, ebucket):
    marker = etl_cluster.marker("seedq")
    doc = pod("ignored", echo_command(marker))
    del doc["metadata"]["name"]
    r = requests.post(f"{etl_cluster.url}/v1/etl/init", params={"name": "seed-query"},
                      data=pod_yaml(doc).encode(), timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    msg = etls.details("seed-query").json()["init_msg"]
    assert msg["communication"] == "hpush://"
    put_object(etl_cluster.url, ebucket, "seed/q", b"query named")
    r = etls.inline(ebucket, "seed/q", "seed-query")
    assert (r.status_code, r.content) == (200, b"query named")


def test_seed_era_build_with_id(etl_cluster, etls, ebucket):
    """POST /v1/etl/build: the code message with "id" for the name (seed 000's curl)."""
    msg = code_msg("seed-build", MD5_CODE, "hpush://")
    msg["id"] = msg.pop("name")
    r = requests.post(f"{etl_cluster.url}/v1/etl/build", json=msg, timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    assert XID_RE.match(r.text.strip()), r.text
    assert etls.list()["seed-build"]["stage"] == "Running"
    data = b"some text :)\n"  # seed 004's object
    put_object(etl_cluster.url, ebucket, "transform/shard.in", data)
    r = etls.inline(ebucket, "transform/shard.in", "seed-build")
    assert r.status_code == 200, r.text
    assert r.content == b"393c6706efb128fbc442d3f7d084a426"  # the seed's expected output


# --- tests: name rule and validation ------------------------------------------------------------

VALID_NAMES = {
    "six characters": "abcdef",
    "twenty characters": "Abcdefghij0123456789",
    "underscores": "etl_under_score",
    "mixed case and hyphen": "MixedCase-Etl",
    "AIS rule: leading digit": "1abcdef",
    "AIS rule: 32 characters": "abcdefghij-abcdefghij-0123456789",
}

LENGTH_RULE = re.compile(r"6\D{1,6}20")  # "6 to 20", "6-20", "6..20"
START_RULE = re.compile(r"start.*letter", re.I)
CHARS_RULE = re.compile(r"letters.*digits.*_.*-", re.I)
INVALID_NAMES = {
    "five characters": ("abcde", LENGTH_RULE),
    "twenty-one characters": ("Abcdefghij0123456789x", LENGTH_RULE),
    "leading digit, upper case": ("1Abcdef", START_RULE),
    "leading hyphen": ("-abcdef", START_RULE),
    "dot": ("etl.name", CHARS_RULE),
    "space": ("etl name", CHARS_RULE),
}


@pytest.mark.parametrize("name", VALID_NAMES.values(), ids=VALID_NAMES.keys())
def test_valid_name_is_accepted(etls, name):
    etls.init_ok(code_msg(name, MD5_IO_CODE, "io://"))
    assert etls.list()[name]["stage"] == "Running"
    assert etls.details(name).json()["init_msg"]["name"] == name


@pytest.mark.parametrize("name,rule", INVALID_NAMES.values(), ids=INVALID_NAMES.keys())
def test_invalid_name_is_rejected_naming_the_rule(etls, name, rule):
    r = etls.init(code_msg(name, MD5_IO_CODE, "io://"))
    assert r.status_code == 400, r.text
    assert rule.search(message(r)), f"the message does not state the rule: {message(r)}"
    assert name in message(r)
    assert etls.list() == {}


def test_duplicate_name_is_409_in_any_stage(etl_cluster, etls):
    etls.init_ok(code_msg("dup-name", MD5_IO_CODE, "io://"))
    for again in (code_msg("dup-name", MD5_CODE, "hpush://"),
                  echo_spec_msg("dup-name", etl_cluster.marker("dup"))):
        r = etls.init(again)
        assert r.status_code == 409, r.text
        assert "etl job dup-name already exists" in message(r)
    assert etls.post("dup-name", "stop").status_code == 200
    r = etls.init(code_msg("dup-name", MD5_IO_CODE, "io://"))
    assert r.status_code == 409, r.text
    assert "etl job dup-name already exists" in message(r)
    assert etls.stage("dup-name") == "Aborted"
    assert etl_procs(etl_cluster.tag) == []


@pytest.mark.parametrize("method,path", [
    ("GET", "no-such-etl"),
    ("POST", "no-such-etl/stop"),
    ("POST", "no-such-etl/start"),
    ("DELETE", "no-such-etl"),
    ("GET", "no-such-etl/logs"),
    ("GET", "no-such-etl/health"),
    ("GET", "no-such-etl/metrics"),
])
def test_unknown_etl_is_404(etl_cluster, method, path):
    r = requests.request(method, f"{etl_cluster.url}/v1/etl/{path}", timeout=30)
    assert r.status_code == 404, r.text
    assert "etl job no-such-etl" in message(r)


def test_start_while_running_is_400(etls):
    xid = etls.init_ok(code_msg("start-twice", MD5_IO_CODE, "io://"))
    r = etls.post("start-twice", "start")
    assert r.status_code == 400, r.text
    assert "can't start ETL[start-twice] during Running stage" in message(r)
    entry = etls.list()["start-twice"]
    assert (entry["stage"], entry["xaction_id"]) == ("Running", xid)


def _two_containers(doc):
    c = dict(doc["spec"]["containers"][0], name="second")
    doc["spec"]["containers"].append(c)


def _no_image(doc):
    del doc["spec"]["containers"][0]["image"]


def _port_name(doc):
    doc["spec"]["containers"][0]["ports"][0]["name"] = "http"


def _node_affinity(doc):
    doc["spec"]["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}}}


def _no_probe(doc):
    del doc["spec"]["containers"][0]["readinessProbe"]


def _probe_port(doc):
    # Not "default" and not the container's port (8000) either.
    doc["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] = "http"


BAD_SPECS = {
    "missing image": (_no_image, "spec.containers[0].image"),
    "two containers": (_two_containers, "spec.containers"),
    "port not named default": (_port_name, "spec.containers[0].ports[0].name"),
    "nodeAffinity": (_node_affinity, "spec.affinity.nodeAffinity"),
    "no readiness probe": (_no_probe, "spec.containers[0].readinessProbe"),
    "probe port not default": (_probe_port, "spec.containers[0].readinessProbe.httpGet.port"),
}


@pytest.mark.parametrize("mutate,field", BAD_SPECS.values(), ids=BAD_SPECS.keys())
def test_bad_pod_spec_is_400_naming_the_field(etl_cluster, etls, mutate, field):
    marker = etl_cluster.marker("badspec")
    doc = pod("bad-spec", echo_command(marker))
    mutate(doc)
    r = etls.init(spec_msg("bad-spec", doc))
    assert r.status_code == 400, r.text
    # The field itself, not one of its children ("spec.containers", not "spec.containers[0]").
    assert re.search(re.escape(field) + r"(?![\w.\[])", message(r)), \
        f"{field} not named in: {message(r)}"
    assert "bad-spec" not in etls.list()
    assert etl_procs(marker) == []


def test_unknown_comm_type_is_400(etl_cluster, etls):
    r = etls.init(echo_spec_msg("bad-comm", etl_cluster.marker("comm"), comm="hfoo://"))
    assert r.status_code == 400, r.text
    assert "hfoo" in message(r)
    assert "bad-comm" not in etls.list()


@pytest.mark.parametrize("form", ["pod spec", "etl-spec"])
def test_image_that_cannot_run_locally_is_400(etl_cluster, etls, form):
    cmd = ["nginx", "-g", "daemon off;"]
    if form == "pod spec":
        doc = pod("nginx-etl", cmd)
        doc["spec"]["containers"][0]["image"] = "nginx:latest"
        msg = spec_msg("nginx-etl", doc)
    else:
        msg = etl_spec_msg("nginx-etl", cmd, image="nginx:latest")
    t0 = time.monotonic()
    r = etls.init(msg)
    assert r.status_code == 400, r.text
    text = message(r)
    assert "nginx:latest" in text and "cannot run" in text and "local" in text, text
    assert time.monotonic() - t0 < 10
    assert etls.stage("nginx-etl") in (None, "Aborted")


# --- tests: failed init -------------------------------------------------------------------------


def test_container_exiting_at_start_fails_init_fast(etl_cluster, etls, ebucket):
    """One target's instance exits at start, the other two start fine: init fails with that
    exit, naming that target, well within wait_timeout, and all three are gone."""
    marker = etl_cluster.marker("exit")
    victim = sorted(etl_cluster.target_ids())[0]
    doc = pod("exits-start", echo_command(marker, "--exit-at-start", 3, "--only-on-target", victim),
              wait_timeout="30s")
    t0 = time.monotonic()
    r = etls.init(spec_msg("exits-start", doc, init_timeout="30s"))
    elapsed = time.monotonic() - t0
    assert r.status_code == 400, r.text
    assert elapsed < 10, f"init failed after {elapsed:.1f} s, the instance exited at once"
    text = message(r)
    assert "status 3" in text, text
    assert f"echo server {marker}: giving up at start with status 3" in text, text
    assert victim in text, f"target {victim} not named: {text}"
    assert etls.stage("exits-start") == "Aborted"
    wait_instances(marker, 0, STOP_DEADLINE)
    assert etls.details("exits-start").status_code in (200, 404)

    r = etls.delete("exits-start")
    assert r.status_code == 200, r.text
    assert "exits-start" not in etls.list()
    marker2 = etl_cluster.marker("reuse")
    etls.init_ok(echo_spec_msg("exits-start", marker2))
    wait_instances(marker2, 3)
    put_object(etl_cluster.url, ebucket, "reuse", b"name reused")
    r = etls.inline(ebucket, "reuse", "exits-start")
    assert (r.status_code, r.content) == (200, b"name reused")


@pytest.mark.parametrize("form", ["PUT init_timeout", "seed-era wait_timeout annotation"])
def test_never_ready_fails_after_the_init_timeout(etl_cluster, etls, form):
    marker = etl_cluster.marker("unready")
    doc = pod("never-ready", echo_command(marker, "--health-status", 500), wait_timeout="3s")
    t0 = time.monotonic()
    if form == "PUT init_timeout":
        r = etls.init(spec_msg("never-ready", doc, init_timeout="3s"))
    else:
        r = requests.post(f"{etl_cluster.url}/v1/etl/init", data=pod_yaml(doc).encode(),
                          timeout=INIT_TIMEOUT)
    elapsed = time.monotonic() - t0
    assert r.status_code == 400, r.text
    assert 2.8 <= elapsed <= 9, f"init failed after {elapsed:.1f} s, the timeout is 3 s"
    assert "ready" in message(r).lower(), message(r)
    assert etls.stage("never-ready") == "Aborted"
    wait_instances(marker, 0, STOP_DEADLINE)


# --- tests: lifecycle ---------------------------------------------------------------------------


def test_stop_start_delete(etl_cluster, etls, ebucket):
    marker = etl_cluster.marker("life")
    xid = etls.init_ok(echo_spec_msg("life-cycle", marker))
    wait_instances(marker, 3)
    data = b"lifecycle \x00 bytes" * 1000
    put_object(etl_cluster.url, ebucket, "life", data)
    assert etls.inline(ebucket, "life", "life-cycle").content == data

    r = etls.post("life-cycle", "stop")
    assert r.status_code == 200, r.text
    entry = etls.list()["life-cycle"]
    assert entry["stage"] == "Aborted"
    wait_instances(marker, 0, STOP_DEADLINE)
    r = etls.inline(ebucket, "life", "life-cycle")
    assert r.status_code == 404, r.text
    assert etls.post("life-cycle", "stop").status_code == 200  # stopping twice is fine

    r = etls.post("life-cycle", "start")
    assert r.status_code == 200, r.text
    xid2 = r.text.strip()
    assert XID_RE.match(xid2) and xid2 != xid, (xid, r.text)
    entry = etls.list()["life-cycle"]
    assert (entry["stage"], entry["xaction_id"]) == ("Running", xid2)
    wait_instances(marker, 3)
    r = etls.inline(ebucket, "life", "life-cycle")
    assert (r.status_code, r.content) == (200, data)

    workdirs = [t.data / "etl" / "life-cycle" for t in etl_cluster.targets]
    assert all(d.is_dir() for d in workdirs), workdirs
    r = etls.delete("life-cycle")
    assert r.status_code == 200, r.text
    assert "life-cycle" not in etls.list()
    assert etls.details("life-cycle").status_code == 404
    wait_instances(marker, 0, STOP_DEADLINE)
    kh.wait_until(lambda: not any(d.exists() for d in workdirs), 10,
                  f"ETL work dirs removed: {workdirs}")
    for t in etl_cluster.targets:
        saved = (t.data / "etl.json").read_text()
        assert "life-cycle" not in saved, f"{t.name} etl.json still holds the ETL: {saved}"
    assert "life-cycle" not in (etl_cluster.proxy.data / "etlmd.json").read_text()
    r = etls.inline(ebucket, "life", "life-cycle")
    assert r.status_code == 404, r.text


# --- tests: logs, health, metrics ---------------------------------------------------------------


def test_logs_health_metrics_answer_for_every_target(etl_cluster, etls):
    marker = etl_cluster.marker("obs")
    etls.init_ok(echo_spec_msg("observe-me", marker))
    wait_instances(marker, 3)
    tids = etl_cluster.target_ids()

    r = etls.get("observe-me", "logs")
    assert r.status_code == 200, r.text
    logs = {e["target_id"]: base64.b64decode(e["logs"]).decode(errors="replace")
            for e in r.json()}
    assert len(r.json()) == 3 and set(logs) == tids, r.text
    for tid, text in logs.items():
        assert re.search(rf"echo server {marker} listening on 127\.0\.0\.1:\d+", text), (tid, text)

    one = sorted(tids)[0]
    r = etls.get("observe-me", f"logs/{one}")
    assert r.status_code == 200, r.text
    assert [e["target_id"] for e in r.json()] == [one]
    assert f"echo server {marker} listening" in base64.b64decode(r.json()[0]["logs"]).decode()
    r = etls.get("observe-me", "logs/nosuchtarget")
    assert r.status_code == 400, r.text
    assert "nosuchtarget" in message(r)

    r = etls.get("observe-me", "health")
    assert r.status_code == 200, r.text
    assert {e["target_id"]: e["health_status"] for e in r.json()} == {t: "Running" for t in tids}

    r = etls.get("observe-me", "metrics")
    assert r.status_code == 200, r.text
    metrics = r.json()
    assert len(metrics) == 3 and {m["target_id"] for m in metrics} == tids, r.text
    for m in metrics:
        assert isinstance(m["mem"], int) and m["mem"] > 0, m
        assert m["cpu"] >= 0, m


@pytest.mark.parametrize("form", ["pod spec", "etl-spec"])
def test_metrics_report_resource_limits(etl_cluster, etls, form):
    marker = etl_cluster.marker("limits")
    limits = {"cpu": "500m", "memory": "256Mi"}
    if form == "pod spec":
        msg = spec_msg("limited-etl", pod("limited-etl", echo_command(marker), limits=limits))
    else:
        msg = etl_spec_msg("limited-etl", echo_command(marker), resources={"limits": limits})
    etls.init_ok(msg)
    wait_instances(marker, 3)
    r = etls.get("limited-etl", "metrics")
    assert r.status_code == 200, r.text
    got = {m["target_id"]: (m["cpu_limit"], m["mem_limit"]) for m in r.json()}
    assert got == {t: (0.5, 268435456) for t in etl_cluster.target_ids()}, r.text
    assert all(m["mem"] > 0 for m in r.json()), r.text


def test_stopped_etl_health_is_not_running(etl_cluster, etls):
    marker = etl_cluster.marker("health")
    etls.init_ok(echo_spec_msg("health-stop", marker))
    assert etls.post("health-stop", "stop").status_code == 200
    wait_instances(marker, 0, STOP_DEADLINE)
    r = etls.get("health-stop", "health")
    assert r.status_code in (200, 404), r.text
    if r.status_code == 200:
        assert all(e["health_status"] != "Running" for e in r.json()), r.text


def test_the_callback_secret_is_per_etl_and_void_once_stopped(etl_cluster, etls, ebucket):
    """An instance reads objects back through AIS_TARGET_URL (<target>/v1/etl/_object/<etl>/
    <secret>): another ETL's secret does not open it, a stop voids it, a start issues a new one."""
    from urllib.parse import quote

    def callback_urls(marker):
        return sorted(p.environ()["AIS_TARGET_URL"] for p in wait_instances(marker, 3))

    def read(base, obj):
        return requests.get(f"{base}/{quote(f'ais/@#/{ebucket}/{obj}', safe='')}", timeout=10)

    put_object(etl_cluster.url, ebucket, "cb/obj", b"callback")
    markers = {n: etl_cluster.marker(n) for n in ("cb-one", "cb-two")}
    for name, marker in markers.items():
        etls.init_ok(spec_msg(name, pod(name, echo_command(marker)), comm="hpull://"))
    one, two = (callback_urls(markers[n]) for n in ("cb-one", "cb-two"))
    owner = next(u for u in one if read(u, "cb/obj").status_code == 200)
    assert read(owner, "cb/obj").content == b"callback"
    # Another ETL's secret on this ETL's path: refused.
    secret_two = two[0].rsplit("/", 1)[1]
    assert read(owner.rsplit("/", 1)[0] + "/" + secret_two, "cb/obj").status_code == 404
    assert etls.post("cb-one", "stop").status_code == 200
    assert read(owner, "cb/obj").status_code == 404
    assert etls.post("cb-one", "start").status_code == 200
    renewed = callback_urls(markers["cb-one"])
    assert set(renewed).isdisjoint(one), "a start issues new secrets"
    assert read(owner, "cb/obj").status_code == 404
    assert any(read(u, "cb/obj").status_code == 200 for u in renewed)
