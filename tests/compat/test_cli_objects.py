"""The official `ais` CLI's everyday object and bucket commands against `kilnd cluster`, typed
as a user types them: cp, put --append, concat, mv, set-custom, show, promote, archive reads,
transform-copy (`ais etl object <etl> cp`, within and across buckets), bucket cp (whole, prefix,
dry run, sync), bucket mv, bucket props, bucket and storage summaries. Every output is compared
byte for byte with what the CLI prints for the values this test computed itself, and every
command's source and destination are read back. Each command is recorded for docs/compat.md
(cli-test_cli_objects.json in $KILN_COMPAT_RESULTS, through the compat conftest).
"""

import io
import json
import re
import shlex
import sys
import tarfile
import uuid
from pathlib import Path

import pytest
import requests

from aiscli import iec, tabwriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import kilnharness as kh  # noqa: E402

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def cli(ais):
    return ais


@pytest.fixture(autouse=True)
def cli_commands(request, ais):
    """Each command a test runs is listed for docs/compat.md with the test's outcome."""
    ais.node = request.node
    yield
    ais.node = None


@pytest.fixture
def work(tmp_path):
    return tmp_path


def step(cli, line, out="", err="", rc=0, stdin=None, cwd=None):
    """Runs one command; its stdout (and stderr when given) must be exactly as expected."""
    argv = shlex.split(line)
    assert argv[0] == "ais", line
    cli.node.user_properties.append(("cli", line))
    r = cli.run(*argv[1:], stdin=stdin, cwd=cwd)
    assert r.rc == rc, (line, str(r))
    if out is not None:
        assert r.out == out, (line, r.out)
    if err is not None:
        assert r.err == err, (line, r.err)
    return r.out


def obj(kiln, bucket, name):
    r = requests.get(f"{kiln.url}{kh.obj_path(bucket, name)}", timeout=30)
    return r.content if r.status_code == 200 else None


def fresh(cli, prefix):
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    step(cli, f"ais bucket create ais://{name}", f'"ais://{name}" created\n')
    return name


def test_object_cp_within_and_across_buckets(kiln, cli, work):
    a, b = fresh(cli, "wa"), fresh(cli, "wb")
    (work / "o.txt").write_bytes(b"hello world")
    step(cli, f"ais put o.txt ais://{a}/o.txt", f'PUT "{work}/o.txt" => ais://{a}/o.txt\n\n',
         cwd=work)
    step(cli, f"ais object cp ais://{a}/o.txt ais://{b}/o2.txt",
         f"COPY ais://{a}/o.txt => ais://{b}/o2.txt\n")
    step(cli, f"ais object cp ais://{a}/o.txt ais://{a}/dir/o3.txt",
         f"COPY ais://{a}/o.txt => ais://{a}/dir/o3.txt\n")
    assert obj(kiln, a, "o.txt") == obj(kiln, b, "o2.txt") == obj(kiln, a, "dir/o3.txt") == \
        b"hello world"


def test_put_append_concat_and_stdin_chunks(kiln, cli, work):
    a = fresh(cli, "ap")
    (work / "o.txt").write_bytes(b"hello world")
    (work / "two.txt").write_bytes(b"-second-")
    step(cli, f"ais put o.txt ais://{a}/o.txt", None, cwd=work)
    step(cli, f"ais object put o.txt ais://{a}/o.txt --append",
         f"\nCreated ais://{a}/o.txt (size {iec(11)})\n", cwd=work)
    assert obj(kiln, a, "o.txt") == b"hello worldhello world"
    step(cli, f"ais object concat o.txt two.txt ais://{a}/cat.txt",
         f"\nCreated ais://{a}/cat.txt (size {iec(19)})\n", cwd=work)
    assert obj(kiln, a, "cat.txt") == b"hello world-second-"
    data = bytes(range(256)) * 40
    step(cli, f"ais put - ais://{a}/stdin.bin --chunk-size 1KiB",
         f"PUT (standard input) => ais://{a}/stdin.bin\n\n", stdin=data)
    assert obj(kiln, a, "stdin.bin") == data


def test_object_mv_set_custom_and_show(kiln, cli, work):
    a = fresh(cli, "mv")
    (work / "o.txt").write_bytes(b"x" * 22)
    step(cli, f"ais put o.txt ais://{a}/o.txt", None, cwd=work)
    step(cli, f"ais object mv ais://{a}/o.txt ais://{a}/moved.txt", '"o.txt" moved to "moved.txt"\n')
    assert obj(kiln, a, "o.txt") is None and obj(kiln, a, "moved.txt") == b"x" * 22
    step(cli, f"ais object set-custom ais://{a}/moved.txt team=kiln tier=hot",
         "Custom props successfully updated (to show updates, run "
         f"'ais show object ais://{a}/moved.txt --props=all').\n")
    shown = step(cli, f"ais object show ais://{a}/moved.txt --props custom,size,version", None)
    # The CLI prints custom metadata by ranging over a Go map, so the pairs come in any order.
    pairs = re.search(r"^custom\t+ \[(.*)\]$", shown, re.M)
    assert pairs and sorted(pairs.group(1).split(" ")) == ["team:kiln", "tier:hot"], shown
    assert shown.replace(pairs.group(0), "custom\t\t [team:kiln tier:hot]") == tabwriter(
        [["PROPERTY", " VALUE"], ["custom", " [team:kiln tier:hot]"],
         ["size", f" {iec(22)}"], ["version", " 1"]]), shown
    step(cli, f"ais object mv ais://{a}/moved.txt ais://{a}/moved.txt", None, None, rc=1)
    step(cli, f"ais object cp ais://{a}/missing ais://{a}/x", "",
         f"Error: ErrNotFound: {target_tag(kiln, a, 'missing')}: ais://{a}/missing does not exist\n",
         rc=1)
    assert obj(kiln, a, "x") is None


def target_tag(kiln, bucket, name):
    r = requests.head(f"{kiln.url}{kh.obj_path(bucket, name)}", allow_redirects=False, timeout=10)
    port = int(r.headers["Location"].split(":")[2].split("/")[0])
    smap = kh.get_smap(kiln.url)
    [tid] = [t for t, n in smap["tmap"].items() if int(n["public_net"]["daemon_port"]) == port]
    return f"t[{tid}]"


def test_object_promote_file_and_folder(kiln, cli):
    a = fresh(cli, "pr")
    root = kiln.data / "promote" / a
    (root / "d" / "sub").mkdir(parents=True)
    (root / "f.txt").write_bytes(b"file")
    (root / "d" / "one.txt").write_bytes(b"one")
    (root / "d" / "sub" / "two.txt").write_bytes(b"two")
    step(cli, f"ais object promote {root}/f.txt ais://{a}/", f'promoted "{root}/f.txt" => ais://{a}\n\n')
    step(cli, f"ais object promote {root}/d ais://{a}/pd/ -r",
         f'recursively promoted "{root}/d" => ais://{a}\n\n')
    assert obj(kiln, a, "f.txt") == b"file"
    assert obj(kiln, a, "pd/one.txt") == b"one" and obj(kiln, a, "pd/sub/two.txt") == b"two"
    assert (root / "f.txt").read_bytes() == b"file"  # the source stays


def test_archive_reads(kiln, cli, work):
    a = fresh(cli, "ar")
    members = {"a.txt": b"alpha", "d/b.txt": b"beta", "d/c.txt": b"gamma"}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for n, d in members.items():
            info = tarfile.TarInfo(n)
            info.size = len(d)
            t.addfile(info, io.BytesIO(d))
    (work / "s.tgz").write_bytes(buf.getvalue())
    step(cli, f"ais put s.tgz ais://{a}/s.tgz", None, cwd=work)
    step(cli, f"ais get ais://{a}/s.tgz --archpath d/b.txt -", "beta")
    step(cli, f"ais get ais://{a}/s.tgz --archpath a.txt out.bin",
         f"GET a.txt from ais://{a}/s.tgz as out.bin ({iec(5)})\n", cwd=work)
    assert (work / "out.bin").read_bytes() == b"alpha"
    step(cli, f"ais archive get ais://{a}/s.tgz --archregx d/ --archmode prefix m.tar", None,
         cwd=work)
    with tarfile.open(work / "m.tar") as t:
        assert {m.name: t.extractfile(m).read() for m in t.getmembers()} == \
            {n: d for n, d in members.items() if n.startswith("d/")}
    assert obj(kiln, a, "s.tgz") == buf.getvalue()


def test_etl_object_cp_transforms_into_the_destination(kiln, cli, work):
    a, b = fresh(cli, "ta"), fresh(cli, "tb")
    (work / "o.txt").write_bytes(b"hello world")
    step(cli, f"ais put o.txt ais://{a}/o.txt", None, cwd=work)
    name = "rev-" + uuid.uuid4().hex[:6]
    (work / "rev.yaml").write_text(
        "runtime:\n  image: aistorage/runtime_python:3.11\n"
        f"  command: ['python3', '{HERE}/etl_servers/reverse_server.py', '--port', '8000']\n")
    step(cli, f"ais etl init --spec rev.yaml --name {name} --comm-type hpush://", None, cwd=work)
    try:
        step(cli, f"ais etl object {name} cp ais://{a}/o.txt ais://{b}/o2.txt",
             f"ETL[{name}]: ais://{a}/o.txt => ais://{b}/o2.txt\n")
        step(cli, f"ais etl object {name} cp ais://{a}/o.txt ais://{a}/rev.txt",
             f"ETL[{name}]: ais://{a}/o.txt => ais://{a}/rev.txt\n")
        assert obj(kiln, b, "o2.txt") == obj(kiln, a, "rev.txt") == b"dlrow olleh"
        assert obj(kiln, a, "o.txt") == b"hello world"
        step(cli, f"ais etl object no-such-etl cp ais://{a}/o.txt ais://{b}/x.txt", "", None, rc=1)
        assert obj(kiln, b, "x.txt") is None and obj(kiln, a, "o.txt") == b"hello world"
    finally:
        cli.run("etl", "rm", name)


def put_tree(cli, work, bucket):
    files = {f"dir/o{i}.txt": f"obj {i}\n".encode() for i in range(6)}
    files["top.txt"] = b"top\n"
    for n, d in files.items():
        step(cli, f"ais put - ais://{bucket}/{n}", None, stdin=d)
    return files


def listing(kiln, bucket):
    r = requests.get(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                     json={"action": "list", "value": {"props": "name,size"}}, timeout=30)
    return {e["name"]: int(e["size"]) for e in r.json()["entries"] or []} if r.ok else None


def test_bucket_cp_whole_prefix_dry_run_and_sync(kiln, cli, work):
    a = fresh(cli, "ca")
    files = put_tree(cli, work, a)
    sizes = {n: len(d) for n, d in files.items()}
    c = f"{a}-c"
    warn = (f"Warning: destination ais://{c} doesn't exist and will be created with configuration "
            f"copied from the source (ais://{a})\n")
    step(cli, f"ais bucket cp ais://{a} ais://{c} --wait",
         f"Copying ais://{a} => ais://{c} ...Done.\n\n", warn)
    assert listing(kiln, c) == sizes
    d = f"{a}-d"
    step(cli, f"ais bucket cp ais://{a} ais://{d} --prefix dir/ --wait",
         f"Copying objects ais://{a} => ais://{d} ...Done.\n", None)
    assert listing(kiln, d) == {n: s for n, s in sizes.items() if n.startswith("dir/")}
    e = f"{a}-e"
    step(cli, f"ais bucket cp ais://{a} ais://{e} --dry-run --wait",
         "[DRY RUN] with no modifications to the cluster\nCopying the entire bucket\n"
         f"Copying ais://{a} => ais://{e} ...Done.\n\n", None)
    assert listing(kiln, e) is None
    step(cli, f"ais object rm ais://{a}/top.txt", f'deleted "top.txt" from ais://{a}\n')
    step(cli, f"ais put - ais://{c}/stray.txt", None, stdin=b"stray")
    step(cli, f"ais bucket cp ais://{a} ais://{c} --sync --wait",
         f"Copying ais://{a} => ais://{c} ...Done.\n\n", "")
    assert listing(kiln, c) == {n: s for n, s in sizes.items() if n != "top.txt"}


def test_bucket_mv(kiln, cli, work):
    a = fresh(cli, "ma")
    files = put_tree(cli, work, a)
    m = f"{a}-m"
    out = step(cli, f"ais bucket mv ais://{a} ais://{m} --wait", None)
    xid = re.fullmatch(rf"rename-bucket\[(\w+)\] ais://{a} => ais://{m} \.\.\.\nDone\.\n", out)
    assert xid, out
    r = requests.get(f"{kiln.url}/v1/cluster", params={"what": "status"},
                     json={"id": xid.group(1)}, timeout=10)
    assert r.json()["kind"] == "move-bck" and r.json()["end_time"] > 0
    assert listing(kiln, a) is None
    assert listing(kiln, m) == {n: len(d) for n, d in files.items()}


def test_bucket_props(kiln, cli):
    a = fresh(cli, "pp")
    step(cli, f"ais bucket props set ais://{a} versioning.enabled=false checksum.type=md5",
         '"checksum.type" set to: "md5" (was: "xxhash2")\n'
         '"versioning.enabled" set to: "false" (was: "true")\n\nBucket props successfully updated.\n')
    step(cli, f"ais bucket props set ais://{a} access=15", None)
    props = json.loads(step(cli, f"ais bucket props show ais://{a} --json", None))
    assert props["checksum"]["type"] == "md5" and props["versioning"]["enabled"] is False
    assert props["access"] == "15"
    step(cli, f"ais bucket props reset ais://{a}", "Bucket props successfully reset to cluster defaults\n")
    props = json.loads(step(cli, f"ais bucket props show ais://{a} --json", None))
    assert props["checksum"]["type"] == "xxhash2" and props["versioning"]["enabled"] is True


def summary_row(bucket, sizes):
    n = len(sizes)
    avg = (sum(sizes) + n // 2) // n
    mam = " ".join(f"{iec(v):<10}" for v in (min(sizes), avg, max(sizes)))
    return [f"ais://{bucket}", f" {n} 0", f" {mam}", f" {iec(sum(sizes))} 0B", " 0%"]


HEADER = ["NAME", " OBJECTS (cached, remote)", " OBJECT SIZES (min, avg, max)",
          " TOTAL OBJECT SIZE (cached, remote)", " USAGE(%)"]


def test_bucket_and_storage_summary(kiln, cli, work):
    a = fresh(cli, "su")
    files = put_tree(cli, work, a)
    sizes = [len(d) for d in files.values()]
    step(cli, f"ais bucket summary ais://{a}", tabwriter([HEADER, summary_row(a, sizes)]))
    dir_sizes = [len(d) for n, d in files.items() if n.startswith("dir/")]
    step(cli, f"ais bucket summary ais://{a} --prefix dir/",
         tabwriter([HEADER, summary_row(a, dir_sizes)]))
    # Every bucket of the cluster, in name order, each with its own counts.
    rows = [HEADER]
    for b in sorted(x["name"] for x in requests.get(f"{kiln.url}/v1/buckets", timeout=10).json()):
        listed = listing(kiln, b)
        if listed:
            rows.append(summary_row(b, list(listed.values())))
        else:
            rows.append([f"ais://{b}", " 0 0", " " + " ".join(f"{'0B':<10}" for _ in range(3)),
                         " 0B 0B", " 0%"])
    step(cli, "ais storage summary", tabwriter(rows))
