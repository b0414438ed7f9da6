"""n-way mirroring (AIS's mirror.enabled / mirror.copies) on real kilnd targets with several
mountpaths each: the props are validated against the targets' mountpaths, PUT writes every copy,
a GET never serves a copy whose bytes do not match its checksum (it reads another and repairs the
bad one), a mountpath's folder lost while running or while stopped costs nothing, and a change of
copies on a bucket with objects runs make-n-copies."""

import json
import os
import re
import shutil

import pytest
import requests

import jobapi
import kilnharness as kh
import objectops as ops
import rebalanceharness as rh

BUCKET = "mirrored"


def set_props(url: str, bucket: str, props: dict) -> requests.Response:
    return requests.patch(f"{url}/v1/buckets/{bucket}", params={"provider": "ais"},
                          json={"action": "set-bprops", "name": "", "value": props}, timeout=60)


def mirror_props(url: str, bucket: str) -> dict:
    r = requests.head(f"{url}/v1/buckets/{bucket}", params={"provider": "ais"}, timeout=10)
    assert r.status_code == 200, r.text
    return json.loads(r.headers["Ais-Bucket-Props"])["mirror"]


def copies_on_disk(cluster: kh.Cluster, bucket: str) -> dict[str, list[str]]:
    """Object name -> the mountpaths (target/mpN) that hold a file of it."""
    where: dict[str, list[str]] = {}
    for t in cluster.targets:
        for mp in t.mountpaths:
            root = mp / "buckets" / bucket
            if root.is_dir():
                for p in root.rglob("*"):
                    if p.is_file():
                        where.setdefault(str(p.relative_to(root)), []).append(
                            f"{t.name}/{mp.name}")
    return where


def copy_files(cluster: kh.Cluster, bucket: str, name: str):
    return [mp / "buckets" / bucket / name for t in cluster.targets for mp in t.mountpaths
            if (mp / "buckets" / bucket / name).is_file()]


def wait_copies(cluster, bucket, objects, copies, timeout=30.0):
    def right():
        where = copies_on_disk(cluster, bucket)
        return sorted(where) == sorted(objects) and all(
            len(ms) == copies and len({m.split("/")[0] for m in ms}) == 1
            for ms in where.values()) and where

    return kh.wait_until(right, timeout, f"{copies} copies of every object of {bucket}",
                         interval=0.2, on_fail=lambda: str(
                             {n: m for n, m in copies_on_disk(cluster, bucket).items()
                              if len(m) != copies}))


@pytest.fixture
def mirrored(launcher):
    """Two targets with three mountpaths each, and a bucket with mirror.copies 2 and objects."""
    cluster = launcher.cluster(2, mountpaths=3)
    kh.create_bucket(cluster.url, BUCKET)
    r = set_props(cluster.url, BUCKET, {"mirror": {"enabled": True, "copies": 2}})
    assert r.status_code == 200, r.text
    # The copies change starts make-n-copies: let it end, so that it does not repair what a
    # test breaks on purpose.
    wait_job(cluster.url, r.text.strip().strip('"'))
    objects = rh.payloads(120, "m", 48 * 1024)
    objects["big"] = os.urandom(5 * 1024 * 1024 + 17)
    rh.put_many(cluster.url, BUCKET, objects)
    return cluster, objects


def test_props_are_validated_against_the_targets_mountpaths(launcher):
    cluster = launcher.cluster(1, mountpaths=2)
    kh.create_bucket(cluster.url, "props")
    assert mirror_props(cluster.url, "props") == {"enabled": False, "copies": 2,
                                                  "burst_buffer": 0}
    for bad in ({"enabled": True, "copies": 3},  # more copies than mountpaths
                {"enabled": True, "copies": 1},
                {"enabled": True, "copies": 33},
                {"copies": "two"}):
        r = set_props(cluster.url, "props", {"mirror": bad})
        assert r.status_code == 400, (bad, r.status_code, r.text)
        assert ops.error_message(r), r.text
        assert mirror_props(cluster.url, "props")["enabled"] is False  # nothing changed
    r = set_props(cluster.url, "props", {"mirror": {"enabled": True, "copies": 2}})
    assert r.status_code == 200, r.text
    assert mirror_props(cluster.url, "props") == {"enabled": True, "copies": 2,
                                                  "burst_buffer": 0}


def test_put_writes_every_copy_and_head_lists_them(mirrored):
    cluster, objects = mirrored
    where = wait_copies(cluster, BUCKET, objects, 2, timeout=30)
    # Copies spread over the mountpaths by name, not all on the same two.
    assert len({m for ms in where.values() for m in ms}) >= 4
    for name in ("big", "m/00007"):
        files = copy_files(cluster, BUCKET, name)
        assert [f.read_bytes() == objects[name] for f in files] == [True, True]
        h = ops.head(cluster.url, BUCKET, name)
        assert h.headers["Ais-Mirror-Copies"] == "2", h.headers
        holders = [str(mp) for t in cluster.targets for mp in t.mountpaths
                   if (mp / "buckets" / BUCKET / name).is_file()]
        assert sorted(h.headers["Ais-Mirror-Paths"].strip("[]").split()) == sorted(holders)
    names = rh.listed_names(cluster.url, BUCKET)
    assert sorted(names) == sorted(objects)  # each object listed once
    assert set(listed_copies(cluster.url, BUCKET).values()) == {2}


def listed_copies(url: str, bucket: str) -> dict[str, int]:
    """list-objects with props copies: name -> the copies its target found."""
    r = requests.get(f"{url}/v1/buckets/{bucket}", params={"provider": "ais"},
                     json={"action": "list", "name": "",
                           "value": {"props": "name,copies", "pagesize": 1000}}, timeout=30)
    assert r.status_code == 200, r.text
    return {e["name"]: e["copies"] for e in r.json()["entries"]}


def test_overwrite_and_delete_change_every_copy(mirrored):
    cluster, objects = mirrored
    fresh = os.urandom(70 * 1024)
    ops.put(cluster.url, BUCKET, "m/00003", fresh)
    assert [f.read_bytes() == fresh for f in copy_files(cluster, BUCKET, "m/00003")] == [True, True]
    r = requests.delete(cluster.url + kh.obj_path(BUCKET, "m/00004"), params={"provider": "ais"},
                        timeout=10)
    assert r.status_code == 200, r.text
    assert copy_files(cluster, BUCKET, "m/00004") == []
    assert ops.get(cluster.url, BUCKET, "m/00004").status_code == 404


def test_a_flipped_byte_is_never_served_and_is_repaired(mirrored):
    cluster, objects = mirrored
    for name in ("big", "m/00011", "m/00012", "m/00013"):
        for which in (0, 1):  # the primary's copy, then the other one
            f = copy_files(cluster, BUCKET, name)[which]
            raw = bytearray(f.read_bytes())
            raw[len(raw) // 2] ^= 0x01
            f.write_bytes(raw)
            for _ in range(3):  # whichever copy the GET picks first
                r = ops.get(cluster.url, BUCKET, name)
                assert r.status_code == 200 and r.content == objects[name], (name, which)
            kh.wait_until(lambda: [g.read_bytes() == objects[name]
                                   for g in copy_files(cluster, BUCKET, name)] == [True, True],
                          10, f"{name}'s bad copy repaired")


def test_every_copy_corrupt_is_an_error_not_bad_bytes(mirrored):
    cluster, objects = mirrored
    for f in copy_files(cluster, BUCKET, "m/00020"):
        raw = bytearray(f.read_bytes())
        raw[0] ^= 0xFF
        f.write_bytes(raw)
    r = ops.get(cluster.url, BUCKET, "m/00020")
    assert r.status_code >= 500, r.status_code
    assert r.content != objects["m/00020"] and ops.error_message(r)


def test_a_mountpath_folder_lost_while_running_loses_nothing(mirrored):
    cluster, objects = mirrored
    lost = cluster.targets[0].mountpaths[1] / "buckets" / BUCKET
    held = [n for n, ms in copies_on_disk(cluster, BUCKET).items()
            if f"{cluster.targets[0].name}/mp2" in ms]
    assert held, "the mountpath held copies"
    shutil.rmtree(lost)
    copies = listed_copies(cluster.url, BUCKET)
    assert sorted(n for n, c in copies.items() if c == 1) == sorted(held)
    assert rh.mismatches(cluster.url, BUCKET, objects) == []
    # The GETs repaired what they read.
    wait_copies(cluster, BUCKET, objects, 2, timeout=30)


def test_a_mountpath_folder_lost_while_stopped_is_resilvered_at_start(mirrored):
    cluster, objects = mirrored
    target = cluster.targets[1]
    lost = [n for n, ms in copies_on_disk(cluster, BUCKET).items()
            if f"{target.name}/{target.mountpaths[0].name}" in ms]
    assert lost, "the mountpath held copies"
    # Killed, not stopped: a SIGTERM'd target leaves the cluster and hands its objects on first.
    target.kill()
    shutil.rmtree(target.mountpaths[0])  # the whole folder, primaries included
    restarted = cluster.restart_target(target)
    assert rh.mismatches(cluster.url, BUCKET, objects) == []
    done = kh.wait_until(
        lambda: re.search(r"resilver done: (\d+) objects, (\d+) copies written",
                          restarted.log_tail(400)),
        30, "resilver done", on_fail=restarted.log_tail)
    # It walked the objects, found through their copies (the GETs above may have repaired some).
    assert int(done[1]) > 0
    wait_copies(cluster, BUCKET, objects, 2, timeout=30)


def wait_job(url: str, jid: str, timeout: float = 60) -> dict:
    st = kh.wait_until(lambda: (s := jobapi.status(url, jid, "make-n-copies"))["end_time"] > 0
                       and s, timeout, f"make-n-copies {jid} done", interval=0.2)
    assert st["aborted"] is False and st["err"] == "", st
    return st


def test_changing_copies_runs_make_n_copies(launcher):
    cluster = launcher.cluster(2, mountpaths=3)
    kh.create_bucket(cluster.url, "later")
    objects = rh.payloads(150, "l", 8 * 1024)
    rh.put_many(cluster.url, "later", objects)
    wait_copies(cluster, "later", objects, 1, timeout=30)
    for copies, enabled in ((3, True), (2, True), (2, False)):
        r = set_props(cluster.url, "later", {"mirror": {"enabled": enabled, "copies": copies}})
        assert r.status_code == 200, r.text
        jid = r.text.strip().strip('"')
        assert jid, "a props change that changes the copies answers with the job's id"
        wait_job(cluster.url, jid)
        wait_copies(cluster, "later", objects, copies if enabled else 1, timeout=30)
        assert rh.mismatches(cluster.url, "later", objects) == []


def test_rebalance_moves_every_copy_with_its_object(mirrored):
    cluster, objects = mirrored
    cluster.start_target(cluster.base / "target-3", name="target-3")
    rh.wait_rebalanced(cluster, timeout=60)
    where = wait_copies(cluster, BUCKET, objects, 2, timeout=30)  # both copies on one target
    assert any(ms[0].startswith("target-3/") for ms in where.values()), "target-3 got a share"
    assert rh.mismatches(cluster.url, BUCKET, objects) == []
    assert sorted(rh.listed_names(cluster.url, BUCKET)) == sorted(objects)
