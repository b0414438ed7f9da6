"""Bucket actions beyond create/list/destroy on a 3-target `kilnd cluster`: copy-bck (a job over
the AIS job API: prefix, prepend, extension remap, dry run, synchronize), copy-listrange, move-bck,
bucket props (versioning, checksum type, access bits), and bucket summaries. Expected contents,
counts and digests are computed here from what the test put."""

import hashlib
import random
import time
import uuid
import zlib

import pytest
import requests

import kilnharness as kh
import objectops as op

rng = random.Random(11)


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    with kh.running_supervisor(tmp_path_factory.mktemp("buckets")) as sup:
        yield sup


@pytest.fixture
def src(kiln):
    """A bucket with 30 objects of random sizes in two folders; yields (name, {obj: bytes})."""
    name = kh.create_bucket(kiln.url, "src-" + uuid.uuid4().hex[:10])
    objs = {f"{'img' if i % 2 else 'txt'}/o{i:02d}.{'jpg' if i % 2 else 'txt'}":
            rng.randbytes(rng.randint(0, 20000)) for i in range(30)}
    for n, d in objs.items():
        op.put(kiln.url, name, n, d)
    return name, objs


def post(kiln, bucket, action, value=None, **params):
    return requests.post(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais", **params},
                         json={"action": action, "name": "", "value": value}, timeout=30)


def listing(kiln, bucket) -> dict:
    r = requests.get(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                     json={"action": "list", "value": {"pagesize": 0, "props": "name,size"}},
                     timeout=30)
    assert r.status_code == 200, r.text
    return {e["name"]: int(e["size"]) for e in r.json()["entries"] or []}


def wait_job(kiln, xid, kind):
    def ended():
        r = requests.get(f"{kiln.url}/v1/cluster", params={"what": "status"},
                         json={"id": xid, "kind": kind}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json() if r.json()["end_time"] else None

    return kh.wait_until(ended, 60, f"job {xid}")


def stats(kiln, xid):
    r = requests.get(f"{kiln.url}/v1/cluster", params={"what": "qryxstats"}, json={"id": xid},
                     timeout=10)
    assert r.status_code == 200, r.text
    total = {}
    for snaps in r.json().values():
        for s in snaps:
            for k, v in s["stats"].items():
                total[k] = total.get(k, 0) + int(v)
    return total


def copy(kiln, src, dst, **value):
    r = post(kiln, src, "copy-bck", value, bck_to=f"ais/@#/{dst}/")
    assert r.status_code == 200, r.text
    status = wait_job(kiln, r.text, "copy-bck")
    assert status["err"] == "" and not status["aborted"], status
    return r.text


def test_copy_bucket_creates_the_destination_and_counts(kiln, src):
    name, objs = src
    r = op.act("PATCH", kiln.url, name, "txt/o00.txt", {"value": {"k": "v"}})
    assert r.status_code == 200
    xid = copy(kiln, name, name + "-copy")
    assert listing(kiln, name + "-copy") == {n: len(d) for n, d in objs.items()}
    for n, d in objs.items():
        assert op.content(kiln.url, name + "-copy", n) == d
    assert op.head(kiln.url, name + "-copy", "txt/o00.txt").headers["Ais-Custom-Md"] == "k=v"
    s = stats(kiln, xid)
    # Each object is written once: locally by its source's target, or sent and received.
    assert s["loc-objs"] + s["out-objs"] == len(objs) and s["in-objs"] == s["out-objs"]
    assert s["loc-bytes"] + s["out-bytes"] == sum(len(d) for d in objs.values())
    assert listing(kiln, name) == {n: len(d) for n, d in objs.items()}  # source untouched


def test_copy_with_prefix_prepend_and_ext(kiln, src):
    name, objs = src
    copy(kiln, name, name + "-p", prefix="img/", prepend="new/", ext={"jpg": "jpeg"})
    want = {"new/" + n[:-3] + "jpeg": len(d) for n, d in objs.items() if n.startswith("img/")}
    assert listing(kiln, name + "-p") == want


def test_copy_dry_run_writes_nothing(kiln, src):
    name, objs = src
    r = post(kiln, name, "copy-bck", {"dry_run": True}, bck_to=f"ais/@#/{name}-dry/")
    assert r.status_code == 200
    wait_job(kiln, r.text, "copy-bck")
    assert stats(kiln, r.text)["loc-objs"] == len(objs)
    assert requests.head(f"{kiln.url}/v1/buckets/{name}-dry", timeout=10).status_code == 404


def test_copy_synchronize_removes_what_the_source_lost(kiln, src):
    name, objs = src
    dst = name + "-sync"
    copy(kiln, name, dst)
    gone = sorted(objs)[:5]
    for n in gone:
        assert requests.delete(op.url(kiln.url, name, n), timeout=10).status_code == 200
    op.put(kiln.url, dst, "stray.bin", b"only in the destination")
    copy(kiln, name, dst, synchronize=True)
    assert listing(kiln, dst) == {n: len(d) for n, d in objs.items() if n not in gone}


@pytest.mark.parametrize("value,query,status,message", [
    ({}, {}, 400, 'missing "bck_to" query parameter'),
    ({}, {"bck_to": "ais/@#/{name}/"}, 400, 'cannot copy-bck bucket "ais://{name}" onto itself'),
    ({"synchronize": True, "prepend": "x/"}, {"bck_to": "ais/@#/{name}-z/"}, 400,
     'prepend option ("x/") is incompatible with the request to synchronize buckets'),
])
def test_copy_errors(kiln, src, value, query, status, message):
    name, _ = src
    r = post(kiln, name, "copy-bck", value, **{k: v.format(name=name) for k, v in query.items()})
    assert r.status_code == status
    assert message.format(name=name) in op.error_message(r)
    r = post(kiln, "no-such-src", "copy-bck", {}, bck_to="ais/@#/x/")
    assert r.status_code == 404


def test_copy_listrange_by_names_template_and_prefix(kiln, src):
    name, objs = src
    for kind_value, want in (
        ({"objnames": ["txt/o00.txt", "img/o01.jpg"]}, ["txt/o00.txt", "img/o01.jpg"]),
        ({"template": "txt/o{00..08..4}.txt"}, ["txt/o00.txt", "txt/o04.txt", "txt/o08.txt"]),
        ({"template": "img/"}, [n for n in objs if n.startswith("img/")]),
    ):
        dst = name + "-lr" + uuid.uuid4().hex[:4]
        r = post(kiln, name, "copy-listrange", {**kind_value, "tobck": {"name": dst}})
        assert r.status_code == 200, r.text
        wait_job(kiln, r.text, "copy-listrange")
        assert listing(kiln, dst) == {n: len(objs[n]) for n in want}


def test_move_bucket(kiln, src):
    name, objs = src
    to = name + "-moved"
    r = post(kiln, name, "move-bck", None, bck_to=f"ais/@#/{to}/")
    assert r.status_code == 200, r.text
    wait_job(kiln, r.text, "move-bck")
    assert requests.head(f"{kiln.url}/v1/buckets/{name}", timeout=10).status_code == 404
    assert listing(kiln, to) == {n: len(d) for n, d in objs.items()}
    for n, d in objs.items():
        assert op.content(kiln.url, to, n) == d
    other = kh.create_bucket(kiln.url, "taken-" + uuid.uuid4().hex[:6])
    r = post(kiln, to, "move-bck", None, bck_to=f"ais/@#/{other}/")
    assert r.status_code == 409
    assert op.error_message(r) == f'bucket "ais://{other}" already exists'
    r = post(kiln, to, "move-bck", None, bck_to=f"ais/@#/{to}/")
    assert r.status_code == 400 and "to itself" in op.error_message(r)


def props(kiln, bucket):
    import json

    r = requests.head(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais"}, timeout=10)
    return json.loads(r.headers["Ais-Bucket-Props"])


def set_props(kiln, bucket, value, action="set-bprops"):
    return requests.patch(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                          json={"action": action, "value": value}, timeout=10)


def crc32c(data: bytes) -> str:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return f"{crc ^ 0xFFFFFFFF:08x}"


@pytest.mark.parametrize("ctype,digest", [
    ("md5", lambda d: hashlib.md5(d).hexdigest()),
    ("sha256", lambda d: hashlib.sha256(d).hexdigest()),
    ("sha512", lambda d: hashlib.sha512(d).hexdigest()),
    ("crc32c", crc32c),
    ("xxhash", op.xxh),
])
def test_checksum_type_applies_to_new_objects(kiln, ctype, digest):
    b = kh.create_bucket(kiln.url, "ck-" + uuid.uuid4().hex[:8])
    op.put(kiln.url, b, "before", b"old object")
    assert set_props(kiln, b, {"checksum": {"type": ctype}}).status_code == 200
    assert props(kiln, b)["checksum"]["type"] == ctype
    data = rng.randbytes(5000)
    op.put(kiln.url, b, "after", data)
    h = op.head(kiln.url, b, "after").headers
    assert (h["Ais-Checksum-Type"], h["Ais-Checksum-Value"]) == (ctype, digest(data))
    h = op.head(kiln.url, b, "before").headers  # an object keeps the type it was written with
    assert (h["Ais-Checksum-Type"], h["Ais-Checksum-Value"]) == ("xxhash2", op.xxh(b"old object"))


def test_versioning_access_and_reset(kiln):
    b = kh.create_bucket(kiln.url, "vr-" + uuid.uuid4().hex[:8])
    p = props(kiln, b)
    assert p["versioning"]["enabled"] is True and p["access"] == str(2**64 - 1)
    assert set_props(kiln, b, {"versioning": {"enabled": False}, "access": "15"}).status_code == 200
    p = props(kiln, b)
    assert p["versioning"]["enabled"] is False and p["access"] == "15"
    op.put(kiln.url, b, "o", b"1")
    op.put(kiln.url, b, "o", b"2")
    assert "Ais-Version" not in op.head(kiln.url, b, "o").headers
    assert set_props(kiln, b, None, "reset-bprops").status_code == 200
    p = props(kiln, b)
    assert p["versioning"]["enabled"] is True and p["access"] == str(2**64 - 1)
    op.put(kiln.url, b, "o", b"3")
    assert op.head(kiln.url, b, "o").headers["Ais-Version"] == "1"


@pytest.mark.parametrize("value,status,message", [
    ({"checksum": {"type": "md4"}}, 400,
     'invalid checksum type "md4" (expecting [crc32c md5 sha256 sha512 xxhash xxhash2 none])'),
    ({"versioning": {"enabled": "maybe"}}, 400, 'invalid bucket property "versioning.enabled"'),
    ({"versioning": {"colour": True}}, 400, 'unknown bucket property "versioning.colour"'),
    ({"lru": {"enabled": True}}, 501, 'cannot set bucket property "lru" of ais://'),
    ({"mirror": {"enabled": True, "copies": 1}}, 400, "invalid mirror.copies: 1"),
    ({"access": "lots"}, 400, 'invalid bucket property "access" = "lots"'),
    ({"nonsense": 1}, 400, 'unknown bucket property "nonsense"'),
])
def test_props_errors_leave_props_alone(kiln, value, status, message):
    b = kh.create_bucket(kiln.url, "pe-" + uuid.uuid4().hex[:8])
    before = props(kiln, b)
    r = set_props(kiln, b, {"versioning": {"enabled": False}, **value})
    assert r.status_code == status and message in op.error_message(r)
    assert props(kiln, b) == before


def test_create_bucket_with_props(kiln):
    b = "cp-" + uuid.uuid4().hex[:8]
    r = post(kiln, b, "create-bck", {"checksum": {"type": "md5"}})
    assert r.status_code == 200
    assert props(kiln, b)["checksum"]["type"] == "md5"


def summary(kiln, bucket="", prefix=""):
    path = f"{kiln.url}/v1/buckets/{bucket}"
    msg = {"action": "summary-bck", "value": {"prefix": prefix, "cached": True, "present": True}}
    r = requests.get(path, params={"provider": "ais"}, json=msg, timeout=10)
    assert r.status_code == 202, r.text
    msg["value"]["uuid"] = r.text

    def done():
        r = requests.get(path, params={"provider": "ais"}, json=msg, timeout=10)
        assert r.status_code in (200, 202), r.text
        return r.json() if r.status_code == 200 else None

    return kh.wait_until(done, 30, "bucket summary")


def test_summary_counts_and_sizes(kiln, src):
    name, objs = src
    [s] = summary(kiln, name)
    sizes = [len(d) for d in objs.values()]
    assert s["name"] == name and s["provider"] == "ais" and s["is_present"] is True
    assert s["ObjCount"] == {"obj_count_present": str(len(sizes)), "obj_count_remote": "0"}
    assert s["ObjSize"] == {"obj_min_size": min(sizes), "obj_max_size": max(sizes),
                            "obj_avg_size": (sum(sizes) + len(sizes) // 2) // len(sizes)}
    assert s["TotalSize"]["size_all_present_objs"] == str(sum(sizes))
    assert int(s["TotalSize"]["size_on_disk"]) >= sum(sizes)
    [p] = summary(kiln, name, prefix="img/")
    assert p["ObjCount"]["obj_count_present"] == str(len([n for n in objs if n.startswith("img/")]))
    everything = summary(kiln)
    assert [x["name"] for x in everything] == sorted(x["name"] for x in everything)
    assert name in [x["name"] for x in everything]


def test_bucket_info_over_head(kiln, src):
    import json

    name, objs = src
    path = f"{kiln.url}/v1/buckets/{name}"
    r = requests.head(path, params={"provider": "ais", "bsumm_remote": "true"}, timeout=10)
    assert r.status_code == 202 and "Ais-Bucket-Props" in r.headers
    xid = r.headers["Ais-Xaction-Id"]

    def done():
        r = requests.head(path, params={"provider": "ais", "bsumm_remote": "true", "uuid": xid},
                          timeout=10)
        return r if r.status_code == 200 else None

    r = kh.wait_until(done, 30, "bucket info")
    s = json.loads(r.headers["Ais-Bucket-Summ"])
    assert s["ObjCount"]["obj_count_present"] == str(len(objs))
