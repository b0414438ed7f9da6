"""Objects through the proxy of a 3-target cluster: PUT/GET/HEAD/DELETE, list-objects paging in
JSON and msgpack, Range reads, and HRW placement (one copy, on the target the proxy redirects to).
"""

import random
from urllib.parse import parse_qs, unquote, urlsplit

import msgpack
import pytest
import requests
import xxhash

import kilnharness as kh
from jobapi import parallel

COUNT = 1000
MAX_SIZE = 64 * 1024
# Names a client may legitimately use: virtual folders, spaces, non-ASCII (in and outside the
# BMP, which also tests that listing order is the same everywhere), and characters that mean
# something in a URL once they are percent-encoded.
DIRS = ["", "dir0/", "dir1/sub/", "dir2/a b/", "dïr3/ünï côdé/", "dir4/深い/パス/",
        "dir5/x/y/z/"]
DECOR = ["", " ", "  two  spaces", " ü", "é", "漢字", "😀", "ｆｕｌｌ", "+plus", "%25",
         "#hash", "?q=1&a=b", ";semi", "(1)", "~tilde", "'quote'", "[br]"]


def make_objects(seed=1234):
    rng = random.Random(seed)
    objs = {}
    for i in range(COUNT):
        size = 0 if i % 250 == 0 else MAX_SIZE if i % 250 == 1 else rng.randint(0, MAX_SIZE)
        name = f"{rng.choice(DIRS)}obj{rng.choice(DECOR)} {i:04d}{rng.choice(DECOR)}.bin"
        objs[name] = rng.randbytes(size)
    return objs


def url_of(cluster, bucket, name):
    return cluster.url + kh.obj_path(bucket, name)


@pytest.fixture(scope="module")
def dataset(module_cluster):
    """1000 objects PUT through the proxy (requests follows the 307 to the target)."""
    bucket = kh.create_bucket(module_cluster.url, "objects")
    objs = make_objects()

    def put(s, item):
        name, data = item
        r = s.put(url_of(module_cluster, bucket, name), data=data, params={"provider": "ais"},
                  timeout=30)
        return name, r.status_code, r.text

    bad = [x for x in parallel(put, objs.items(), workers=4) if x[1] != 200]
    assert not bad, f"{len(bad)} PUTs failed, first: {bad[:3]}"
    return bucket, objs


def test_get_returns_the_exact_bytes(module_cluster, dataset):
    bucket, objs = dataset

    def get(s, name):
        r = s.get(url_of(module_cluster, bucket, name), params={"provider": "ais"}, timeout=30)
        return name, r.status_code, r.content

    wrong = [(n, st, len(body)) for n, st, body in parallel(get, objs, workers=4)
             if st != 200 or body != objs[n]]
    assert not wrong, f"{len(wrong)} of {COUNT} GETs wrong (name, status, length): {wrong[:5]}"


def test_head_reports_size_checksum_and_version(module_cluster, dataset):
    bucket, objs = dataset

    def head(s, name):
        r = s.head(url_of(module_cluster, bucket, name), params={"provider": "ais"},
                   allow_redirects=True, timeout=30)
        return name, r.status_code, r.headers

    problems = []
    for name, status, h in parallel(head, objs, workers=4):
        want = {"status": 200, "Content-Length": str(len(objs[name])),
                "Ais-Checksum-Type": "xxhash2",
                "Ais-Checksum-Value": xxhash.xxh64(objs[name]).hexdigest(),
                "Ais-Version": "1"}
        got = {"status": status, **{k: h.get(k) for k in want if k != "status"}}
        if got != want:
            problems.append((name, got, want))
    assert not problems, f"{len(problems)} HEADs wrong, first (name, got, want): {problems[:2]}"


def test_overwrite_bumps_version_and_replaces_bytes(module_cluster, bucket, http):
    url = url_of(module_cluster, bucket, "över/write me.bin")
    first, second = random.randbytes(5000), random.randbytes(7001)
    assert http.put(url, data=first, timeout=30).status_code == 200
    h = http.head(url, allow_redirects=True, timeout=30).headers
    assert (h["Ais-Version"], h["Content-Length"]) == ("1", "5000")
    assert http.put(url, data=second, timeout=30).status_code == 200
    h = http.head(url, allow_redirects=True, timeout=30).headers
    assert h["Ais-Version"] == "2"
    assert h["Content-Length"] == "7001"
    assert h["Ais-Checksum-Value"] == xxhash.xxh64(second).hexdigest()
    assert http.get(url, timeout=30).content == second


def test_concurrent_overwrites_leave_one_whole_version(module_cluster, bucket):
    """Racing PUTs of one name: readers see exactly one writer's bytes, with its checksum."""
    url = url_of(module_cluster, bucket, "contended")
    payloads = [bytes([i]) * (200_000 + i * 1000) for i in range(12)]
    results = parallel(lambda s, data: s.put(url, data=data, timeout=60).status_code, payloads,
                       workers=6)
    assert results == [200] * len(payloads)
    r = requests.get(url, timeout=30)
    assert r.content in payloads, (len(r.content), r.content[:1])
    h = requests.head(url, allow_redirects=True, timeout=30).headers
    assert h["Content-Length"] == str(len(r.content))
    assert h["Ais-Checksum-Value"] == xxhash.xxh64(r.content).hexdigest()
    # Like AIS, every committed PUT bumps the version, racing or not (it is taken at commit).
    assert h["Ais-Version"] == str(len(payloads)), "a concurrent PUT's version bump was lost"
    for t in module_cluster.targets:
        assert not [p for p in t.tmp_dir.rglob("*") if p.is_file()], t.name


def owner_port(cluster, bucket, name):
    r = requests.head(url_of(cluster, bucket, name), allow_redirects=False, timeout=10)
    return urlsplit(r.headers["Location"]).port


def test_name_colliding_with_a_virtual_directory_is_409(module_cluster, bucket, http):
    """`x` and `x/y` cannot both be files on one disk: when HRW puts both on the same target,
    the second PUT fails cleanly, whichever came first."""
    pairs = []
    for i in range(200):
        a, b = f"c{i}", f"c{i}/leaf"
        if owner_port(module_cluster, bucket, a) == owner_port(module_cluster, bucket, b):
            pairs.append((a, b) if len(pairs) % 2 == 0 else (b, a))
        if len(pairs) == 2:
            break
    assert len(pairs) == 2, "no two colliding names on one target among 200 (HRW broken?)"
    for first, second in pairs:
        assert http.put(url_of(module_cluster, bucket, first), data=b"1", timeout=30).ok
        r = http.put(url_of(module_cluster, bucket, second), data=b"2", timeout=30)
        assert r.status_code == 409, (second, r.status_code, r.text)
        assert r.json()["message"]
        assert http.get(url_of(module_cluster, bucket, first), timeout=30).content == b"1"
        assert http.get(url_of(module_cluster, bucket, second), timeout=30).status_code == 404
    for t in module_cluster.targets:
        assert not [p for p in t.tmp_dir.rglob("*") if p.is_file()], t.name


def list_page_json(cluster, bucket, **lso):
    r = requests.get(f"{cluster.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                     json={"action": "list", "name": "", "value": lso}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def list_page_msgpack(cluster, bucket, **lso):
    r = requests.get(f"{cluster.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                     json={"action": "list", "name": "", "value": lso},
                     headers={"Accept": "application/msgpack"}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/msgpack"
    return msgpack.unpackb(r.content, raw=False)


def list_all_json(cluster, bucket, prefix, page_size):
    """Pages through a listing the way the SDK does; returns [(entries of page)...]."""
    pages, uuid, token = [], "", ""
    for _ in range(COUNT + 2):  # a listing that never ends is a failure, not a hang
        page = list_page_json(cluster, bucket, prefix=prefix, pagesize=page_size, uuid=uuid,
                              continuation_token=token, props="name,size,checksum,version",
                              flags="0")
        assert set(page) >= {"uuid", "continuation_token", "entries", "flags"}, page.keys()
        pages.append(page["entries"] or [])
        uuid, token = page["uuid"], page["continuation_token"]
        assert uuid, "the first page must start a listing session (uuid)"
        if not token:
            return pages
    pytest.fail("continuation token never became empty")


def list_all_msgpack(cluster, bucket, prefix, page_size):
    pages, uuid, token = [], "", ""
    for _ in range(COUNT + 2):
        page = list_page_msgpack(cluster, bucket, prefix=prefix, pagesize=page_size, uuid=uuid,
                                 continuation_token=token, props="name,size,checksum,version",
                                 flags="0")
        assert {"UUID", "ContinuationToken", "Entries", "Flags"} <= set(page), page.keys()
        pages.append(page["Entries"] or [])
        uuid, token = page["UUID"], page["ContinuationToken"]
        if not token:
            return pages
    pytest.fail("continuation token never became empty")


PREFIXES = ["", "dir1/", "dïr3/ünï", "dir4/深い/", "obj", "no-such-prefix/"]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("page_size", [97, 1000, 0])
def test_list_objects_json_visits_each_name_once(module_cluster, dataset, prefix, page_size):
    bucket, objs = dataset
    pages = list_all_json(module_cluster, bucket, prefix, page_size)
    expected = {n: d for n, d in objs.items() if n.startswith(prefix)}
    names = [e["name"] for p in pages for e in p]
    if page_size:
        assert all(len(p) <= page_size for p in pages), [len(p) for p in pages]
        assert all(pages[:-1]), "an empty page before the last"
        assert len(pages) >= -(-len(expected) // page_size)
    assert len(names) == len(set(names)), "a name was listed twice"
    missing, extra = set(expected) - set(names), set(names) - set(expected)
    assert not missing and not extra, f"missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
    for e in (e for p in pages for e in p):
        # Go's `,string` tag: the JSON form carries the size as a string, and leaves out 0.
        assert e.get("size", "0") == str(len(objs[e["name"]])), e
        assert e.get("size") != "0", e
        assert e["checksum"] == xxhash.xxh64(objs[e["name"]]).hexdigest(), e
        assert e["version"] == "1", e


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("page_size", [97, 1000])
def test_list_objects_msgpack_visits_each_name_once(module_cluster, dataset, prefix, page_size):
    bucket, objs = dataset
    pages = list_all_msgpack(module_cluster, bucket, prefix, page_size)
    expected = {n for n in objs if n.startswith(prefix)}
    names = [e["n"] for p in pages for e in p]
    assert all(len(p) <= page_size for p in pages), [len(p) for p in pages]
    assert all(pages[:-1]), "an empty page before the last"
    assert len(names) == len(set(names)), "a name was listed twice"
    assert set(names) == expected
    for e in (e for p in pages for e in p):
        data = objs[e["n"]]
        assert e.get("s", 0) == len(data), e  # omitted when empty, like AIS's omitempty
        assert e["cs"] == xxhash.xxh64(data).hexdigest(), e
        assert e["v"] == "1", e


def test_list_objects_in_ais_order(module_cluster, dataset):
    """AIS lists in Go string order (UTF-8 bytes = code points), also across page boundaries."""
    bucket, objs = dataset
    names = [e["n"] for p in list_all_msgpack(module_cluster, bucket, "", 89) for e in p]
    assert names == sorted(objs, key=lambda n: n.encode()), "listing order differs from AIS"


def test_list_objects_of_empty_bucket_has_no_entries(module_cluster, bucket):
    page = list_page_json(module_cluster, bucket, prefix="", pagesize=0, uuid="",
                          continuation_token="", props="name", flags="0")
    assert not page["entries"] and page["continuation_token"] == ""
    page = list_page_msgpack(module_cluster, bucket, prefix="", pagesize=0, props="name")
    assert not page["Entries"] and page["ContinuationToken"] == ""


def test_delete_then_get_is_404_with_ais_error(module_cluster, bucket, http):
    name = "to be/deleted ü.txt"
    url = url_of(module_cluster, bucket, name)
    assert http.put(url, data=b"bye", params={"provider": "ais"}, timeout=30).status_code == 200
    r = http.delete(url, params={"provider": "ais"}, timeout=30)
    assert r.status_code == 200, r.text
    r = http.get(url, params={"provider": "ais"}, timeout=30)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    err = r.json()
    assert f"ais://{bucket}/{name}" in err["message"], err
    assert "does not exist" in err["message"], err
    assert err["status"] == 404, err
    # The SDK classifies by the raw body text: `ais://b/o` must appear unescaped there too.
    assert f"ais://{bucket}/".encode() in r.content
    r = http.head(url, allow_redirects=True, timeout=30)
    assert r.status_code == 404
    assert http.delete(url, timeout=30).status_code == 404
    names = [e["name"] for e in list_page_json(module_cluster, bucket, props="name")["entries"]]
    assert name not in names


def test_get_from_missing_bucket_is_404_naming_the_bucket(module_cluster, http):
    r = http.get(url_of(module_cluster, "no-such-bucket", "o"), timeout=30)
    assert r.status_code == 404
    assert 'bucket "ais://no-such-bucket" does not exist' in r.json()["message"]


RANGE_SIZE = 10000


@pytest.fixture(scope="module")
def range_object(module_cluster):
    bucket = kh.create_bucket(module_cluster.url, "ranges")
    data = random.Random(7).randbytes(RANGE_SIZE)
    for name, body in (("ten-k", data), ("empty", b"")):
        r = requests.put(url_of(module_cluster, bucket, name), data=body, timeout=30)
        assert r.status_code == 200, r.text
    return bucket, data


@pytest.mark.parametrize("header, start, end", [
    ("bytes=0-0", 0, 0),
    ("bytes=100-199", 100, 199),
    ("bytes=9990-20000", 9990, 9999),   # end past the object: clamped
    ("bytes=5000-", 5000, 9999),
    ("bytes=-100", 9900, 9999),         # suffix: the last 100 bytes
    ("bytes=-20000", 0, 9999),          # suffix longer than the object: all of it
    ("bytes=9999-9999", 9999, 9999),
])
def test_range_read(module_cluster, range_object, http, header, start, end):
    bucket, data = range_object
    r = http.get(url_of(module_cluster, bucket, "ten-k"), headers={"Range": header}, timeout=30)
    assert r.status_code == 206, r.text
    assert r.headers["Content-Range"] == f"bytes {start}-{end}/{RANGE_SIZE}"
    assert r.headers["Content-Length"] == str(end - start + 1)
    assert r.content == data[start:end + 1]


@pytest.mark.parametrize("name, header", [
    ("ten-k", "bytes=10000-"),
    ("ten-k", "bytes=10000-10005"),
    ("ten-k", "bytes=-0"),
    ("empty", "bytes=0-"),
])
def test_unsatisfiable_range_is_416(module_cluster, range_object, http, name, header):
    bucket, data = range_object
    r = http.get(url_of(module_cluster, bucket, name), headers={"Range": header}, timeout=30)
    assert r.status_code == 416, (r.status_code, r.headers)
    size = RANGE_SIZE if name == "ten-k" else 0
    assert r.headers["Content-Range"] == f"bytes */{size}"


def test_get_without_range_is_200_whole(module_cluster, range_object, http):
    bucket, data = range_object
    r = http.get(url_of(module_cluster, bucket, "ten-k"), timeout=30)
    assert r.status_code == 200 and r.content == data and "Content-Range" not in r.headers


def holders(cluster, bucket, name):
    return [t for t in cluster.targets if (t.bucket_dir(bucket) / name).is_file()]


def test_each_object_is_stored_on_exactly_one_target(module_cluster, dataset):
    bucket, objs = dataset
    per_target = {t.name: 0 for t in module_cluster.targets}
    for name, data in objs.items():
        found = holders(module_cluster, bucket, name)
        assert len(found) == 1, f"{name!r} is on {[t.name for t in found]}"
        assert (found[0].bucket_dir(bucket) / name).read_bytes() == data, name
        per_target[found[0].name] += 1
    # HRW spreads 1000 names over 3 targets roughly evenly; a target with almost nothing means
    # the proxy is not hashing over the whole map.
    assert min(per_target.values()) > COUNT // 6, per_target


def test_proxy_redirects_every_method_to_the_owning_target(module_cluster, dataset):
    bucket, objs = dataset
    sample = sorted(objs)[::40]
    with requests.Session() as s:
        for name in sample:
            (owner,) = holders(module_cluster, bucket, name)
            path = kh.obj_path(bucket, name)
            for method, want in (("GET", 301), ("HEAD", 307), ("PUT", 307), ("DELETE", 307)):
                r = s.request(method, module_cluster.url + path, params={"provider": "ais"},
                              allow_redirects=False, timeout=30)
                assert r.status_code == want, (method, name, r.status_code, r.text)
                loc = urlsplit(r.headers["Location"])
                assert loc.port == owner.port(), (method, name, r.headers["Location"], owner.name)
                assert loc.path == path, (loc.path, path)
                assert unquote(loc.path) == unquote(path)
                q = parse_qs(loc.query)
                assert q.get("provider") == ["ais"], loc.query
                assert q.get("pid") == [module_cluster.smap()["proxy_si"]["daemon_id"]], loc.query
                assert q.get("utm") and int(q["utm"][0], 36) > 0, loc.query
    # Nothing above followed a redirect: every object is still there, once.
    assert all(len(holders(module_cluster, bucket, n)) == 1 for n in sample)
