"""What `ais show cluster`, `ais storage ...` and the SDK's cluster calls ask: each node's
node_status (through the proxy's reverse route with Ais-Node-Id), mountpaths, disk,
software_version, and the cluster's cluster_config and backends, checked against what this test
reads itself from statvfs, /proc and the cluster's configuration.
"""

import os
from pathlib import Path

import psutil
import pytest
import requests

import kilnharness as kh

GIB = 1024**3


def reverse(url: str, node_id: str | None, what: str, path: str = ""):
    headers = {} if node_id is None else {"Ais-Node-Id": node_id}
    return requests.get(f"{url}/v1/reverse/daemon{path}", params={"what": what}, headers=headers,
                        timeout=10)


def node_status(url: str, node_id: str) -> dict:
    r = reverse(url, node_id, "node_status")
    assert r.status_code == 200, r.text
    return r.json()


def fs_of(path: Path):
    """The mount holding path (the longest mount point above it), as psutil reads /proc/mounts."""
    real = os.path.realpath(path)
    best = None
    for p in psutil.disk_partitions(all=True):
        mp = p.mountpoint
        if (real == mp or real.startswith(mp.rstrip("/") + "/")) and (
                best is None or len(mp) > len(best.mountpoint)):
            best = p
    return best


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = kh.Cluster(tmp_path_factory.mktemp("cluinfo"), 2)
    yield c
    c.close()


def test_every_node_reports_its_status_through_the_reverse_route(cluster):
    smap = cluster.smap()
    ids = list(smap["pmap"]) + list(smap["tmap"])
    assert len(ids) == 3
    for nid in ids:
        st = node_status(cluster.url, nid)
        assert st["snode"]["daemon_id"] == nid
        # AIS's API level first (the CLI warns about another major.minor), then Kiln's version.
        major, minor, build = st["ais_version"].split(".", 2)
        assert (major, minor) == ("5", "0") and build.startswith("kiln-"), st["ais_version"]
        assert st["build_time"], st
        assert st["deployment"] == "linux"  # separate processes: the OS, as AIS reports it
        assert st["cluster"]["flags"] == 6  # node started, cluster started: "ok"
        assert st["smap_version"] == str(smap["version"])
        assert st["cluster"]["smap"]["Primary"]["id"] == smap["proxy_si"]["daemon_id"]
        assert int(st["tracker"]["up.ns.time"]) > 0
        mem = psutil.virtual_memory()
        info = st["sys_info"]
        assert abs(info["mem_avail"] - mem.available) < 2 * GIB, (info["mem_avail"], mem)
        assert info["mem"]["Total"] == mem.total
        assert 0 < info["mem_used"] < mem.total and 0 <= info["cpu_util"] <= 100


def test_uptime_grows(cluster):
    tid = cluster.targets[0].node_id()
    first = node_status(cluster.url, tid)["tracker"]["up.ns.time"]
    kh.wait_until(lambda: node_status(cluster.url, tid)["tracker"]["up.ns.time"] > first, 5,
                  "uptime grows")


def test_target_capacity_matches_statvfs(cluster):
    for t in cluster.targets:
        cap = node_status(cluster.url, t.node_id())["capacity"]
        assert list(cap["mountpaths"]) == [str(t.mountpath)]
        cdf = cap["mountpaths"][str(t.mountpath)]
        vfs = os.statvfs(t.mountpath)
        avail = vfs.f_bavail * vfs.f_frsize
        used = (vfs.f_blocks - vfs.f_bfree) * vfs.f_frsize
        # The machine is shared: allow what other writers may do between the two reads.
        assert abs(int(cdf["avail"]) - avail) < GIB and abs(int(cdf["used"]) - used) < GIB, cdf
        assert cdf["pct_used"] == int(cdf["used"]) * 100 // (int(cdf["used"]) + int(cdf["avail"]))
        part = fs_of(t.mountpath)
        assert (cdf["fs"]["Fs"], cdf["fs"]["FsType"]) == (part.device, part.fstype), cdf
        assert cap["total_avail"] == cdf["avail"] and cap["pct_avg"] == cdf["pct_used"]


def test_proxy_has_no_capacity(cluster):
    pid = cluster.smap()["proxy_si"]["daemon_id"]
    assert node_status(cluster.url, pid)["capacity"]["mountpaths"] == {}
    r = reverse(cluster.url, pid, "mountpaths")
    assert r.status_code == 400 and "unrecognized what=mountpaths" in r.json()["message"], r.text


def test_mountpaths_disk_and_software_version(cluster):
    t = cluster.targets[0]
    r = reverse(cluster.url, t.node_id(), "mountpaths")
    assert r.status_code == 200, r.text
    assert r.json() == {"available": [str(t.mountpath)], "waiting_dd": [], "disabled": []}
    r = reverse(cluster.url, t.node_id(), "disk")
    assert r.status_code == 200, r.text
    disk = r.json()
    assert set(disk["AllDiskStats"]) == set(disk["mountpaths"][str(t.mountpath)]["disks"])
    r = reverse(cluster.url, t.node_id(), "software_version")
    assert r.status_code == 200 and r.text == node_status(cluster.url, t.node_id())["ais_version"]


def test_reverse_route_errors(cluster):
    r = reverse(cluster.url, None, "node_status")
    assert r.status_code == 400 and r.json()["message"] == "missing node ID", r.text
    r = reverse(cluster.url, "nosuchnode", "node_status")
    assert r.status_code == 404 and "nosuchnode" in r.json()["message"], r.text
    # The target's own error comes back as it answered it.
    r = reverse(cluster.url, cluster.targets[0].node_id(), "nonsense")
    assert r.status_code == 400 and "unrecognized what=nonsense" in r.json()["message"], r.text


def test_cluster_config_and_backends(cluster):
    r = requests.get(f"{cluster.url}/v1/cluster", params={"what": "cluster_config"}, timeout=10)
    assert r.status_code == 200, r.text
    cfg = r.json()
    smap = cluster.smap()
    assert cfg["uuid"] == smap["uuid"]
    assert cfg["proxy"]["primary_url"] == smap["proxy_si"]["public_net"]["direct_url"]
    # kh.Cluster starts its nodes with a 1 s keepalive and a 5 s timeout.
    assert cfg["keepalivetracker"]["proxy"] == {"interval": "1s", "name": "heartbeat", "factor": 5}
    assert cfg["rebalance"]["enabled"] is True and cfg["auth"]["enabled"] is False
    r = requests.get(f"{cluster.url}/v1/cluster", params={"what": "backends"}, timeout=10)
    assert r.status_code == 200 and r.json() == [], r.text


def test_kilnd_cluster_nodes_report_the_dev_deployment(kilnd_cluster):
    smap = kh.get_smap(kilnd_cluster.url)
    for nid in list(smap["pmap"]) + list(smap["tmap"]):
        assert node_status(kilnd_cluster.url, nid)["deployment"] == "dev"
