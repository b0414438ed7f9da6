"""Global rebalance and get-from-neighbor with real kilnd processes: a target joins, one is
killed and returns, one goes into maintenance and back, one is decommissioned. Each case writes
1,000+ objects of 1 KiB, reads them all byte-exact before, during (a GET loop in a thread) and
after, and lists the bucket complete and without duplicates."""

import signal

import requests

import kilnharness as kh
import rebalanceharness as rh

COUNT = 1000


def setup_bucket(cluster, name, count=COUNT, prefix="o"):
    kh.create_bucket(cluster.url, name)
    objects = rh.payloads(count, prefix)
    rh.put_many(cluster.url, name, objects)
    assert rh.mismatches(cluster.url, name, objects) == []
    return objects


def check_after(cluster, bucket, objects, loop):
    loop.stop()
    assert loop.failures == [], loop.failures[:10]
    assert loop.gets > 0
    assert rh.mismatches(cluster.url, bucket, objects) == []
    names = rh.listed_names(cluster.url, bucket)
    assert len(names) == len(set(names)), "duplicates in list-objects"
    assert sorted(names) == sorted(objects)
    # Rebalance is done: every object is on exactly one target.
    where = rh.files_on_disk(cluster, bucket)
    assert sorted(where) == sorted(objects)
    assert [n for n, ts in where.items() if len(ts) != 1] == []
    return where


def test_a_joining_target_gets_its_share_and_nothing_is_hidden(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = setup_bucket(cluster, "join")
    loop = rh.GetLoop(cluster.url, "join", objects)
    loop.start()
    t4 = cluster.start_target(cluster.base / "target-4", name="target-4")
    states = rh.wait_rebalanced(cluster)
    where = check_after(cluster, "join", objects, loop)
    on_t4 = [n for n, ts in where.items() if ts == ["target-4"]]
    # HRW gives a fourth target about a quarter; the others sent exactly what it holds.
    assert 150 < len(on_t4) < 350, len(on_t4)
    new = next(s for s in states if s["received_objects"] > 0)
    assert new["received_objects"] == len(on_t4)
    assert sum(s["sent_objects"] for s in states) == len(on_t4)
    assert t4.alive()


def test_a_killed_target_returns_and_objects_written_meanwhile_move_to_it(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = setup_bucket(cluster, "kill")
    victim = cluster.targets[2]
    victim.send(signal.SIGKILL)
    victim.wait(10)
    cluster.wait_targets(2)
    # Written while it is away: to the two others.
    more = rh.payloads(300, prefix="while-away")
    rh.put_many(cluster.url, "kill", more)
    everything = {**objects, **more}
    returned = cluster.restart_target(victim)
    loop = rh.GetLoop(cluster.url, "kill", everything)
    loop.start()
    rh.wait_rebalanced(cluster)
    where = check_after(cluster, "kill", everything, loop)
    assert any(ts == [returned.name] for n, ts in where.items() if n.startswith("while-away/"))
