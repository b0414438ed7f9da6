"""Fault injection on real kilnd processes (issue #22): a process killed or stopped at the worst
moment, a mountpath that fills up or turns read-only, a client that reads a byte a second.

After each fault: no partial or corrupted object is visible; every object acknowledged before it
reads back byte-exact; a job ends (failed with a clear error, or done) instead of hanging; no
temp file, fd or ETL process is left behind; the cluster serves again with no manual help.
A case that cannot run here skips with the reason.
"""

import signal
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

import faultharness as fh
import kilnharness as kh
from etlharness import etl_procs, owner, target_pid, wait_instances
from offlinejobs import offline_msg, start_ok, status, wait_job

MIB = fh.MIB


def new_bucket(cluster, prefix="f") -> str:
    return kh.create_bucket(cluster.url, f"{prefix}-{uuid.uuid4().hex[:8]}")


def live(cluster):
    return [p.ps for p in [cluster.proxy, *cluster.targets] if p.alive()]


# --- targets and the proxy ----------------------------------------------------------------------


def test_sigkill_target_in_the_middle_of_a_large_put_then_restart(launcher):
    cluster = launcher.cluster(1)
    bucket = new_bucket(cluster)
    acked = fh.payloads(10, "acked-")
    fh.put_all(cluster.url, bucket, acked)
    path = kh.obj_path(bucket, "big.bin") + "?provider=ais"
    first = kh.raw_request(cluster.url, "PUT", path, headers={"Content-Length": str(512 * MIB)},
                           timeout=10)
    assert first.status_code == 307, first.text
    target = cluster.target_for_url(first.headers["Location"])
    body = fh.SlowBody(512 * MIB, after=32)
    put = fh.put_in_thread(first.headers["Location"], body)
    assert body.started.wait(30), "the PUT never got 32 MiB out"
    assert fh.temp_files([target.tmp_dir]), "the body in flight is not in the mountpath's tmp/"
    target.kill()
    put["thread"].join(30)
    assert "error" in put or put.get("status", 200) != 200, f"the cut PUT was acknowledged: {put}"

    target = cluster.restart_target(target)
    fh.assert_intact(cluster, bucket, acked)
    r = fh.get(cluster.url, bucket, "big.bin")
    assert r.status_code == 404, f"a cut PUT is visible: {r.status_code}, {len(r.content)} B"
    fh.assert_no_temp_files([target.tmp_dir])
    assert len(kh.listening_ports(target.ps)) == 1
    fh.put_ok(cluster.url, bucket, "after.bin", b"serves again")


def test_sigstop_target_is_dropped_after_the_keepalive_timeout_and_rejoins(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    bucket = new_bucket(cluster)
    acked = fh.payloads(30, "acked-", size=8 * 1024)
    fh.put_all(cluster.url, bucket, acked)
    victim = cluster.targets[1]
    vid = victim.node_id()
    victim.send(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        kh.wait_until(lambda: vid not in cluster.smap()["tmap"], 20,
                      "the stopped target dropped from the map", on_fail=cluster.log_tails)
        dropped_after = time.monotonic() - t0
        assert dropped_after < 15, f"dropped only after {dropped_after:.1f} s"
        assert cluster.proxy.alive()
        # Meanwhile the proxy still answers (health, the map) without hanging on the lost node.
        assert requests.get(f"{cluster.url}/v1/health", timeout=5).status_code == 200
    finally:
        victim.send(signal.SIGCONT)
    cluster.wait_joined(victim, timeout=30)
    fh.assert_intact(cluster, bucket, acked, timeout=60)
    fh.assert_no_temp_files([t.tmp_dir for t in cluster.targets])
    fh.put_ok(cluster.url, bucket, "after.bin", b"serves again")


def slow_reader(url: str, path: str, seconds: int) -> tuple[bytes, int]:
    """A GET that reads one byte a second for `seconds` seconds (a tiny receive buffer)."""
    u = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(10)
    sock.connect((u.hostname, u.port))
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\n\r\n".encode())
    got = b""
    try:
        for _ in range(seconds):
            got += sock.recv(1)
            time.sleep(1)
    finally:
        sock.close()
    return got, len(got)


def test_a_client_reading_one_byte_a_second_does_not_stall_others(launcher):
    cluster = launcher.cluster(1)
    bucket = new_bucket(cluster)
    big = fh.payloads(1, "big-", size=8 * MIB)
    small = fh.payloads(20, "small-", size=4096)
    fh.put_all(cluster.url, bucket, {**big, **small})
    target = cluster.targets[0]
    before = fh.fds(live(cluster))
    path = kh.obj_path(bucket, next(iter(big))) + "?provider=ais"
    # Both legs slow: one on the target (sendfile to a full socket), one on the proxy (its
    # redirect answer, read a byte at a time), plus a PUT whose body trickles in.
    import concurrent.futures as cf
    with cf.ThreadPoolExecutor(3) as pool:
        slow = [pool.submit(slow_reader, target.url, path, 5),
                pool.submit(slow_reader, cluster.url, path, 5),
                pool.submit(trickle_put, target.url, bucket, 5)]
        time.sleep(0.5)
        worst = 0.0
        for i in range(40):
            name = f"small-{i % 20:03d}.bin"
            t0 = time.monotonic()
            r = fh.get(cluster.url, bucket, name, timeout=5)
            worst = max(worst, time.monotonic() - t0)
            assert r.status_code == 200 and r.content == small[name]
            fh.put_ok(cluster.url, bucket, f"meanwhile-{i}.bin", b"x" * 100)
        results = [f.result(timeout=30) for f in slow]
    assert worst < 1.0, f"a GET took {worst:.2f} s while a slow client was connected"
    assert [r[0] for r in results[:2]] == [b"HTTP/", b"HTTP/"], results
    fh.assert_intact(cluster, bucket, {**big, **small,
                                       **{f"meanwhile-{i}.bin": b"x" * 100 for i in range(40)}})
    fh.assert_no_temp_files([target.tmp_dir])
    fh.assert_fds_settle(live(cluster), before)


def trickle_put(url: str, bucket: str, seconds: int) -> int:
    """A PUT straight to a target whose 100-byte body comes a byte a second, then hangs up."""
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=10) as sock:
        sock.sendall(f"PUT {kh.obj_path(bucket, 'trickle.bin')}?provider=ais HTTP/1.1\r\n"
                     f"Host: {u.netloc}\r\nContent-Length: 100\r\n\r\n".encode())
        for _ in range(seconds):
            sock.sendall(b"t")
            time.sleep(1)
    return seconds


# --- mountpaths that fill up or turn read-only -------------------------------------------------


@pytest.fixture
def tmpfs_cluster(launcher, tmp_path):
    """A proxy and one target whose only mountpath is a 16 MiB tmpfs."""
    reason = fh.can_mount()
    if reason:
        pytest.skip(reason)
    mnt = tmp_path / "mnt"
    with fh.small_tmpfs(mnt, 16):
        cluster = launcher.cluster(0)
        t = kh.Target(tmp_path / "t1", cluster.base, cluster.proxy.url, name="target-1",
                      extra=[*cluster.keepalive, "--mountpath", mnt])
        cluster._all.append(t)
        cluster.targets = [t]
        cluster.wait_joined(t)
        yield cluster, mnt
        cluster.close()


def assert_ais_error(r, statuses) -> str:
    assert r.status_code in statuses, f"{r.status_code}: {r.text[:300]}"
    body = r.json()
    assert body["status"] == r.status_code and body["message"], body
    return body["message"]


def test_a_mountpath_that_fills_up(tmpfs_cluster):
    cluster, mnt = tmpfs_cluster
    bucket = new_bucket(cluster)
    acked = fh.payloads(4, "acked-", size=2 * MIB)
    fh.put_all(cluster.url, bucket, acked)
    r = requests.put(cluster.url + kh.obj_path(bucket, "too-big.bin"), params={"provider": "ais"},
                     data=b"z" * (12 * MIB), timeout=30)
    message = assert_ais_error(r, (500, 503, 507))
    print(f"PUT onto a full mountpath: {r.status_code} {message}")
    assert "space" in message.lower(), message
    assert fh.get(cluster.url, bucket, "too-big.bin").status_code == 404
    fh.assert_intact(cluster, bucket, acked)
    fh.assert_no_temp_files([mnt / "tmp"])
    # Room again (an object deleted): the same PUT of a smaller body works, no restart needed.
    r = requests.delete(cluster.url + kh.obj_path(bucket, "acked-000.bin"),
                        params={"provider": "ais"}, timeout=10)
    assert r.status_code == 200, r.text
    del acked["acked-000.bin"]
    acked["fits.bin"] = b"f" * (3 * MIB)
    fh.put_ok(cluster.url, bucket, "fits.bin", acked["fits.bin"])
    fh.assert_intact(cluster, bucket, acked)


def test_a_mountpath_that_turns_read_only(tmpfs_cluster):
    cluster, mnt = tmpfs_cluster
    bucket = new_bucket(cluster)
    acked = fh.payloads(4, "acked-", size=256 * 1024)
    fh.put_all(cluster.url, bucket, acked)
    fh.remount(mnt, "ro")
    try:
        r = requests.put(cluster.url + kh.obj_path(bucket, "ro.bin"), params={"provider": "ais"},
                         data=b"r" * 4096, timeout=30)
        message = assert_ais_error(r, (500, 503, 507))
        print(f"PUT onto a read-only mountpath: {r.status_code} {message}")
        assert "read-only" in message.lower(), message
        fh.assert_intact(cluster, bucket, acked)  # reads still work
    finally:
        fh.remount(mnt, "rw")
    assert fh.get(cluster.url, bucket, "ro.bin").status_code == 404
    fh.assert_no_temp_files([mnt / "tmp"])
    acked["rw.bin"] = b"w" * 4096
    fh.put_ok(cluster.url, bucket, "rw.bin", acked["rw.bin"])
    fh.assert_intact(cluster, bucket, acked)


# --- ETL instances and targets during transforms -----------------------------------------------

QUICK = 10.0  # seconds: a clear answer after an ETL fault comes well within this
ETL_OBJECTS = {f"e{i:02d}.bin": bytes([i]) * (128 * 1024 + i) for i in range(24)}


@pytest.fixture(scope="module")
def esrc(etl_cluster):
    kh.create_bucket(etl_cluster.url, "esrc")
    fh.put_all(etl_cluster.url, "esrc", ETL_OBJECTS)
    return "esrc"


def instance_of(cluster, etl: str, target) -> "psutil.Process":
    needle = f"{cluster.tag}-{etl}-"
    found = [p for p in etl_procs(needle) if target_pid(p) == target.pid]
    assert len(found) == 1, f"instances of {etl} on {target.name}: {found}"
    return found[0]


def inline_get(cluster, obj: str, etl: str, timeout: float = 30):
    """(status or the exception's name, body, seconds)."""
    t0 = time.monotonic()
    try:
        r = fh.get(cluster.url, "esrc", obj, timeout=timeout, etl_name=etl)
        return r.status_code, r.content, time.monotonic() - t0
    except requests.RequestException as e:
        return type(e).__name__, b"", time.monotonic() - t0


def strike_later(delay: float, fn):
    import threading
    t = threading.Timer(delay, fn)
    t.start()
    return t


def assert_not_a_silent_success(outcome, expected: bytes):
    status, body, took = outcome
    assert status != 200 or body == expected, f"a cut transform answered 200 with {len(body)} B"
    assert took < QUICK + 5, f"the client waited {took:.1f} s"


def test_sigkill_etl_process_mid_stream(etl_cluster, etls, esrc):
    etl = "killed-mid"
    etls.init_ok(offline_msg(etl_cluster, etl, "--delay", "3"))
    obj = "e05.bin"
    target = owner(etl_cluster, esrc, obj)
    inst = instance_of(etl_cluster, etl, target)
    strike_later(1.0, inst.kill)
    outcome = inline_get(etl_cluster, obj, etl)
    print(f"GET while the instance was killed: {outcome[0]} after {outcome[2]:.1f} s")
    assert outcome[0] != 200, f"the transform of a killed instance answered 200 ({outcome[2]:.1f} s)"
    assert_not_a_silent_success(outcome, ETL_OBJECTS[obj])
    # The next GET: a clear error at once (the ETL is aborted with the exit), or the right bytes.
    status, body, took = inline_get(etl_cluster, obj, etl)
    print(f"next GET: {status} after {took:.1f} s: {body[:200]!r}")
    assert took < QUICK, f"the next GET took {took:.1f} s"
    if status != 200:
        assert isinstance(status, int) and status >= 400, status
        assert etl in body.decode(errors="replace"), body[:300]
    else:
        assert body == ETL_OBJECTS[obj]
    fh.assert_intact(etl_cluster, esrc, ETL_OBJECTS)


def test_sigstop_etl_process_fails_the_get_within_the_object_timeout(etl_cluster, etls, esrc):
    etl = "hung-etl"
    etls.init_ok(offline_msg(etl_cluster, etl, obj_timeout="3s"))
    obj = "e07.bin"
    target = owner(etl_cluster, esrc, obj)
    other = next(n for n in ETL_OBJECTS if owner(etl_cluster, esrc, n).pid != target.pid)
    inst = instance_of(etl_cluster, etl, target)
    inst.suspend()
    try:
        status, body, took = inline_get(etl_cluster, obj, etl)
        print(f"GET through a stopped instance: {status} after {took:.1f} s: {body[:200]!r}")
        assert isinstance(status, int) and status >= 400, (status, took)
        assert took < QUICK, f"a hung transformer held the GET {took:.1f} s (obj_timeout 3 s)"
        text = body.decode(errors="replace")
        assert etl in text and "time" in text.lower(), text[:300]
        # The other targets' instances keep serving meanwhile.
        status, body, _ = inline_get(etl_cluster, other, etl)
        assert status == 200 and body == ETL_OBJECTS[other]
    finally:
        inst.resume()
    fh.assert_intact(etl_cluster, esrc, ETL_OBJECTS)


def test_sigkill_target_during_an_inline_transform(etl_cluster, etls, esrc):
    etl = "target-dies"
    etls.init_ok(offline_msg(etl_cluster, etl, "--delay", "3"))
    obj = "e09.bin"
    target = owner(etl_cluster, esrc, obj)
    strike_later(1.0, target.kill)
    assert_not_a_silent_success(inline_get(etl_cluster, obj, etl), ETL_OBJECTS[obj])
    fh.assert_no_orphaned_etl(etl_cluster.tag)
    target = etl_cluster.restart_target(target)
    fh.assert_intact(etl_cluster, esrc, ETL_OBJECTS, timeout=60)
    fh.assert_no_temp_files([t.tmp_dir for t in etl_cluster.targets])
    # The ETL serves again on every target (the restarted one included) with no manual step.
    wait_etl_serves_everywhere(etl_cluster, esrc, etl)


def wait_etl_serves_everywhere(cluster, bucket: str, etl: str, timeout: float = 45) -> None:
    """Until an inline GET of an object of each target answers the right bytes."""
    for t in cluster.targets:
        obj = next(n for n in ETL_OBJECTS if owner(cluster, bucket, n).pid == t.pid)
        kh.wait_until(lambda: inline_get(cluster, obj, etl)[:2] == (200, ETL_OBJECTS[obj]),
                      timeout, f"{etl} transforms {obj} on {t.name}", interval=0.3,
                      on_fail=cluster.log_tails)


def test_sigkill_target_during_an_offline_job_then_rerun(etl_cluster, etls, esrc):
    etl = "offline-victim"
    etls.init_ok(offline_msg(etl_cluster, etl, "--delay", "0.4"))
    jid = start_ok(etl_cluster.url, esrc, {"id": etl}, dst="edst-kill")
    victim = etl_cluster.targets[2]
    time.sleep(0.8)
    victim.kill()
    st = wait_job_despite_a_dead_node(etl_cluster, jid)
    print(f"job after its target was killed: aborted={st['aborted']} err={st['err']!r}")
    fh.assert_no_orphaned_etl(etl_cluster.tag)
    victim = etl_cluster.restart_target(victim)
    fh.assert_intact(etl_cluster, esrc, ETL_OBJECTS, timeout=60)
    # Whatever the destination lists is whole; a run ended without error wrote everything.
    done = {n: ETL_OBJECTS[n] for n in kh.wait_until(
        lambda: fh.list_names(etl_cluster.url, "edst-kill") or [None], 30, "listing")
        if n is not None}
    fh.assert_intact(etl_cluster, "edst-kill", done, timeout=60)
    if not st["aborted"] and not st["err"]:
        assert sorted(done) == sorted(ETL_OBJECTS), f"a job ended OK without {set(ETL_OBJECTS) - set(done)}"
    # Resumable: the same job again, on the healed cluster, completes the destination.
    # (A job started while the rejoined target's instance still starts aborts at once with
    # "ETL ... is starting on this target; try again shortly": wait for every instance first.)
    wait_etl_serves_everywhere(etl_cluster, esrc, etl)
    jid = start_ok(etl_cluster.url, esrc, {"id": etl}, dst="edst-kill")
    st = wait_job(etl_cluster, jid, timeout=60)
    assert not st["aborted"] and not st["err"], st
    fh.assert_intact(etl_cluster, "edst-kill", ETL_OBJECTS, timeout=30)
    fh.assert_no_temp_files([t.tmp_dir for t in etl_cluster.targets])


def wait_job_despite_a_dead_node(cluster, jid: str) -> dict:
    def ended():
        st = status(cluster.url, jid)
        return st if st["end_time"] > 0 else None

    st = kh.wait_until(ended, 60, f"job {jid} ends after a target died", interval=0.2,
                       on_fail=cluster.log_tails)
    if st["aborted"] or st["err"]:
        assert st["err"] or st.get("abort-err"), f"failed with no error text: {st}"
    return st


def test_proxy_restart_during_an_offline_job(etl_cluster, etls, esrc):
    etl = "proxy-restart"
    etls.init_ok(offline_msg(etl_cluster, etl, "--delay", "0.4"))
    jid = start_ok(etl_cluster.url, esrc, {"id": etl}, dst="edst-proxy")
    time.sleep(0.8)
    port = etl_cluster.proxy.port
    etl_cluster.proxy.kill()
    etl_cluster.start_proxy(port=port)
    etl_cluster.wait_targets(3)
    r = requests.get(f"{etl_cluster.url}/v1/cluster", params={"what": "status"},
                     json={"ID": jid, "Kind": "", "DaemonID": "", "Bck": None, "Buckets": None},
                     timeout=30)
    print(f"the restarted proxy on the job: {r.status_code} {r.text[:200]}")
    if r.status_code == 200:
        st = wait_job_despite_a_dead_node(etl_cluster, jid)
        if not st["aborted"] and not st["err"]:
            fh.assert_intact(etl_cluster, "edst-proxy", ETL_OBJECTS, timeout=30)
    else:  # the new proxy does not know the job: it says so clearly
        assert r.status_code == 404 and jid in r.text, f"{r.status_code} {r.text[:300]}"
    fh.assert_intact(etl_cluster, esrc, ETL_OBJECTS)
    # The ETL is still known to the restarted proxy and serves.
    wait_etl_serves_everywhere(etl_cluster, esrc, etl, timeout=30)
    fh.assert_no_temp_files([t.tmp_dir for t in etl_cluster.targets])
