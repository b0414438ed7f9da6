"""Targets that leave, with real kilnd processes: SIGTERM sends a target's objects to their new
owners before it exits (then it is out of the map, and returns as a new member); a
decommissioned target exits by itself once empty; a target killed (SIGKILL) in the middle of a
rebalance runs that rebalance again when it restarts, and the job finishes. Every object stays
readable byte-exact throughout (a GET loop in a thread) and afterwards."""

import signal
import time

import requests

import kilnharness as kh
import rebalanceharness as rh



def test_sigterm_moves_every_object_off_before_the_target_exits(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "sigterm")
    leaving = cluster.targets[1]
    sid = leaving.node_id()
    held = [n for n, ts in rh.files_on_disk(cluster, "sigterm").items() if ts == [leaving.name]]
    assert len(held) > 200
    loop = rh.GetLoop(cluster.url, "sigterm", objects)
    loop.start()
    assert leaving.stop() == 0
    # It is out of the map the moment it exits: nobody waits for a keepalive timeout.
    assert sid not in cluster.smap()["tmap"]
    where = rh.check_all_there_once(cluster, "sigterm", objects, loop)
    assert [n for n, ts in where.items() if leaving.name in ts] == []
    assert "left the cluster: every object is with its new owner" in leaving.log_tail(200)
    # It returns as a new member and gets its share back.
    returned = cluster.restart_target(leaving)
    loop = rh.GetLoop(cluster.url, "sigterm", objects)
    loop.start()
    rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "sigterm", objects, loop)
    assert len([n for n, ts in where.items() if ts == [returned.name]]) > 200


def test_sigterm_of_the_last_target_in_placement_exits_at_once(launcher):
    cluster = launcher.cluster(2, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "last", count=200)
    first, last = cluster.targets
    rh.cluster_put(cluster, "start-maintenance", first.node_id())
    rh.wait_rebalanced(cluster)
    # Nowhere to move to: it leaves the map and exits without waiting.
    t0 = time.monotonic()
    assert last.stop() == 0
    assert time.monotonic() - t0 < 5
    assert last.node_id() not in cluster.smap()["tmap"]
    where = rh.files_on_disk(cluster, "last")
    assert sorted(where) == sorted(objects)  # nothing was lost, it is on its disk


def test_sigterm_during_maintenance_returns_in_maintenance(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "maintstop", count=300)
    target = cluster.targets[2]
    sid = target.node_id()
    rh.cluster_put(cluster, "start-maintenance", sid)
    rh.wait_rebalanced(cluster)
    assert target.stop() == 0
    kh.wait_until(lambda: sid not in cluster.smap()["tmap"], 20, "the stopped target drops")
    rh.check_all_there_once(cluster, "maintstop", objects)
    cluster.restart_target(target)
    assert cluster.smap()["tmap"][sid]["flags"] & 4  # an operator's maintenance outlasts a stop
    rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "maintstop", objects)
    assert [n for n, ts in where.items() if target.name in ts] == []


def test_decommissioned_target_exits_once_empty(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "decomm")
    target = cluster.targets[0]
    sid = target.node_id()
    loop = rh.GetLoop(cluster.url, "decomm", objects)
    loop.start()
    rh.cluster_put(cluster, "decommission-node", sid)
    assert target.wait(40) == 0
    assert sid not in cluster.smap()["tmap"]
    where = rh.check_all_there_once(cluster, "decomm", objects, loop)
    assert [n for n, ts in where.items() if target.name in ts] == []
    assert "decommissioned: exiting" in target.log_tail(50)


def test_shutdown_node_moves_objects_off_then_stops_it_and_it_returns_in_maintenance(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "shutdown")
    target = cluster.targets[0]
    sid = target.node_id()
    loop = rh.GetLoop(cluster.url, "shutdown", objects)
    loop.start()
    xid = rh.cluster_put(cluster, "shutdown-node", sid)
    assert xid == f"g{cluster.smap()['version']}"
    assert target.wait(40) == 0  # it exits by itself once its objects are off
    assert "shutdown-node: exiting" in target.log_tail(50)
    where = rh.check_all_there_once(cluster, "shutdown", objects, loop)
    assert [n for n, ts in where.items() if target.name in ts] == []
    # Dropped from the map while away, it comes back in maintenance (AIS keeps it there).
    kh.wait_until(lambda: sid not in cluster.smap()["tmap"], 20, "the stopped target drops")
    returned = cluster.restart_target(target)
    assert cluster.smap()["tmap"][sid]["flags"] & 4
    rh.wait_rebalanced(cluster)
    assert [n for n, ts in rh.files_on_disk(cluster, "shutdown").items()
            if returned.name in ts] == []
    rh.cluster_put(cluster, "stop-maintenance", sid)
    rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "shutdown", objects)
    assert len([n for n, ts in where.items() if ts == [returned.name]]) > 200


def snapshot(target):
    return requests.get(f"{target.url}/v1/rebalance", timeout=5).json()


def restart_on_port(cluster, old, port):
    """old's data folder and port again: the map does not change when it rejoins."""
    t = kh.Target(old.data, cluster.base, cluster.url,
                  extra=[*cluster.keepalive, "--port", str(port)], name=old.name)
    cluster._all.append(t)
    cluster.targets = sorted([x for x in cluster.targets if x.data != old.data] + [t],
                             key=lambda x: x.name)
    cluster.wait_joined(t)
    return t


def test_a_target_killed_mid_rebalance_resumes_the_same_job_after_restart(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "10s"))
    # Bounded, but enough bytes that the victim is still sending when it is killed.
    objects = rh.setup_bucket(cluster, "midrun", count=600, size=256 * 1024)
    victim = cluster.targets[2]
    sid, port = victim.node_id(), victim.port()
    held = [n for n, ts in rh.files_on_disk(cluster, "midrun").items() if ts == [victim.name]]
    assert len(held) > 100
    xid = rh.cluster_put(cluster, "start-maintenance", sid)
    version = int(xid[1:])

    def started_sending():
        s = snapshot(victim)
        return s if s["smap_version"] == version and s["sent_objects"] > 0 else None

    before = kh.wait_until(started_sending, 20, "the victim sends", interval=0.005)
    victim.send(signal.SIGKILL)
    victim.wait(10)
    left = rh.files_on_disk(cluster, "midrun")
    still_there = [n for n in held if victim.name in left.get(n, [])]
    assert 0 < len(still_there) < len(held), "killed mid-run"
    # Meanwhile the job is not done: a target of the map has not finished its part.
    assert rh.job_status(cluster, xid)["end_time"] == 0
    loop = rh.GetLoop(cluster.url, "midrun",
                      {n: d for n, d in objects.items() if n not in still_there})
    loop.start()
    returned = restart_on_port(cluster, victim, port)
    assert int(cluster.smap()["version"]) == version  # same map: the same job goes on
    assert cluster.smap()["tmap"][sid]["flags"] & 4  # still in maintenance
    kh.wait_until(lambda: rh.job_status(cluster, xid)["end_time"] > 0, 60, f"job {xid} ends",
                  on_fail=cluster.log_tails)
    assert not rh.job_status(cluster, xid)["aborted"]
    after = snapshot(returned)
    assert after["id"] == xid and not after["running"], after
    assert after["start-time"] == before["start-time"]
    assert after["sent_objects"] >= len(still_there)
    assert "resumed after a restart" in returned.log_tail(200)
    where = rh.check_all_there_once(cluster, "midrun", objects, loop)
    assert [n for n, ts in where.items() if returned.name in ts] == []
