"""Reading inside shards (GET ?archpath= for one archived file, ?archregx=&archmode= for a TAR of
the matches) of .tar, .tgz, .zip and .tar.lz4 objects, and promote (files on the targets'
filesystem, under the cluster's promote root, become objects), on a 3-target `kilnd cluster`.
Shards are built here with Python's tarfile/zipfile and the lz4 tool; every answer is compared
with the bytes that went in."""

import io
import random
import subprocess
import tarfile
import uuid
import zipfile

import pytest
import requests

import kilnharness as kh
import objectops as op

rng = random.Random(7)
MEMBERS = {
    "a.txt": b"alpha\n",
    "dir/b.bin": rng.randbytes(300_000),
    "dir/c.json": b'{"c": 3}',
    "dir/sub/d.txt": b"delta " * 1000,
    "empty": b"",
}


def make_tar(mode: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def make_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in MEMBERS.items():
            z.writestr(name, data)
    return buf.getvalue()


def make_lz4() -> bytes:
    return subprocess.run(["lz4", "-c", "-q"], input=make_tar("w"), capture_output=True,
                          check=True).stdout


SHARDS = {"s.tar": lambda: make_tar("w"), "s.tgz": lambda: make_tar("w:gz"),
          "s.tar.gz": lambda: make_tar("w:gz"), "s.zip": make_zip, "s.tar.lz4": make_lz4}


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    with kh.running_supervisor(tmp_path_factory.mktemp("archive")) as sup:
        yield sup


@pytest.fixture(scope="module")
def shards(kiln):
    bucket = kh.create_bucket(kiln.url, "shards")
    for name, make in SHARDS.items():
        op.put(kiln.url, bucket, name, make())
    op.put(kiln.url, bucket, "noext", make_tar("w:gz"))
    return bucket


@pytest.mark.parametrize("shard", list(SHARDS))
@pytest.mark.parametrize("member", list(MEMBERS))
def test_archpath_reads_one_member(kiln, shards, shard, member):
    r = op.get(kiln.url, shards, shard, archpath=member)
    assert r.status_code == 200, r.text
    assert r.content == MEMBERS[member]
    assert r.headers["Content-Type"] == "application/octet-stream"


def test_archpath_with_a_leading_slash_and_format_from_the_bytes(kiln, shards):
    assert op.get(kiln.url, shards, "s.tar", archpath="/a.txt").content == MEMBERS["a.txt"]
    # No extension: the first bytes tell a gzip'd TAR, as AIS sniffs them.
    assert op.get(kiln.url, shards, "noext", archpath="a.txt").content == MEMBERS["a.txt"]
    r = op.get(kiln.url, shards, "noext", archpath="a.txt", archmime="application/x-tgz")
    assert r.content == MEMBERS["a.txt"]


def test_missing_member_and_non_archive(kiln, shards):
    r = op.get(kiln.url, shards, "s.tgz", archpath="nope.txt")
    assert r.status_code == 404
    assert op.error_message(r).endswith(f": nope.txt in ais://{shards}/s.tgz does not exist")
    op.put(kiln.url, shards, "plain.txt", b"just text, not a shard")
    r = op.get(kiln.url, shards, "plain.txt", archpath="x")
    assert r.status_code == 400
    assert 'unrecognized or unsupported file format: "plain.txt"' in op.error_message(r)
    r = op.get(kiln.url, shards, "s.tar", archpath="a.txt", archmime="application/x-rar")
    assert r.status_code == 400
    assert op.error_message(r) == 'unknown mime type "application/x-rar"'


@pytest.mark.parametrize("shard", ["s.tar", "s.tgz", "s.zip"])
@pytest.mark.parametrize("regx,mode,want", [
    ("dir/", "prefix", ["dir/b.bin", "dir/c.json", "dir/sub/d.txt"]),
    (".txt", "suffix", ["a.txt", "dir/sub/d.txt"]),
    ("sub", "substr", ["dir/sub/d.txt"]),
    (r"^dir/[bc]\.", "regexp", ["dir/b.bin", "dir/c.json"]),
    ("dir/c", "wdskey", ["dir/c.json"]),
    ("", "prefix", list(MEMBERS)),
])
def test_archregx_answers_a_tar_of_the_matches(kiln, shards, shard, regx, mode, want):
    r = op.get(kiln.url, shards, shard, archregx=regx, archmode=mode)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(r.content)) as tar:
        got = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    assert got == {n: MEMBERS[n] for n in want}


def test_archive_read_errors(kiln, shards):
    r = op.get(kiln.url, shards, "s.tar", archregx="zzz", archmode="prefix")
    assert r.status_code == 404
    assert "(archregx=zzz, archmode=prefix) in ais://" in op.error_message(r)
    r = op.get(kiln.url, shards, "s.tar", archregx="a", archmode="fuzzy")
    assert r.status_code == 400
    assert 'invalid matching mode "fuzzy"' in op.error_message(r)
    r = op.get(kiln.url, shards, "s.tar", archpath="a.txt", archregx="a", archmode="prefix")
    assert r.status_code == 400 and "mutually exclusive" in op.error_message(r)
    r = requests.get(op.url(kiln.url, shards, "s.tar"), headers={"Range": "bytes=0-1"},
                     params={"provider": "ais", "archpath": "a.txt"}, timeout=30)
    assert r.status_code == 501
    assert "cannot range-read archived file a.txt - operation not supported" in op.error_message(r)
    # archregx without archmode is a plain GET of the shard, as in AIS.
    r = op.get(kiln.url, shards, "s.tar", archregx="a")
    assert r.status_code == 200 and r.content == make_tar("w")


# --- promote ------------------------------------------------------------------------------------


def promote(kiln, bucket, src, obj="", **flags):
    value = {"src": str(src), "obj": obj, **flags}
    return requests.post(f"{kiln.url}/v1/objects/{bucket}", params={"provider": "ais"},
                         json={"action": "promote", "name": str(src), "value": value}, timeout=60)


@pytest.fixture
def root(kiln):
    d = kiln.data / "promote" / uuid.uuid4().hex[:8]
    d.mkdir(parents=True)
    return d


def test_promote_a_file_and_a_folder(kiln, root):
    bucket = kh.create_bucket(kiln.url, "prm-" + root.name)
    files = {"top.txt": b"top", "x/one.bin": rng.randbytes(5000), "x/y/two.txt": b"two"}
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    assert promote(kiln, bucket, root / "top.txt", "named.txt").status_code == 200
    assert op.content(kiln.url, bucket, "named.txt") == b"top"
    assert promote(kiln, bucket, root / "top.txt", "pre/").status_code == 200
    assert op.content(kiln.url, bucket, "pre/top.txt") == b"top"
    assert promote(kiln, bucket, root / "x", "flat/").status_code == 200
    assert op.content(kiln.url, bucket, "flat/one.bin") == files["x/one.bin"]
    assert op.content(kiln.url, bucket, "flat/y/two.txt") is None  # not recursive
    assert promote(kiln, bucket, root / "x", "deep/", rcr=True).status_code == 200
    assert op.content(kiln.url, bucket, "deep/one.bin") == files["x/one.bin"]
    assert op.content(kiln.url, bucket, "deep/y/two.txt") == b"two"
    assert (root / "top.txt").exists()  # sources stay without "dls"


def test_promote_keeps_existing_objects_unless_overwrite_and_deletes_sources(kiln, root):
    bucket = kh.create_bucket(kiln.url, "prm-" + root.name)
    op.put(kiln.url, bucket, "f.txt", b"existing")
    (root / "f.txt").write_bytes(b"from disk")
    assert promote(kiln, bucket, root / "f.txt").status_code == 200
    assert op.content(kiln.url, bucket, "f.txt") == b"existing"
    assert promote(kiln, bucket, root / "f.txt", ovw=True, dls=True).status_code == 200
    assert op.content(kiln.url, bucket, "f.txt") == b"from disk"
    assert not (root / "f.txt").exists()


def test_promote_through_one_target(kiln, root):
    bucket = kh.create_bucket(kiln.url, "prm-" + root.name)
    for i in range(12):
        (root / f"n{i}").write_bytes(f"n{i}".encode())
    tid = next(iter(kh.get_smap(kiln.url)["tmap"]))
    assert promote(kiln, bucket, root, "one/", tid=tid).status_code == 200
    for i in range(12):
        assert op.content(kiln.url, bucket, f"one/n{i}") == f"n{i}".encode()


@pytest.mark.parametrize("src,status,message", [
    ("/etc/passwd", 400, 'invalid promote source "/etc/passwd": must be under'),
    ("relative/x", 400, "must be an absolute path"),
    ("{root}/../x", 400, "must not contain '.' or '..' path elements"),
    ("{root}/missing", 404, "{root}/missing: no such file or directory"),
    ("{root}/empty-dir", 400, 'directory "{root}/empty-dir" is empty'),
    ("{root}/link", 404, "{root}/link: no such file or directory"),
])
def test_promote_errors(kiln, root, src, status, message):
    bucket = kh.create_bucket(kiln.url, "prm-" + root.name)
    (root / "empty-dir").mkdir()
    (root / "link").symlink_to("/etc/passwd")
    r = promote(kiln, bucket, src.format(root=root))
    assert r.status_code == status, r.text
    assert message.format(root=root) in op.error_message(r)
    r = promote(kiln, "no-such-bucket", root)
    assert r.status_code == 404
    assert op.error_message(r) == 'bucket "ais://no-such-bucket" does not exist'
