"""n-way mirroring set and used with the real `ais` CLI, as a user types it: `ais bucket props
set ... mirror.enabled=true mirror.copies=2` on a `kilnd cluster --mountpaths 2`, objects put
with `ais put` land on both mountpaths of their target, a copy count the targets cannot hold is
refused, and turning mirroring on for a bucket with objects gives them their copies."""

import json
import os
import shlex
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import kilnharness as kh  # noqa: E402


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    """`kilnd cluster` with 2 targets of 2 mountpaths each (overrides conftest's)."""
    base = tmp_path_factory.mktemp("mirror-cluster")
    with kh.running_supervisor(base, targets=2, extra=["--mountpaths", "2"]) as sup:
        yield sup


@pytest.fixture(autouse=True)
def cli_commands(request, ais):
    ais.node = request.node
    yield
    ais.node = None


def ais_ok(cli, line, stdin=None):
    argv = shlex.split(line)
    cli.node.user_properties.append(("cli", line))
    r = cli.run(*argv[1:], stdin=stdin)
    assert r.rc == 0, (line, str(r))
    return r


def copies(kiln, bucket: str, name: str) -> list[bytes]:
    """The files of the object on every mountpath of every target."""
    out = []
    for t in sorted((kiln.data).glob("target-*")):
        for mp in sorted(t.glob("mp*")):
            f = mp / "buckets" / bucket / name
            if f.is_file():
                out.append(f.read_bytes())
    return out


def test_props_set_by_the_cli_mirror_every_put(kiln, ais, tmp_path):
    b = f"m-{uuid.uuid4().hex[:6]}"
    ais_ok(ais, f"ais bucket create ais://{b}")
    ais_ok(ais, f"ais bucket props set ais://{b} mirror.enabled=true mirror.copies=2")
    props = json.loads(ais_ok(ais, f"ais bucket props show ais://{b} --json").out)
    assert props["mirror"]["enabled"] is True and props["mirror"]["copies"] == 2, props
    data = {f"f{i}.bin": os.urandom(1000 * i + 5) for i in range(1, 6)}
    for name, body in data.items():
        (tmp_path / name).write_bytes(body)
        ais_ok(ais, f"ais put {tmp_path / name} ais://{b}/{name}")
    for name, body in data.items():
        assert copies(kiln, b, name) == [body, body], name
        assert ais.raw("object", "get", f"ais://{b}/{name}", "-") == body


def test_more_copies_than_mountpaths_is_refused(kiln, ais):
    b = f"r-{uuid.uuid4().hex[:6]}"
    ais_ok(ais, f"ais bucket create ais://{b}")
    line = f"ais bucket props set ais://{b} mirror.enabled=true mirror.copies=3"
    ais.node.user_properties.append(("cli", line))
    r = ais.run(*shlex.split(line)[1:])
    assert r.rc != 0, str(r)
    assert "mountpath" in (r.out + r.err), str(r)
    props = json.loads(ais_ok(ais, f"ais bucket props show ais://{b} --json").out)
    assert props["mirror"]["enabled"] is False, props


def test_mirroring_turned_on_later_copies_existing_objects(kiln, ais, tmp_path):
    b = f"l-{uuid.uuid4().hex[:6]}"
    ais_ok(ais, f"ais bucket create ais://{b}")
    data = {f"o{i}": os.urandom(4096 + i) for i in range(40)}
    for name, body in data.items():
        (tmp_path / name).write_bytes(body)
        ais_ok(ais, f"ais put {tmp_path / name} ais://{b}/{name}")
    assert all(len(copies(kiln, b, n)) == 1 for n in data)
    ais_ok(ais, f"ais bucket props set ais://{b} mirror.enabled=true")
    kh.wait_until(lambda: all(copies(kiln, b, n) == [d, d] for n, d in data.items()), 30,
                  "make-n-copies gave every object its second copy")
