"""The real `ais` CLI (1.32) transforming objects on `kilnd cluster`: `ais etl object` (to stdout,
to a file, --args, pipelines "a>>b", transform-copy through a pipeline, every error), `ais etl bucket` (whole bucket, --prefix and
--ext, --dry-run, --list, --template, --cont-on-err, pipelines), `ais etl inspect` and
`ais etl show errors` (inline errors, a missing object, a job's errors). Outputs are compared
byte for byte with what the test computes: transformed bytes from its own reverse and MD5, job
ids from the job API, target ids from the proxy's redirect.
"""

import hashlib
from pathlib import Path
from urllib.parse import urlsplit

import kilnharness as kh
import pytest
import requests

from aiscli import errors_table, expect

SERVERS = Path(__file__).resolve().parent / "etl_servers"
NEW_DST = ("Warning: destination ais://{dst} doesn't exist and will be created with "
           "configuration copied from the source (ais://{src})\n")
OBJECTS = {"d/one.txt": b"first object\n", "d/two.txt": b"second\n", "e/three.bin": b"x" * 3000,
           "bad-data.txt": b"bad object\n", "n/f1.txt": b"numbered 1\n", "n/f2.txt": b"numbered 2\n"}


def rev(data: bytes, args: str = "") -> bytes:
    return data[::-1] + args.encode()


def md5(data: bytes) -> bytes:
    return hashlib.md5(data).hexdigest().encode()


def spec(tmp: Path, name: str, comm: str, fail_on: str = "") -> Path:
    path = tmp / f"{name}.yaml"
    fail = f", '--fail-on', '{fail_on}'" if fail_on else ""
    path.write_text(f"name: {name}\ncommunication: {comm}\nruntime:\n  image: python:3.11\n"
                    f"  command: ['python3', '{SERVERS / 'reverse_server.py'}', '--port', "
                    f"'8000'{fail}]\n")
    return path


@pytest.fixture(scope="module")
def setup(kiln, ais, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-xform")
    for name, comm, fail in (("rev-push", "hpush://", "bad"), ("rev-pull", "hpull://", "")):
        assert ais.run("etl", "init", "-f", str(spec(tmp, name, comm, fail))).rc == 0
    md5spec = Path(__file__).resolve().parents[1] / "data" / "ais-etl" / "md5" / "etl_spec.yaml"
    assert ais.run("etl", "init", "-f", str(md5spec)).rc == 0
    assert ais.run("bucket", "create", "ais://src").rc == 0
    for name, data in OBJECTS.items():
        assert ais.run("put", "-", f"ais://src/{name}", stdin=data).rc == 0
    return tmp


def owner_tag(url: str, bucket: str, obj: str) -> str:
    """t[<id>] of the target the proxy redirects the object to."""
    r = requests.get(f"{url}/v1/objects/{bucket}/{obj}", allow_redirects=False, timeout=10)
    port = urlsplit(r.headers["Location"]).port
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, timeout=10).json()
    return next(f"t[{tid}]" for tid, t in smap["tmap"].items()
                if int(t["public_net"]["daemon_port"]) == port)


def job_ids(url: str) -> set[str]:
    r = requests.get(f"{url}/v1/cluster", params={"what": "status_all"}, json={}, timeout=30)
    assert r.status_code == 200, r.text
    return {j["uuid"] for j in (r.json() or [])}


def contents(ais, bucket: str, names) -> dict[str, bytes]:
    return {n: ais.raw("get", f"ais://{bucket}/{n}", "-") for n in names}


@pytest.mark.cli("ais etl object NAME BUCKET/OBJ -", "ais etl object NAME BUCKET/OBJ FILE",
                 "ais etl object --args", "ais etl object (hpull://)")
def test_object_to_stdout_and_to_a_file(kiln, ais, setup, tmp_path):
    data = OBJECTS["d/one.txt"]
    assert ais.raw("etl", "object", "rev-push", "ais://src/d/one.txt", "-") == rev(data)
    assert ais.raw("etl", "object", "rev-pull", "ais://src/d/one.txt", "-") == rev(data)
    out = tmp_path / "out.bin"
    expect(ais.run("etl", "object", "rev-push", "ais://src/e/three.bin", str(out)))
    assert out.read_bytes() == rev(OBJECTS["e/three.bin"])
    assert ais.raw("etl", "object", "--args", "xyz", "rev-push", "ais://src/d/two.txt", "-") \
        == rev(OBJECTS["d/two.txt"], "xyz")


@pytest.mark.cli('ais etl object "a>>b>>c" BUCKET/OBJ -')
def test_object_through_a_pipeline(kiln, ais, setup):
    data = OBJECTS["d/two.txt"]
    assert ais.raw("etl", "object", "rev-push>>md5-transformer-etl", "ais://src/d/two.txt", "-") \
        == md5(rev(data))
    # hpull:// behind the first stage gets its input by PUT.
    assert ais.raw("etl", "object", "md5-transformer-etl>>rev-pull>>rev-push",
                   "ais://src/d/two.txt", "-") == md5(data)


@pytest.mark.cli('ais etl object "a>>b" cp SRC DST')
def test_transform_copy_through_a_pipeline(kiln, ais, setup):
    assert ais.run("bucket", "create", "ais://pipe-cp").rc == 0
    data = OBJECTS["d/two.txt"]
    assert ais.run("put", "-", "ais://pipe-cp/in.txt", stdin=data).rc == 0
    # Across buckets, then within one (the module's ais://src stays as the other tests expect).
    for src, dst in (("ais://src/d/two.txt", "ais://pipe-cp/two.md5"),
                     ("ais://pipe-cp/in.txt", "ais://pipe-cp/in.md5")):
        expect(ais.run("etl", "object", "rev-push>>md5-transformer-etl", "cp", src, dst),
               f"ETL[rev-push>>md5-transformer-etl]: {src} => {dst}\n")
        assert ais.raw("get", dst, "-") == md5(rev(data))
        assert ais.raw("get", src, "-") == data  # the source is untouched


@pytest.mark.cli("ais etl object (unknown ETL, unknown or empty stage, hpull:// pipeline)",
                 "ais etl object (missing object)", "ais etl object (ETL error)")
def test_object_errors_are_aiss(kiln, ais, setup):
    tag = owner_tag(kiln.url, "src", "d/one.txt")
    expect(ais.run("etl", "object", "no-such-etl", "ais://src/d/one.txt", "-"),
           err="Error: ETL[no-such-etl] not found; try starting new ETL with:\n"
               "ais etl init <spec>\n", rc=1)
    expect(ais.run("etl", "object", "rev-push>>no-such-etl", "ais://src/d/one.txt", "-"),
           err=f'Error: ErrETL: [{tag},etl="no-such-etl"] entry not found in the target\n', rc=1)
    expect(ais.run("etl", "object", "rev-push>>>>rev-pull", "ais://src/d/one.txt", "-"),
           err="Error: failed to parse ETL name or pipeline: empty ETL name at position 2 in "
               "pipeline\n", rc=1)
    expect(ais.run("etl", "object", "rev-pull>>rev-push", "ais://src/d/one.txt", "-"),
           err="Error: inline transform pipeline not supported for hpull://\n", rc=1)
    missing = owner_tag(kiln.url, "src", "no/such.txt")
    expect(ais.run("etl", "object", "rev-push", "ais://src/no/such.txt", "-"),
           err=f"Error: ErrNotFound: {missing}: ais://src/no/such.txt does not exist\n", rc=1)
    expect(ais.run("etl", "object", "rev-push", "ais://src/bad-data.txt", "-"),
           err="Error: ETL error: refusing this object\n", rc=1)


@pytest.mark.cli("ais etl show errors NAME", "ais etl show errors --no-headers NAME")
def test_show_inline_errors(kiln, ais, setup):
    for obj in ("bad-data.txt", "no/such.txt"):
        assert ais.run("etl", "object", "rev-push", f"ais://src/{obj}", "-").rc == 1
    # As AIS keeps them: the ETL's message, and for a missing object its load's code (202).
    rows = [("ais://src/bad-data.txt", 500, "ETL error: refusing this object"),
            ("ais://src/no/such.txt", 202, "object not found")]
    r = ais.run("etl", "show", "errors", "rev-push")
    got = sorted(r.out.splitlines()[1:])
    want = errors_table(rows)
    assert r.rc == 0 and r.out.splitlines()[0] == want.splitlines()[0], r
    assert got == sorted(want.splitlines()[1:]), r
    r = ais.run("etl", "show", "errors", "--no-headers", "rev-push")
    assert r.rc == 0 and sorted(r.out.splitlines()) == sorted(errors_table(rows, False)
                                                              .splitlines()), r


@pytest.mark.cli("ais etl bucket NAME SRC DST --wait", "ais etl bucket NAME SRC DST")
def test_bucket_whole_and_without_waiting(kiln, ais, setup):
    before = job_ids(kiln.url)
    r = ais.run("etl", "bucket", "md5-transformer-etl", "ais://src", "ais://dst-md5", "--wait")
    (xid,) = job_ids(kiln.url) - before
    expect(r, f"etl-bucket[{xid}] ais://src => ais://dst-md5 ...\n",
           NEW_DST.format(dst="dst-md5", src="src"))
    assert contents(ais, "dst-md5", OBJECTS) == {n: md5(d) for n, d in OBJECTS.items()}
    before = job_ids(kiln.url)
    r = ais.run("etl", "bucket", "md5-transformer-etl", "ais://src", "ais://dst-nowait")
    (xid,) = job_ids(kiln.url) - before
    expect(r, f"etl-bucket[{xid}] ais://src => ais://dst-nowait\n",
           NEW_DST.format(dst="dst-nowait", src="src"))


@pytest.mark.cli("ais etl bucket --prefix --ext --wait", 'ais etl bucket "a>>b" --wait')
def test_bucket_prefix_ext_and_pipeline(kiln, ais, setup):
    r = ais.run("etl", "bucket", "rev-push", "ais://src", "ais://dst-pre", "--prefix", "d/",
                "--ext", '{"txt":"rev"}', "--wait")
    # The CLI sends a prefix as an etl-listrange job whose template is the prefix.
    expect(r, "Transforming objects ais://src => ais://dst-pre ...Done.\n",
           NEW_DST.format(dst="dst-pre", src="src"))
    assert contents(ais, "dst-pre", ["d/one.rev", "d/two.rev"]) == {
        "d/one.rev": rev(OBJECTS["d/one.txt"]), "d/two.rev": rev(OBJECTS["d/two.txt"])}
    assert ais.run("ls", "ais://dst-pre", "--name-only", "-H").out.split() == [
        "d/one.rev", "d/two.rev"]
    r = ais.run("etl", "bucket", "rev-pull>>md5-transformer-etl", "ais://src", "ais://dst-pipe",
                "--wait")
    assert r.rc == 0, r
    assert contents(ais, "dst-pipe", OBJECTS) == {n: md5(rev(d)) for n, d in OBJECTS.items()}
    # With a selection the CLI sends an etl-listrange job named by the whole "a>>b" (CLI 1.32
    # does not split it there): refused with AIS's words for such a name.
    r = ais.run("etl", "bucket", "rev-pull>>md5-transformer-etl", "ais://src", "ais://dst-pipe2",
                "--prefix", "e/", "--wait")
    expect(r, err=NEW_DST.format(dst="dst-pipe2", src="src")
           + 'Error: ETL name "rev-pull>>md5-transformer-etl" is invalid: can only contain '
           "[a-z0-9-]\n", rc=1)


@pytest.mark.cli("ais etl bucket --dry-run --wait")
def test_bucket_dry_run(kiln, ais, setup):
    before = job_ids(kiln.url)
    r = ais.run("etl", "bucket", "md5-transformer-etl", "ais://src", "ais://dst-dry", "--dry-run",
                "--wait")
    (xid,) = job_ids(kiln.url) - before
    dry = "[DRY RUN] with no modifications to the cluster\n"
    # As in AIS, a dry run transforms every object and counts the results' bytes.
    size = sum(len(md5(d)) for d in OBJECTS.values())
    expect(r, dry + "Transforming the entire bucket\n"
           f"etl-bucket[{xid}] ais://src => ais://dst-dry ...\n" + dry
           + f"ETL object counts:\t transformed={len(OBJECTS)}, sent=0, received=0"
           f"ETL byte stats:\t transformed={size}, sent=0, received=0",
           NEW_DST.format(dst="dst-dry", src="src"))
    assert ais.run("ls", "ais://dst-dry").rc == 1  # a dry run creates nothing


@pytest.mark.cli("ais etl bucket --list --wait", "ais etl bucket --template")
def test_bucket_list_and_template(kiln, ais, setup):
    r = ais.run("etl", "bucket", "rev-push", "ais://src", "ais://dst-list", "--list",
                "d/one.txt,e/three.bin", "--wait")
    expect(r, "Transforming objects ais://src => ais://dst-list ...Done.\n",
           NEW_DST.format(dst="dst-list", src="src"))
    assert contents(ais, "dst-list", ["d/one.txt", "e/three.bin"]) == {
        n: rev(OBJECTS[n]) for n in ("d/one.txt", "e/three.bin")}
    before = job_ids(kiln.url)
    r = ais.run("etl", "bucket", "rev-push", "ais://src", "ais://dst-tmpl", "--template",
                "n/f{1..3}.txt")
    (xid,) = job_ids(kiln.url) - before
    expect(r, "Transforming objects ais://src => ais://dst-tmpl. To monitor the progress, run "
              f"'ais show job {xid}'\n", NEW_DST.format(dst="dst-tmpl", src="src"))
    # n/f3.txt does not exist: a range may name objects that do not.
    kh.wait_until(lambda: ais.run("ls", "ais://dst-tmpl", "--name-only", "-H").out.split()
                  == ["n/f1.txt", "n/f2.txt"], 30, "the template's objects transformed")
    assert contents(ais, "dst-tmpl", ["n/f1.txt"]) == {"n/f1.txt": rev(OBJECTS["n/f1.txt"])}


@pytest.mark.cli("ais etl bucket --cont-on-err --wait", "ais etl show errors NAME JOB-ID")
def test_bucket_errors_and_job_errors(kiln, ais, setup):
    before = job_ids(kiln.url)
    r = ais.run("etl", "bucket", "rev-push", "ais://src", "ais://dst-coer", "--cont-on-err",
                "--wait")
    (xid,) = job_ids(kiln.url) - before
    assert r.out == f"etl-bucket[{xid}] ais://src => ais://dst-coer ...\n", r
    good = sorted(n for n in OBJECTS if n != "bad-data.txt")
    assert ais.run("ls", "ais://dst-coer", "--name-only", "-H").out.split() == good
    expect(ais.run("etl", "show", "errors", "rev-push", xid), errors_table(
        [("ais://src/bad-data.txt", 500, "ETL error: refusing this object")]))
    # An unknown job has no errors, as in AIS.
    expect(ais.run("etl", "show", "errors", "rev-push", "no-such-job"), errors_table([]))


@pytest.mark.cli("ais etl inspect NAME BUCKET", "ais etl inspect NAME BUCKET --list")
def test_inspect(kiln, ais, setup):
    before = job_ids(kiln.url)
    r = ais.run("etl", "inspect", "rev-push", "ais://src")
    (xid,) = job_ids(kiln.url) - before
    expect(r, f"etl-bucket[{xid}] ais://src\nTo view failed objects, run "
              f"'ais etl show errors rev-push {xid}'\n")
    before = job_ids(kiln.url)
    r = ais.run("etl", "inspect", "rev-push", "ais://src", "--list", "bad-data.txt")
    (xid,) = job_ids(kiln.url) - before
    expect(r, f"etl-objects[{xid}] ais://src\nTo view failed objects, run "
              f"'ais etl show errors rev-push {xid}'\n")
