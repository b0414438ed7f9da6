"""`kilnd cluster`: the supervisor's ready line, its children's lifetime (SIGTERM, SIGKILL of
the supervisor, a crashed child), and its command-line errors.
"""

import os
import re
import signal
import threading
from urllib.parse import urlsplit

import psutil
import pytest
import requests

import kilnharness as kh


def tmp_leftovers(data):
    return [p for p in data.glob("target-*/mp1/tmp/**/*") if p.is_file()]


def test_ready_line_objects_and_sigterm_stops_every_child(kilnd_cluster):
    sup = kilnd_cluster
    line = sup.stdout_path.read_text().splitlines()[0]
    assert re.fullmatch(r"Kiln cluster ready: http://127\.0\.0\.1:(\d+) \(1 proxy, 3 targets; "
                        r"data in (.+)\)", line), line
    port = urlsplit(sup.url).port
    assert port not in (0, 8080)
    smap = kh.get_smap(sup.url)
    assert len(smap["tmap"]) == 3 and len(smap["pmap"]) == 1
    children = sup.snapshot_children()
    assert len(children) == 4, [c.cmdline() for c in children]
    assert sorted(c.cmdline()[1] for c in children) == ["proxy", "target", "target", "target"]

    kh.create_bucket(sup.url, "b")
    data = os.urandom(100_000)
    url = sup.url + kh.obj_path("b", "dir/obj")
    assert requests.put(url, data=data, timeout=30).status_code == 200
    assert requests.get(url, timeout=30).content == data

    # A PUT in flight when the cluster is told to stop: its temporary file must go too.
    r = requests.put(sup.url + kh.obj_path("b", "inflight"), data=b"", allow_redirects=False,
                     timeout=10)
    gate, sending = threading.Event(), threading.Event()

    def body():
        yield b"x" * 1_000_000
        sending.set()
        gate.wait(30)
        yield b"y"

    result = {}

    def put():
        try:
            result["r"] = requests.put(r.headers["Location"], data=body(), timeout=(5, 30))
        except requests.RequestException as e:
            result["r"] = e

    t = threading.Thread(target=put, daemon=True)
    t.start()
    kh.wait_until(sending.is_set, 10, "in-flight PUT started")
    kh.wait_until(lambda: tmp_leftovers(sup.data), 10, "the in-flight PUT's temporary file")

    sup.send(signal.SIGTERM)
    assert sup.wait(kh.STOP_TIMEOUT) == 0, sup.log_tail()
    gone, alive = psutil.wait_procs(children, timeout=5)
    assert not alive, [c.pid for c in alive]
    gate.set()
    t.join(30)
    assert not t.is_alive(), "the in-flight PUT hung after the cluster stopped"
    assert tmp_leftovers(sup.data) == []
    assert not isinstance(result.get("r"), requests.Response) or result["r"].status_code != 200


def test_sigkill_of_the_supervisor_takes_the_children_down(kilnd_cluster):
    sup = kilnd_cluster
    children = sup.snapshot_children()
    assert len(children) == 4
    sup.kill()
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"children outlived a SIGKILLed supervisor: {[c.pid for c in alive]}"


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGSEGV], ids=["sigkill", "sigsegv"])
def test_a_crashed_target_is_restarted_and_its_crash_reported(kilnd_cluster, sig):
    sup = kilnd_cluster
    kh.create_bucket(sup.url, "b")
    url = sup.url + kh.obj_path("b", "obj")
    assert requests.put(url, data=b"survives", timeout=30).ok
    location = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
    owner = next(c for c in sup.snapshot_children()
                 if urlsplit(location).port in kh.listening_ports(c))
    owner.send_signal(sig)
    owner.wait(10)
    # A fatal signal is reported on stderr (through the supervisor's); SIGKILL cannot be.
    def reports():
        return kh.new_fatal_reports() if sig == signal.SIGKILL else (
            [r for r in kh.new_fatal_reports() if f"in pid {owner.pid}" in r] or None)

    found = kh.wait_until(reports, 10, "fatal report", on_fail=sup.log_tail) \
        if sig != signal.SIGKILL else reports()
    if sig == signal.SIGKILL:
        assert found == []
    else:
        assert len(found) == 1 and "signal 11 (SEGV)" in found[0], found
        # Its backtrace comes with it, as functions and source lines (crashreport.py).
        assert "onFatalSignal" in found[0] and "fatalreport.cpp:" in found[0], found[0]

    def replaced():
        kids = sup.snapshot_children()
        return len([k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]) == 4

    kh.wait_until(replaced, 20, "supervisor restarts the killed target", on_fail=sup.log_tail)
    r = kh.wait_until(lambda: (r := requests.get(url, timeout=10)).status_code == 200 and r, 20,
                      "object served again", on_fail=sup.log_tail)
    assert r.content == b"survives"
    assert sup.alive()


def run_kilnd(args, tmp_path, timeout=20):
    p = kh.KilndProcess(args, tmp_path, "cli")
    try:
        code = p.wait(timeout)
    finally:
        p.kill()  # only does something if it hung
    return code, p.stdout_path.read_text(), p.stderr_path.read_text()


@pytest.mark.parametrize("count", ["0", "65", "-1", "three"])
def test_cluster_with_bad_target_count_exits_2(tmp_path, count):
    code, out, err = run_kilnd(["cluster", "--targets", count, "--port", "0", "--data",
                                tmp_path / "data"], tmp_path)
    assert code == 2, (out, err)
    assert "--targets" in err or "targets" in err, err
    assert "ready" not in out


@pytest.mark.parametrize("args, mentions", [
    (["cluster", "--bogus"], "bogus"),
    (["cluster", "--port"], "port"),
    (["cluster", "--port", "http"], "port"),
    (["cluster", "--port", "70000"], "port"),
    (["cluster", "--keepalive-interval", "5s", "--keepalive-timeout", "5s"], "keepalive"),
    (["cluster", "--keepalive-timeout", "soon"], "keepalive-timeout"),
    (["cluster", "extra-positional"], "extra-positional"),
    (["target", "--targets", "3"], "--targets"),
    (["fleet"], "fleet"),
    ([], "role"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_flag_errors_go_to_stderr_and_exit_2(tmp_path, args, mentions):
    if args:  # a data folder, so that nothing could land in the real default one
        args = [args[0], "--data", tmp_path / "data", *args[1:]]
    code, out, err = run_kilnd(args, tmp_path)
    assert code == 2, (code, out, err)
    assert mentions in err, err
    assert out == "", out
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())
