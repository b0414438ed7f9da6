"""The official aistore Python SDK (1.25.0) against `kilnd cluster`: buckets, objects, listing
with paging, direct reads (the SDK computes HRW itself), cluster calls, and the SDK's error
classes, which it derives from Kiln's status codes and message texts.
"""

import random
from collections.abc import Mapping
from urllib.parse import urlsplit

import pytest
import requests
import xxhash
from aistore.sdk.errors import AISError, ErrBckAlreadyExists, ErrBckNotFound, ErrObjNotFound

import kilnharness as kh
from sdkclient import fail_fast_client


@pytest.fixture(scope="module")
def client(kiln):
    return fail_fast_client(kiln.url, read_timeout=30)


def head_object(obj) -> tuple[int, str, str, str]:
    """(size, checksum type, checksum value, version) from an object HEAD: SDK 1.x returns the
    headers, 2.x an ObjectAttributes over them (and asks for the props it wants)."""
    h = obj.head()
    if isinstance(h, Mapping):
        return (int(h["Content-Length"]), h["Ais-Checksum-Type"], h["Ais-Checksum-Value"],
                h.get("Ais-Version", ""))
    h = obj.head(props="size,checksum,version")
    return h.size, h.checksum_type, h.checksum_value, h.obj_version


@pytest.fixture
def bucket(client, request):
    name = "sdk-" + request.node.name.replace("_", "-")[5:40].strip("-")
    b = client.bucket(name)
    b.create(exist_ok=True)
    yield b
    b.delete(missing_ok=True)


@pytest.mark.covers("Cluster.get_info", "Cluster.get_primary_url", "Cluster.get_uuid", "Cluster.is_ready")
def test_cluster_info_and_readiness(client, kiln):
    smap = client.cluster().get_info()
    assert len(smap.tmap) == 3 and len(smap.pmap) == 1
    assert smap.proxy_si.daemon_type == "proxy"
    assert urlsplit(smap.proxy_si.public_net.direct_url).port == urlsplit(kiln.url).port
    assert all(t.daemon_type == "target" and t.id_digest for t in smap.tmap.values())
    assert client.cluster().get_primary_url() == kiln.url
    assert client.cluster().get_uuid() == smap.uuid != ""
    assert client.cluster().is_ready() is True


@pytest.mark.covers("Bucket.create (exist_ok; taken -> ErrBckAlreadyExists)", "Bucket.head", "Bucket.delete (missing_ok; missing -> ErrBckNotFound)", "Cluster.list_buckets")
def test_bucket_lifecycle_and_errors(client):
    b = client.bucket("sdk-lifecycle")
    assert "sdk-lifecycle" not in [x.name for x in client.cluster().list_buckets()]
    b.create()
    with pytest.raises(ErrBckAlreadyExists):
        b.create()
    b.create(exist_ok=True)
    listed = client.cluster().list_buckets()
    assert "sdk-lifecycle" in [x.name for x in listed]
    assert all(x.provider == "ais" for x in listed)
    headers = b.head()
    assert "Ais-Bucket-Props" in headers
    b.delete()
    with pytest.raises(ErrBckNotFound):
        b.delete()
    b.delete(missing_ok=True)
    assert "sdk-lifecycle" not in [x.name for x in client.cluster().list_buckets()]


@pytest.mark.covers("Bucket.list_objects (missing -> ErrBckNotFound)", "ObjectReader.read_all (missing bucket -> ErrBckNotFound)", "ObjectWriter.put_content (missing bucket -> ErrBckNotFound)")
def test_missing_bucket_errors(client):
    b = client.bucket("sdk-never-created")
    with pytest.raises(ErrBckNotFound):
        b.list_objects()
    with pytest.raises(ErrBckNotFound):
        b.object("o").get_reader().read_all()
    with pytest.raises(ErrBckNotFound):
        b.object("o").get_writer().put_content(b"x")
    with pytest.raises(AISError) as e:
        b.head()  # HEAD has no body: the SDK sees only the status
    assert e.value.status_code == 404


@pytest.mark.covers("ObjectWriter.put_content", "ObjectReader.read_all", "Object.head", "ObjectReader.attributes", "Object.get_reader (byte_range)", "Object.delete (missing -> ErrObjNotFound)")
def test_put_get_head_delete(bucket):
    data = random.randbytes(300_000)
    obj = bucket.object("dir/sub dir/ünïcode obj.bin")
    obj.get_writer().put_content(data)
    assert obj.get_reader().read_all() == data
    assert head_object(obj)[:3] == (len(data), "xxhash2", xxhash.xxh64(data).hexdigest())
    attrs = obj.get_reader().attributes
    assert attrs.size == len(data)
    assert attrs.checksum_type == "xxhash2"
    assert attrs.checksum_value == xxhash.xxh64(data).hexdigest()
    assert obj.get_reader(byte_range="bytes=10-19").read_all() == data[10:20]

    obj.get_writer().put_content(b"v2")
    assert obj.get_reader().read_all() == b"v2"
    assert head_object(obj)[3] == "2"

    obj.delete()
    with pytest.raises(ErrObjNotFound):
        obj.get_reader().read_all()
    with pytest.raises(ErrObjNotFound):
        obj.delete()
    with pytest.raises(AISError) as e:
        obj.head()
    assert e.value.status_code == 404


@pytest.mark.covers("ObjectWriter.put_content (empty)")
def test_empty_object(bucket):
    obj = bucket.object("empty")
    obj.get_writer().put_content(b"")
    assert obj.get_reader().read_all() == b""
    assert head_object(obj)[0] == 0


@pytest.mark.covers("Bucket.list_objects (paging)", "Bucket.list_objects_iter", "Bucket.list_all_objects")
def test_list_objects_pages(bucket):
    names = sorted(f"p{i % 3}/obj-{i:03d}" for i in range(250))
    for n in names:
        bucket.object(n).get_writer().put_content(n.encode())

    first = bucket.list_objects(page_size=100)
    assert len(first.entries) == 100
    assert first.continuation_token
    seen = [e.name for e in first.entries]
    page = first
    while page.continuation_token:
        page = bucket.list_objects(page_size=100, uuid=page.uuid,
                                   continuation_token=page.continuation_token)
        assert len(page.entries) <= 100
        seen += [e.name for e in page.entries]
    assert sorted(seen) == names and len(seen) == len(set(seen))

    every = bucket.list_all_objects(page_size=37)
    assert sorted(e.name for e in every) == names
    assert all(e.size == len(e.name) for e in every)
    p1 = bucket.list_all_objects(prefix="p1/", page_size=10)
    assert sorted(e.name for e in p1) == [n for n in names if n.startswith("p1/")]
    assert sorted(e.name for e in bucket.list_objects_iter(prefix="p2/", page_size=7)) == [
        n for n in names if n.startswith("p2/")]
    assert bucket.list_all_objects(prefix="nothing-here/") == []


@pytest.mark.covers("Smap.get_target_for_object", "Object.get_reader (direct=True)")
def test_direct_reads_pick_the_same_target_as_kiln(bucket, client, kiln):
    """The SDK's own HRW (xxhash64 of the uname, seeded, XOR id_digest, xoshiro) must land on
    the target the proxy redirects to, or direct reads miss."""
    smap = client.cluster().get_info()
    rng = random.Random(5)
    objs = {f"direct/{i}-{rng.random():.6f} ü": rng.randbytes(rng.randint(0, 5000))
            for i in range(60)}
    per_target = {}
    for name, data in objs.items():
        obj = bucket.object(name)
        obj.get_writer().put_content(data)
        sdk_choice = smap.get_target_for_object(obj.uname)
        r = requests.get(kiln.url + kh.obj_path(bucket.name, name), params={"provider": "ais"},
                         allow_redirects=False, timeout=10)
        assert r.status_code == 301
        kiln_port = urlsplit(r.headers["Location"]).port
        assert kiln_port == urlsplit(sdk_choice.public_net.direct_url).port, name
        per_target[sdk_choice.daemon_id] = per_target.get(sdk_choice.daemon_id, 0) + 1
        assert obj.get_reader(direct=True).read_all() == data
    assert len(per_target) == 3, per_target


@pytest.mark.covers("ObjectReader.read_all (missing object -> ErrObjNotFound)")
def test_object_not_found_vs_bucket_not_found(bucket, client):
    with pytest.raises(ErrObjNotFound) as e:
        bucket.object("nope/nothing").get_reader().read_all()
    assert e.value.status_code == 404
    with pytest.raises(ErrBckNotFound):
        client.bucket("sdk-absent").object("nothing").get_reader().read_all()
