"""ETL init (AIS's two phases: every target starts its instance, then the proxy commits) under
faults (issue #22): a target SIGKILLed while its instance starts, and the proxy SIGKILLed and
restarted in the middle of an init. Afterwards the ETL is either running on every target or
known nowhere with no instance left behind; never half of each. The cluster serves with no
manual help: a later init of the same name works, or the ETL transforms on every target."""

import threading
import time

import pytest
import requests

import kilnharness as kh
from etlharness import STOP_DEADLINE, echo_command, etl_procs, owner, pod, spec_msg, wait_instances

START_DELAY = 3  # seconds the instance takes to open its port: the init is in flight meanwhile


@pytest.fixture(scope="module")
def bucket(etl_cluster):
    """One object owned by each target: an inline GET of each shows the ETL on every target."""
    name = kh.create_bucket(etl_cluster.url, "finit")
    objects, owners = {}, set()
    for i in range(300):
        obj = f"o{i}"
        t = owner(etl_cluster, name, obj)
        if t.name not in owners:
            owners.add(t.name)
            objects[obj] = b"payload %d " % i * 100
        if len(owners) == len(etl_cluster.targets):
            break
    for obj, data in objects.items():
        r = requests.put(etl_cluster.url + kh.obj_path(name, obj), data=data, timeout=30)
        assert r.status_code == 200, r.text
    return name, objects


def init_in_background(api, msg: dict):
    """The init request on a thread; out gets (status or the exception's name, text)."""
    out = {}

    def run():
        try:
            r = api.init(msg)
            out["answer"] = (r.status_code, r.text)
        except requests.RequestException as e:
            out["answer"] = (type(e).__name__, str(e))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def slow_msg(cluster, name: str) -> tuple[dict, str]:
    marker = cluster.marker(name)
    # A short init timeout: a target drops an init the proxy forgot 10 s past it.
    return spec_msg(name, pod(name, echo_command(marker, "--start-delay", START_DELAY)),
                    init_timeout="10s"), marker


def serves_everywhere(cluster, api, bucket, name: str, timeout: float = 45) -> None:
    bck, objects = bucket
    for obj, data in objects.items():
        kh.wait_until(lambda: (r := api.inline(bck, obj, name)).status_code == 200
                      and r.content == data, timeout, f"{name} transforms {obj}", interval=0.3,
                      on_fail=cluster.log_tails)


def settled(api, name: str, marker: str, targets: int):
    """'running' (listed, Running, one instance per target), 'aborted' (listed as AIS lists a
    failed init, with no instance), 'gone' (not listed, no instance), or None while none."""
    stage = api.stage(name)
    instances = len(etl_procs(marker))
    if stage == "Running" and instances == targets:
        return "running"
    if stage in (None, "Aborted") and instances == 0:
        return "gone" if stage is None else "aborted"
    return None


def start_again(api, name: str, msg: dict, state: str) -> None:
    """After a failed init: `ais etl start` of the aborted ETL, or the same init once more."""
    if state == "aborted":
        r = api.http.post(f"{api.url}/v1/etl/{name}/start", timeout=120)
        assert r.status_code == 200, r.text
    elif state == "gone":
        api.init_ok(msg)


def test_sigkill_of_a_target_while_its_instance_starts(etl_cluster, etls, bucket):
    msg, marker = slow_msg(etl_cluster, "init-kill")
    t, out = init_in_background(etls, msg)
    wait_instances(marker, 3, 15)  # phase one is under way on every target
    victim = etl_cluster.targets[1]
    victim.kill()
    t.join(90)
    assert not t.is_alive(), "the init never answered after a target died"
    status, text = out["answer"]
    print(f"init with a target killed: {status} {text[:300]}")
    if status != 200:
        assert isinstance(status, int) and status >= 400 and text, (status, text)
    # Settles one way: running on the two live targets, or gone with no instance left.
    state = kh.wait_until(lambda: settled(etls, "init-kill", marker, 2), STOP_DEADLINE + 15,
                          "the ETL running on the live targets or gone everywhere",
                          interval=0.3, on_fail=lambda: f"{etls.list()} {etl_procs(marker)}")
    assert (state == "running") == (status == 200), (status, state)
    etl_cluster.restart_target(victim)
    etl_cluster.wait_targets(3)
    start_again(etls, "init-kill", msg, state)  # on the whole cluster again
    wait_instances(marker, 3, 45)
    serves_everywhere(etl_cluster, etls, bucket, "init-kill")


def test_proxy_restart_in_the_middle_of_an_init(etl_cluster, etls, bucket):
    msg, marker = slow_msg(etl_cluster, "init-proxy")
    t, out = init_in_background(etls, msg)
    wait_instances(marker, 3, 15)
    port = etl_cluster.proxy.port
    etl_cluster.proxy.kill()
    t.join(30)
    assert not t.is_alive()
    print(f"the init's client saw: {out['answer'][0]}")
    assert out["answer"][0] != 200
    etl_cluster.start_proxy(port=port)
    etl_cluster.wait_targets(3)
    state = kh.wait_until(lambda: settled(etls, "init-proxy", marker, 3), 60,
                          "the ETL running everywhere or gone everywhere after the restart",
                          interval=0.5, on_fail=lambda: f"{etls.list()} {etl_procs(marker)}")
    print(f"after the proxy restart the ETL is {state}")
    start_again(etls, "init-proxy", msg, state)
    wait_instances(marker, 3, 45)
    serves_everywhere(etl_cluster, etls, bucket, "init-proxy")
    # It stays that way (no late cleanup of a committed ETL, no late start of a forgotten one).
    t0 = time.monotonic()
    kh.holds_for(lambda: settled(etls, "init-proxy", marker, 3) == "running", 3,
                 "the ETL stays running on every target")
    assert time.monotonic() - t0 >= 3
