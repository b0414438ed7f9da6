"""Global rebalance and get-from-neighbor with real kilnd processes: a target joins, one is
killed and returns, one goes into maintenance and back, one is decommissioned. Each case writes
1,000+ objects of 1 KiB, reads them all byte-exact before, during (a GET loop in a thread) and
after, and lists the bucket complete and without duplicates."""

import signal

import requests

import kilnharness as kh
import rebalanceharness as rh



def test_a_joining_target_gets_its_share_and_nothing_is_hidden(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "join")
    loop = rh.GetLoop(cluster.url, "join", objects)
    loop.start()
    t4 = cluster.start_target(cluster.base / "target-4", name="target-4")
    states = rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "join", objects, loop)
    on_t4 = [n for n, ts in where.items() if ts == ["target-4"]]
    # HRW gives a fourth target about a quarter; the others sent exactly what it holds.
    assert 150 < len(on_t4) < 350, len(on_t4)
    new = next(s for s in states if s["received_objects"] > 0)
    assert new["received_objects"] == len(on_t4)
    assert sum(s["sent_objects"] for s in states) == len(on_t4)
    assert t4.alive()


def test_a_killed_target_returns_and_objects_written_meanwhile_move_to_it(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "kill")
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
    where = rh.check_all_there_once(cluster, "kill", everything, loop)
    assert any(ts == [returned.name] for n, ts in where.items() if n.startswith("while-away/"))


def test_a_target_stopped_with_sigterm_returns_with_its_objects(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "leave")
    leaving = cluster.targets[0]
    assert leaving.stop() == 0
    cluster.wait_targets(2)
    more = rh.payloads(200, prefix="while-away")
    rh.put_many(cluster.url, "leave", more)
    everything = {**objects, **more}
    cluster.restart_target(leaving)
    loop = rh.GetLoop(cluster.url, "leave", everything)
    loop.start()
    rh.wait_rebalanced(cluster)
    rh.check_all_there_once(cluster, "leave", everything, loop)


def test_maintenance_moves_every_object_off_and_back(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "maint")
    target = cluster.targets[1]
    sid = target.node_id()
    loop = rh.GetLoop(cluster.url, "maint", objects)
    loop.start()
    xid = rh.cluster_put(cluster, "start-maintenance", sid)
    assert xid == f"g{cluster.smap()['version']}"
    assert cluster.smap()["tmap"][sid]["flags"] & 4
    rh.wait_rebalanced(cluster)
    kh.wait_until(lambda: rh.job_status(cluster, xid)["end_time"] > 0, 20, "rebalance job ends")
    where = rh.check_all_there_once(cluster, "maint", objects, loop)
    assert [n for n, ts in where.items() if target.name in ts] == []
    # Back in placement: it gets its share again.
    loop = rh.GetLoop(cluster.url, "maint", objects)
    loop.start()
    rh.cluster_put(cluster, "stop-maintenance", sid)
    rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "maint", objects, loop)
    assert len([n for n, ts in where.items() if ts == [target.name]]) > 200


def test_decommission_empties_the_target_and_removes_it_for_good(launcher):
    cluster = launcher.cluster(4, keepalive=("1s", "3s"))
    objects = rh.setup_bucket(cluster, "decomm")
    target = cluster.targets[3]
    sid = target.node_id()
    loop = rh.GetLoop(cluster.url, "decomm", objects)
    loop.start()
    rh.cluster_put(cluster, "decommission-node", sid)
    kh.wait_until(lambda: sid not in cluster.smap()["tmap"], 40, "decommissioned target leaves",
                  on_fail=cluster.log_tails)
    rh.wait_rebalanced(cluster)
    where = rh.check_all_there_once(cluster, "decomm", objects, loop)
    assert [n for n, ts in where.items() if target.name in ts] == []
    # It does not come back by itself.
    kh.holds_for(lambda: sid not in cluster.smap()["tmap"], 3, "decommissioned target stays out")


def test_a_bucket_job_running_through_a_map_change_fails_clearly(launcher):
    cluster = launcher.cluster(3, keepalive=("1s", "3s"))
    rh.setup_bucket(cluster, "jobsrc", count=3000)
    r = requests.post(f"{cluster.url}/v1/buckets/jobsrc", params={"bck_to": "ais/@#/jobdst/"},
                      json={"action": "copy-bck", "value": {}}, timeout=30)
    assert r.status_code == 200, r.text
    xid = r.text
    rh.cluster_put(cluster, "start-maintenance", cluster.targets[0].node_id())

    def ended():
        r = requests.get(f"{cluster.url}/v1/cluster", params={"what": "status"},
                         json={"id": xid, "kind": "copy-bck"}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["end_time"] else None

    status = kh.wait_until(ended, 40, f"job {xid} ends")
    assert status["aborted"] and "cluster map changed" in status["err"], status
