"""The official aistore SDK's object and bucket actions against `kilnd cluster` (run once per
pinned release): Object.copy (with and without an ETL), append writers (append_content and the
file-like writer), custom metadata, archive reads, promote, Bucket.copy, Bucket.rename,
Bucket.summary and Bucket.info. Contents and sizes are checked against what the test wrote.
"""

import hashlib
import io
import sys
import tarfile
import uuid
import zipfile
from pathlib import Path

import pytest
import requests
import xxhash
from aistore.sdk import Client
from aistore.sdk.archive_config import ArchiveConfig, ArchiveMode
from aistore.sdk.errors import AISError, ErrObjNotFound
from aistore.sdk.etl import ETLConfig
from aistore.sdk.retry_config import RetryConfig
from tenacity import Retrying, stop_after_attempt, wait_fixed
from urllib3.util.retry import Retry

HERE = Path(__file__).resolve().parent
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def client(kiln):
    retry = RetryConfig(
        http_retry=Retry(total=1, backoff_factor=0.1, status_forcelist=[429, 500, 502, 503, 504],
                         connect=0, read=0),
        network_retry=Retrying(stop=stop_after_attempt(2), wait=wait_fixed(0.2), reraise=True),
    )
    return Client(kiln.url, timeout=(3, 120), retry_config=retry)


@pytest.fixture
def pair(client):
    a = client.bucket("sa-" + uuid.uuid4().hex[:8])
    b = client.bucket("sb-" + uuid.uuid4().hex[:8])
    a.create()
    b.create()
    yield a, b
    for x in (a, b):
        x.delete(missing_ok=True)


def read(obj) -> bytes:
    return obj.get_reader().read_all()


def missing(obj) -> bool:
    try:
        read(obj)
        return False
    except ErrObjNotFound:
        return True


@pytest.mark.covers("Object.copy", "Object.copy (other bucket)")
def test_object_copy(pair):
    a, b = pair
    a.object("o.txt").get_writer().put_content(b"copy me")
    a.object("o.txt").copy(b.object("o2.txt"))
    a.object("o.txt").copy(a.object("dir/o3.txt"))
    assert read(b.object("o2.txt")) == read(a.object("dir/o3.txt")) == b"copy me"
    assert read(a.object("o.txt")) == b"copy me"
    with pytest.raises(ErrObjNotFound):
        a.object("nope").copy(b.object("x"))
    assert missing(b.object("x"))


@pytest.fixture(scope="module")
def rev(client):
    etl = client.etl("sdk-act-rev")
    etl.init(image=f"aistorage/runtime_python:{PY}", comm_type="hpush", init_timeout="2m",
             command=["python3", str(HERE / "etl_servers" / "reverse_server.py"), "--port", "8000"])
    yield etl
    try:
        etl.delete()
    except AISError:
        pass


@pytest.mark.covers("Object.copy (etl)")
def test_object_copy_through_an_etl(pair, rev):
    a, b = pair
    a.object("o.txt").get_writer().put_content(b"abcdef")
    a.object("o.txt").copy(b.object("t.txt"), etl=ETLConfig(rev.name))
    a.object("o.txt").copy(a.object("t.txt"), etl=ETLConfig(rev.name, args="XY"))
    assert read(b.object("t.txt")) == b"fedcba"
    assert read(a.object("t.txt")) == b"fedcbaXY"
    assert read(a.object("o.txt")) == b"abcdef"


@pytest.mark.covers("ObjectWriter.append_content", "ObjectWriter.append_content (flush)")
def test_append_content(pair):
    a, _ = pair
    w = a.object("log").get_writer()
    handle = w.append_content(b"one\n")
    handle = w.append_content(b"two\n", handle=handle)
    assert missing(a.object("log"))
    w.append_content(b"", handle=handle, flush=True)
    assert read(a.object("log")) == b"one\ntwo\n"
    handle = w.append_content(b"three\n")  # continues the object
    w.append_content(b"", handle=handle, flush=True)
    assert read(a.object("log")) == b"one\ntwo\nthree\n"


@pytest.mark.covers("ObjectWriter.as_file (ObjectFileWriter)")
def test_file_writer(pair):
    a, _ = pair
    a.object("f").get_writer().put_content(b"start;")
    with a.object("f").get_writer().as_file(mode="a") as f:
        for i in range(5):
            f.write(f"line {i};".encode())
    assert read(a.object("f")) == b"start;" + b"".join(f"line {i};".encode() for i in range(5))
    with a.object("f").get_writer().as_file(mode="w") as f:
        f.write(b"fresh")
    assert read(a.object("f")) == b"fresh"


@pytest.mark.covers("ObjectWriter.set_custom_props", "Object.props (custom metadata)")
def test_custom_props(pair):
    a, _ = pair
    obj = a.object("c")
    obj.get_writer().put_content(b"x")
    obj.get_writer().set_custom_props({"team": "kiln", "tier": "hot"})
    obj.get_writer().set_custom_props({"tier": "cold"})
    assert obj.props.custom_metadata == {"team": "kiln", "tier": "cold"}
    obj.get_writer().set_custom_props({"only": "this"}, replace_existing=True)
    assert a.object("c").props.custom_metadata == {"only": "this"}
    assert read(obj) == b"x"


MEMBERS = {"a.txt": b"alpha", "logs/x.log": b"xlog", "logs/y.log": b"ylog"}


def tar_bytes() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for n, d in MEMBERS.items():
            i = tarfile.TarInfo(n)
            i.size = len(d)
            t.addfile(i, io.BytesIO(d))
    return buf.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in MEMBERS.items():
            z.writestr(n, d)
    return buf.getvalue()


@pytest.mark.covers("Object.get_reader (archive_config archpath)",
                    "Object.get_reader (archive_config regex, mode)")
@pytest.mark.parametrize("name,make", [("s.tgz", tar_bytes), ("s.zip", zip_bytes)])
def test_archive_reads(pair, name, make):
    a, _ = pair
    a.object(name).get_writer().put_content(make())
    got = a.object(name).get_reader(archive_config=ArchiveConfig(archpath="logs/y.log")).read_all()
    assert got == b"ylog"
    raw = a.object(name).get_reader(
        archive_config=ArchiveConfig(regex=".log", mode=ArchiveMode.SUFFIX)).read_all()
    with tarfile.open(fileobj=io.BytesIO(raw)) as t:
        assert {m.name: t.extractfile(m).read() for m in t.getmembers()} == \
            {n: d for n, d in MEMBERS.items() if n.endswith(".log")}


@pytest.mark.covers("Object.promote")
def test_promote(pair, kiln):
    a, _ = pair
    root = kiln.data / "promote" / a.name
    (root / "d").mkdir(parents=True)
    (root / "d" / "p.bin").write_bytes(b"promoted")
    (root / "f.txt").write_bytes(b"file")
    a.object("named.txt").promote(str(root / "f.txt"))
    a.object("pre/").promote(str(root / "d"), recursive=True)
    assert read(a.object("named.txt")) == b"file"
    assert read(a.object("pre/p.bin")) == b"promoted"


def fill(bucket, count=12):
    data = {f"{'x' if i % 2 else 'y'}/o{i}": hashlib.sha256(bytes([i])).digest() * (i + 1)
            for i in range(count)}
    for n, d in data.items():
        bucket.object(n).get_writer().put_content(d)
    return data


def contents(bucket) -> dict:
    return {e.name: read(bucket.object(e.name)) for e in bucket.list_all_objects()}


@pytest.mark.covers("Bucket.copy", "Bucket.copy (prefix_filter, prepend)", "Bucket.copy (dry_run)",
                    "Job.wait (copy-bck)")
def test_bucket_copy(client, pair):
    a, b = pair
    data = fill(a)
    client.job(a.copy(b)).wait(timeout=60)
    assert contents(b) == data
    c = client.bucket(b.name + "-p")
    client.job(a.copy(c, prefix_filter="x/", prepend="new/")).wait(timeout=60)
    assert contents(c) == {"new/" + n: d for n, d in data.items() if n.startswith("x/")}
    d = client.bucket(b.name + "-dry")
    client.job(a.copy(d, dry_run=True)).wait(timeout=60)
    with pytest.raises(AISError):
        d.head()
    c.delete()


@pytest.mark.covers("Bucket.rename")
def test_bucket_rename(client, pair):
    a, _ = pair
    data = fill(a)
    old = a.name
    job = a.rename(old + "-r")
    client.job(job).wait(timeout=60)
    assert a.name == old + "-r"
    assert contents(a) == data
    with pytest.raises(AISError):
        client.bucket(old).head()


@pytest.mark.covers("Bucket.summary", "Bucket.info")
def test_bucket_summary_and_info(pair):
    a, _ = pair
    data = fill(a)
    sizes = [len(d) for d in data.values()]
    s = a.summary()
    assert s["ObjCount"]["obj_count_present"] == str(len(sizes))
    assert s["TotalSize"]["size_all_present_objs"] == str(sum(sizes))
    assert s["ObjSize"]["obj_min_size"] == min(sizes) and s["ObjSize"]["obj_max_size"] == max(sizes)
    props, info = a.info()
    assert '"checksum"' in props
    assert info["ObjCount"]["obj_count_present"] == str(len(sizes))


@pytest.mark.covers("Object.head (checksum of the bucket's type)")
def test_checksum_type_of_the_bucket(kiln, pair):
    a, _ = pair
    a.object("x").get_writer().put_content(b"xx me")
    assert a.object("x").props.checksum_value == xxhash.xxh64(b"xx me").hexdigest()
    # The SDK has no set-props call; the bucket's checksum type is set over the REST API.
    r = requests.patch(f"{kiln.url}/v1/buckets/{a.name}", params={"provider": "ais"},
                       json={"action": "set-bprops", "value": {"checksum": {"type": "md5"}}},
                       timeout=10)
    assert r.status_code == 200, r.text
    a.object("m").get_writer().put_content(b"md5 me")
    props = a.object("m").props
    assert props.checksum_type == "md5"
    assert props.checksum_value == hashlib.md5(b"md5 me").hexdigest()
