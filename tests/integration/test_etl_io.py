"""io:// ETLs (issue #20): each object's process is started ahead of its object, and code ETLs
fork it from one warm interpreter per target (kiln_io_forkserver.py). The contract stays one
process per object, reading stdin to EOF, with the object's own etl_args."""

import os
import re
import signal
import sys

import psutil
import pytest
import requests

import kilnharness as kh
from etlharness import (
    SERVERS,
    code_msg,
    etl_procs,
    etl_spec_msg,
    owner,
    put_object,
    target_pid,
    wait_instances,
)

PID_IO_CODE = """import os
import sys

sys.stdin.buffer.read()
# A process of its own: what one object's run leaves in the process, the next never sees.
seen = os.environ.get("KILN_TEST_SEEN", "fresh")
os.environ["KILN_TEST_SEEN"] = "seen"
sys.stdout.write(f"{os.getpid()} {os.getppid()} {seen} {os.environ.get('ETL_ARGS', '-')}")
"""



@pytest.fixture(scope="module")
def objects(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "etlio")
    put_object(etl_cluster.url, bucket, "obj", b"x" * 1000)
    return bucket, "obj"


def get(cluster, bucket: str, obj: str, etl: str, args: str | None = None):
    params = {"provider": "ais", "etl_name": etl}
    if args is not None:
        params["etl_args"] = args
    r = requests.get(cluster.url + kh.obj_path(bucket, obj), params=params, timeout=60)
    assert r.status_code == 200, r.text
    return r.text


def test_io_objects_run_in_fresh_processes_forked_by_one_server(etl_cluster, etls, objects):
    """io:// code: every object gets a new process (its own pid, nothing left by the object
    before it, its own etl_args), forked by the target's fork server; a killed server aborts the
    ETL as a killed instance does, and it starts again."""
    bucket, obj = objects
    name = "io-fresh"
    etls.init_ok(code_msg(name, PID_IO_CODE, "io://"))
    victim = owner(etl_cluster, bucket, obj)
    # Before any object, the server alone (the processes it forks have its command line).
    (server,) = etl_procs(str(victim.data / "etl" / name) + "/")
    assert "kiln_io_forkserver.py" in " ".join(server.cmdline())
    answers = [get(etl_cluster, bucket, obj, name, f"arg {i}" if i % 2 else None).split(" ", 3)
               for i in range(6)]
    assert len({int(a[0]) for a in answers}) == 6, answers
    assert all(a[2] == "fresh" for a in answers), answers
    assert [a[3] for a in answers] == ["-", "arg 1", "-", "arg 3", "-", "arg 5"], answers
    # Sandboxed, the pids are the sandbox's own: the parent is the same one for every object.
    assert len({a[1] for a in answers}) == 1, answers

    os.kill(server.pid, signal.SIGKILL)
    etls.wait_stage(name, "Aborted", timeout=10)
    error = etls.details(name).json().get("error", "")
    assert re.search(r"(status|signal)\D{0,20}\b9\b|SIGKILL", error), error
    r = etls.post(name, "start")
    assert r.status_code == 200, r.text
    assert get(etl_cluster, bucket, obj, name).split(" ")[2] == "fresh"
    assert etls.delete(name).status_code == 200


def waiting(cluster, target, marker: str) -> set[str]:
    """The stdout sockets of the marker's processes of this target that wait for an object (as
    pid_io.py names its own)."""
    out = set()
    for p in etl_procs(marker):
        try:
            if target_pid(p) == target.pid:
                out.add(os.readlink(f"/proc/{p.pid}/fd/1"))
        except (OSError, psutil.Error):
            pass
    return out


def test_io_processes_are_started_ahead_of_their_objects(etl_cluster, etls, objects):
    """An io:// program's process for the next object is started before that object comes, and
    that very process answers it; an object with etl_args gets one of its own (ETL_ARGS is in the
    environment from the start); a stopped ETL leaves no process waiting."""
    bucket, obj = objects
    name = "io-warm"
    marker = etl_cluster.marker("warm")
    program = [sys.executable, str(SERVERS / "pid_io.py"), marker]
    etls.init_ok(etl_spec_msg(name, program, comm="io://"))
    target = owner(etl_cluster, bucket, obj)
    assert not waiting(etl_cluster, target, marker), "a process started before any object"

    first = get(etl_cluster, bucket, obj, name).split("|")[0]
    assert first.startswith("socket:["), first
    ahead = kh.wait_until(lambda: waiting(etl_cluster, target, marker), 10,
                          "a process waiting for the next object")
    assert first not in ahead
    for _ in range(3):
        out, args, size = get(etl_cluster, bucket, obj, name).split("|")
        assert out in ahead and (args, size) == ("-", "1000")
        ahead = kh.wait_until(lambda: waiting(etl_cluster, target, marker), 10,
                              "a process waiting for the next object")
    out, args, size = get(etl_cluster, bucket, obj, name, "an arg").split("|")
    assert out not in ahead and (args, size) == ("an arg", "1000")

    # No object for a while: nothing waits (IdleDrain, 10 s).
    kh.wait_until(lambda: not waiting(etl_cluster, target, marker), 20,
                  "no process waiting once the objects stopped coming")
    first = get(etl_cluster, bucket, obj, name).split("|")[0]
    kh.wait_until(lambda: waiting(etl_cluster, target, marker), 10,
                  "a process waiting for the next object")
    r = etls.post(name, "stop")
    assert r.status_code == 200, r.text
    wait_instances(marker, 0)
    assert etls.delete(name).status_code == 200
