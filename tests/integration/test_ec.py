"""Erasure coding (ec.enabled) with real kilnd processes: EC 2+1 on 4 targets. Large objects
are cut into 2 data + 1 parity slices on the 3 targets after the owner, small ones replicated
whole to 1 of them; losing a target for good (its data folder deleted, the target gone from the
map) loses no object, and the slices come back; a flipped byte in a slice is never served."""

import json
import os
import random
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor

import requests

import kilnharness as kh
import rebalanceharness as rh

BUCKET = "ecb"
LIMIT = 64 * 1024  # ec.objsize_limit: smaller objects are replicated whole
# Large: several 256 KiB stripes, sizes no multiple of the stripe, nor of 2 (data slices).
LARGE_SIZES = [3 * 1024 * 1024 + 12345, 1024 * 1024 + 1, 600 * 1024 + 7, LIMIT, 5 * 1024 * 1024 - 3]
SMALL_SIZES = [0, 1, 100, 4096, LIMIT - 1]
META_XATTR = "user.kiln.ec"


def set_props(cluster, bucket, value):
    return requests.patch(f"{cluster.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                          json={"action": "set-bprops", "value": value}, timeout=10)


def ec_bucket(cluster, bucket=BUCKET):
    kh.create_bucket(cluster.url, bucket)
    r = set_props(cluster, bucket, {"ec": {"enabled": True, "data_slices": 2, "parity_slices": 1,
                                           "objsize_limit": LIMIT}})
    assert r.status_code == 200, r.text


def payloads(seed=11):
    rng = random.Random(seed)
    objects = {f"large/{i}": rng.randbytes(n) for i, n in enumerate(LARGE_SIZES)}
    objects.update({f"small/{i}": rng.randbytes(n) for i, n in enumerate(SMALL_SIZES)})
    return objects


def slices_on_disk(cluster, bucket=BUCKET):
    """Object name -> [(target name, file path)] of the slices and replicas the live targets hold
    (<mountpath>/ec/<bucket>/<slice index>/<object>)."""
    where = {}
    for t in cluster.targets:
        if not t.alive():
            continue
        root = t.mountpath / "ec" / bucket
        for index_dir in root.iterdir() if root.is_dir() else []:
            for p in index_dir.rglob("*"):
                if p.is_file():
                    where.setdefault(str(p.relative_to(index_dir)), []).append((t.name, p))
    return where


def expected_slices(size):
    return 1 if size < LIMIT else 3


def protection_gaps(cluster, objects, distinct=True):
    """What keeps objects from being fully protected: each on exactly one owner, with all its
    slices on other live targets (each on a target of its own when distinct), each with its
    metadata. Empty when they all are."""
    owners = rh.files_on_disk(cluster, BUCKET)
    slices = slices_on_disk(cluster)
    gaps = []
    for name, data in objects.items():
        held = slices.get(name, [])
        targets = [t for t, _ in held]
        if owners.get(name) is None or len(owners[name]) != 1:
            gaps.append((name, "owners", owners.get(name)))
        elif len(held) != expected_slices(len(data)):
            gaps.append((name, "slices", targets))
        elif owners[name][0] in targets or (distinct and len(set(targets)) != len(held)):
            gaps.append((name, "placement", owners[name], targets))
        elif len(set(targets)) != min(len(held), live_targets(cluster) - 1):
            gaps.append((name, "spread", targets))
        else:
            sizes = [json.loads(os.getxattr(p, META_XATTR))["size"] for _, p in held]
            if sizes != [len(data)] * len(held):
                gaps.append((name, "meta sizes", sizes, len(data)))
    return gaps


def fully_protected(cluster, objects, distinct=True):
    """The map of slices once every object is fully protected (protection_gaps), else None."""
    return None if protection_gaps(cluster, objects, distinct) else slices_on_disk(cluster)


def live_targets(cluster):
    return sum(1 for t in cluster.targets if t.alive())


def wait_protected(cluster, objects, timeout=60, distinct=True):
    return kh.wait_until(
        lambda: fully_protected(cluster, objects, distinct), timeout,
        "every object with its slices", interval=0.2,
        on_fail=lambda: f"gaps: {protection_gaps(cluster, objects, distinct)}\n"
        + cluster.log_tails())


def get(cluster, name):
    return requests.get(f"{cluster.url}/v1/objects/{BUCKET}/{name}", timeout=60)


def test_ec_props_need_enough_targets_and_keep_their_slice_counts(launcher):
    cluster = launcher.cluster(4)
    kh.create_bucket(cluster.url, "props")
    # 3 + 2 slices need 6 targets: refused with AIS's error body, nothing changed.
    r = set_props(cluster, "props", {"ec": {"enabled": True, "data_slices": 3, "parity_slices": 2}})
    assert r.status_code == 400, r.text
    assert "at least 6 targets" in r.json()["message"]
    props = json.loads(requests.head(f"{cluster.url}/v1/buckets/props", params={"provider": "ais"},
                                     timeout=10).headers["Ais-Bucket-Props"])
    assert props["ec"]["enabled"] is False
    r = set_props(cluster, "props", {"ec": {"enabled": True, "data_slices": 2, "parity_slices": 1}})
    assert r.status_code == 200, r.text
    r = set_props(cluster, "props", {"ec": {"data_slices": 1}})
    assert r.status_code == 400, r.text
    assert "cannot change" in r.json()["message"]
    # create-bck with EC props is checked the same way.
    r = requests.post(f"{cluster.url}/v1/buckets/big", params={"provider": "ais"},
                      json={"action": "create-bck", "value": {"ec": {"enabled": True,
                                                                     "data_slices": 4}}},
                      timeout=10)
    assert r.status_code == 400, r.text


def test_ec_survives_a_target_lost_for_good_and_restores_the_slices(launcher):
    cluster = launcher.cluster(4, keepalive=("1s", "3s"))
    ec_bucket(cluster)
    objects = payloads()
    rh.put_many(cluster.url, BUCKET, objects, workers=4)
    before = wait_protected(cluster, objects)
    # Slices are what RS(2,1) makes: each a half of the object, rounded up.
    for name, data in objects.items():
        if len(data) >= LIMIT:
            assert {p.stat().st_size for _, p in before[name]} == {(len(data) + 1) // 2}, name
        else:
            assert [p.read_bytes() for _, p in before[name]] == [data], name
    # The slices are hidden from list-objects.
    assert sorted(rh.listed_names(cluster.url, BUCKET)) == sorted(objects)
    owners = rh.files_on_disk(cluster, BUCKET)
    victim = max(cluster.targets, key=lambda t: sum(ts == [t.name] for ts in owners.values()))
    lost = [n for n, ts in owners.items() if ts == [victim.name]]
    assert lost, "the victim owns some objects"
    victim.send(signal.SIGKILL)
    victim.wait(10)
    shutil.rmtree(victim.data)
    cluster.wait_targets(3)
    # Without any GET, redundancy is restored on the three that are left: the new owners rebuild
    # what the victim owned from slices (large) or replicas (small), every object is on its
    # owner again, and all its slices are back, on the two other targets (one of them holds
    # two: losing any one target still leaves the owner's copy or two slices).
    after = wait_protected(cluster, objects, distinct=False)
    assert all(t != victim.name for held in after.values() for t, _ in held)
    logs = "".join(t.log_tail(2000) for t in cluster.targets if t.alive())
    for name in lost:
        assert logs.count(f"ec: rebuilt ais://{BUCKET}/{name} ") == 1, (name, logs[-3000:])
    # Every object byte-exact, and listed once.
    for name, data in objects.items():
        r = get(cluster, name)
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        assert r.content == data, name
    assert sorted(rh.listed_names(cluster.url, BUCKET)) == sorted(objects)


def flip_byte(path, at):
    data = bytearray(path.read_bytes())
    data[at] ^= 0x5A
    path.write_bytes(bytes(data))


def test_a_flipped_byte_in_a_slice_is_never_served_and_is_repaired(launcher):
    cluster = launcher.cluster(4)
    ec_bucket(cluster)
    objects = payloads(seed=5)
    rh.put_many(cluster.url, BUCKET, objects, workers=4)
    slices = wait_protected(cluster, objects)
    owners = rh.files_on_disk(cluster, BUCKET)

    def owner_file(name):
        t = next(t for t in cluster.targets if t.name == owners[name][0])
        return t.bucket_dir(BUCKET) / name

    # A large object: one slice corrupted, the owner's copy gone -> rebuilt from the other two.
    name = "large/0"
    _, bad = slices[name][0]
    good_bytes = bad.read_bytes()
    flip_byte(bad, len(good_bytes) // 3)
    owner_file(name).unlink()
    r = get(cluster, name)
    assert r.status_code == 200, r.text[:300]
    assert r.content == objects[name]
    kh.wait_until(lambda: bad.is_file() and bad.read_bytes() == good_bytes, 30,
                  "the corrupted slice rewritten", interval=0.2, on_fail=cluster.log_tails)
    # A small object with its only replica corrupted and the owner's copy gone: a 404, never
    # the corrupted bytes.
    small = "small/3"
    _, replica = slices[small][0]
    flip_byte(replica, 10)
    owner_file(small).unlink()
    r = get(cluster, small)
    assert r.status_code == 404, (r.status_code, r.content[:100])
    assert "does not exist" in r.text
    # A HEAD of an object its owner lost rebuilds it too.
    headed = "large/4"
    owner_file(headed).unlink()
    r = requests.head(f"{cluster.url}/v1/objects/{BUCKET}/{headed}", allow_redirects=True,
                      timeout=60)
    assert r.status_code == 200, r.headers
    assert int(r.headers["Content-Length"]) == len(objects[headed])
    assert owner_file(headed).read_bytes() == objects[headed]
    # Every other object is still byte-exact.
    for other, data in objects.items():
        if other != small:
            assert get(cluster, other).content == data, other


def test_delete_removes_the_slices_and_replicas(launcher):
    cluster = launcher.cluster(4)
    ec_bucket(cluster)
    objects = payloads(seed=3)
    rh.put_many(cluster.url, BUCKET, objects, workers=4)
    wait_protected(cluster, objects)
    # Concurrent GETs of an object its owner lost share one rebuild.
    lost = "large/2"
    owner = next(t for t in cluster.targets if t.name == rh.files_on_disk(cluster, BUCKET)[lost][0])
    (owner.bucket_dir(BUCKET) / lost).unlink()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: get(cluster, lost), range(4)))
    assert [(r.status_code, r.content == objects[lost]) for r in answers] == [(200, True)] * 4
    assert owner.log_tail(2000).count(f"ec: rebuilt ais://{BUCKET}/{lost} ") == 1
    # An overwrite replaces the slices: a rebuild gives the new bytes, never the old ones.
    over, fresh = "large/3", random.Random(1).randbytes(700 * 1024 + 3)
    r = requests.put(f"{cluster.url}/v1/objects/{BUCKET}/{over}", data=fresh, timeout=30)
    assert r.status_code == 200, r.text

    def versions():
        return {json.loads(os.getxattr(p, META_XATTR))["version"]
                for _, p in slices_on_disk(cluster).get(over, [])}

    kh.wait_until(lambda: versions() == {"2"} and len(slices_on_disk(cluster)[over]) == 3, 20,
                  "the new version's slices", interval=0.1, on_fail=cluster.log_tails)
    holder = rh.files_on_disk(cluster, BUCKET)[over][0]
    (next(t for t in cluster.targets if t.name == holder).bucket_dir(BUCKET) / over).unlink()
    assert get(cluster, over).content == fresh
    for name in ["large/1", "small/2"]:
        r = requests.delete(f"{cluster.url}/v1/objects/{BUCKET}/{name}", timeout=10)
        assert r.status_code == 200, r.text
    kh.wait_until(lambda: not ({"large/1", "small/2"} & set(slices_on_disk(cluster))), 20,
                  "slices of deleted objects gone", interval=0.2, on_fail=cluster.log_tails)
    rest = {n: d for n, d in objects.items() if n not in ("large/1", "small/2")}
    wait_protected(cluster, {**rest, over: fresh})
    assert get(cluster, "large/1").status_code == 404
    # Destroying the bucket drops every slice with it.
    r = requests.delete(f"{cluster.url}/v1/buckets/{BUCKET}", params={"provider": "ais"},
                        timeout=10)
    assert r.status_code == 200, r.text
    kh.wait_until(lambda: all(not (t.mountpath / "ec" / BUCKET).exists() for t in cluster.targets),
                  20, "the bucket's slices gone", interval=0.2, on_fail=cluster.log_tails)


def test_enabling_ec_on_a_bucket_with_objects_encodes_them(launcher):
    cluster = launcher.cluster(4)
    kh.create_bucket(cluster.url, BUCKET)
    objects = payloads(seed=8)
    rh.put_many(cluster.url, BUCKET, objects, workers=4)
    assert slices_on_disk(cluster) == {}
    r = set_props(cluster, BUCKET, {"ec": {"enabled": True, "data_slices": 2, "parity_slices": 1,
                                           "objsize_limit": LIMIT}})
    assert r.status_code == 200, r.text
    xid = r.text.strip().strip('"')
    assert xid, "set-bprops answers with the ec-encode job's id"
    wait_protected(cluster, objects)
    jobs = requests.get(f"{cluster.url}/v1/cluster", params={"what": "status"},
                        json={"id": xid, "kind": "ec-encode"}, timeout=10)
    assert jobs.status_code == 200, jobs.text


# Every path that commits an object into an EC bucket protects it (the store tells EC of each
# commit), not only a client's PUT.

def drop_owner_copy(cluster, name):
    """Deletes the owner's file of name; its GET must rebuild it from the slices."""
    holders = rh.files_on_disk(cluster, BUCKET)[name]
    assert len(holders) == 1, holders
    owner = next(t for t in cluster.targets if t.name == holders[0])
    (owner.bucket_dir(BUCKET) / name).unlink()


def assert_rebuilt(cluster, objects):
    for name in objects:
        drop_owner_copy(cluster, name)
    for name, data in objects.items():
        r = get(cluster, name)
        assert r.status_code == 200, (name, r.status_code, r.text[:300])
        assert r.content == data, name


def object_act(cluster, method, bucket, name, body=None, **params):
    return requests.request(method, f"{cluster.url}/v1/objects/{bucket}/{name}",
                            params={"provider": "ais", **params}, json=body, timeout=60)


def append_and_flush(cluster, name, parts):
    handle = ""
    for part in parts:
        r = requests.put(f"{cluster.url}/v1/objects/{BUCKET}/{name}", data=part, timeout=30,
                         params={"provider": "ais", "append_type": "append",
                                 "append_handle": handle})
        assert r.status_code == 200, r.text
        handle = r.headers["Ais-Append-Handle"]
    r = requests.put(f"{cluster.url}/v1/objects/{BUCKET}/{name}", timeout=30,
                     params={"provider": "ais", "append_type": "flush", "append_handle": handle})
    assert r.status_code == 200, r.text


def test_copied_renamed_and_appended_objects_get_their_slices(launcher):
    cluster = launcher.cluster(4)
    ec_bucket(cluster)
    kh.create_bucket(cluster.url, "plain")
    rng = random.Random(21)
    sources = {"big": rng.randbytes(900 * 1024 + 11), "tiny": rng.randbytes(300)}
    rh.put_many(cluster.url, "plain", sources, workers=2)
    expected = {}
    # Copies from a bucket without EC into the EC bucket (PUT ?object_to).
    for src, data in sources.items():
        for i in range(3):
            dst = f"copied/{src}-{i}"
            r = object_act(cluster, "PUT", "plain", src, object_to=f"ais/@#/{BUCKET}/{dst}")
            assert r.status_code == 200, r.text
            expected[dst] = data
    # Renames inside the EC bucket: the new names get slices, the old names' slices go.
    olds = {f"old/{i}": rng.randbytes(n) for i, n in enumerate([700 * 1024 + 5, 2000, LIMIT])}
    rh.put_many(cluster.url, BUCKET, olds, workers=2)
    wait_protected(cluster, olds)
    for old, data in olds.items():
        new = old.replace("old/", "renamed/")
        r = object_act(cluster, "POST", BUCKET, old, {"action": "rename-obj", "name": new})
        assert r.status_code == 200, r.text
        expected[new] = data
    # Appends, committed by their flush.
    for i, n in enumerate([LIMIT * 5 + 3, 1000]):
        data = rng.randbytes(n)
        append_and_flush(cluster, f"appended/{i}", [data[: n // 3], data[n // 3:]])
        expected[f"appended/{i}"] = data
    wait_protected(cluster, expected)
    kh.wait_until(lambda: not (set(olds) & set(slices_on_disk(cluster))), 20,
                  "the renamed-away names' slices gone", interval=0.2, on_fail=cluster.log_tails)
    assert_rebuilt(cluster, expected)
    assert sorted(rh.listed_names(cluster.url, BUCKET)) == sorted(expected)


def test_a_copy_bucket_job_into_an_ec_bucket_protects_every_object(launcher):
    cluster = launcher.cluster(4)
    kh.create_bucket(cluster.url, "plain")
    objects = payloads(seed=13)
    rh.put_many(cluster.url, "plain", objects, workers=4)
    ec_bucket(cluster)
    r = requests.post(f"{cluster.url}/v1/buckets/plain",
                      params={"provider": "ais", "bck_to": f"ais/@#/{BUCKET}/"},
                      json={"action": "copy-bck", "name": "", "value": {}}, timeout=30)
    assert r.status_code == 200, r.text
    xid = r.text.strip().strip('"')

    def ended():
        s = requests.get(f"{cluster.url}/v1/cluster", params={"what": "status"},
                         json={"id": xid, "kind": "copy-bck"}, timeout=10).json()
        return s if s["end_time"] else None

    status = kh.wait_until(ended, 60, f"copy-bck {xid}", interval=0.2)
    assert status["err"] == "" and not status["aborted"], status
    # Objects each target copied to itself and those it sent to other targets alike.
    wait_protected(cluster, objects)
    assert_rebuilt(cluster, {n: objects[n] for n in ["large/0", "large/2", "small/2", "small/4"]})
