"""`ais etl init -f` with each stock ais-etl spec (tests/data/ais-etl: the images Kiln's catalogue
runs, both the runtime form and the deprecated Pod form), then an object through it with
`ais etl object`, byte for byte against what this test computes (echo: the bytes; hello world:
the greeting; md5: hashlib; hash_with_args: xxhash with the seed; compress: gzip, checked by
decompressing, as gzip's header carries a time).

The Pod specs carry `communication_type: ${COMMUNICATION_TYPE:-"\\"hpull://\\""}`, which the CLI
cannot use: with --comm-type the request names the comm type, and AIS (and Kiln) take the
request's over the annotation; without it the CLI itself skips the document.
"""

import gzip
import hashlib
from pathlib import Path

import pytest
import requests
import xxhash
import yaml

from aiscli import expect, runtime_details

STOCK = Path(__file__).resolve().parents[1] / "data" / "ais-etl"
DEPRECATED = ("Warning: Kubernetes Pod spec ETL initialization is deprecated and will be removed "
              "in v5.1; use an ETL runtime spec instead\n")
DATA = b"The quick brown fox jumps over the lazy dog\n" * 50

EXPECTED = {
    "echo": lambda d, a: d,
    "go_echo": lambda d, a: d,
    "hello_world": lambda d, a: b"Hello World!",
    "go_hello_world": lambda d, a: b"Hello World!",
    "md5": lambda d, a: hashlib.md5(d).hexdigest().encode(),
    "hash_with_args": lambda d, a: xxhash.xxh64(d, seed=int(a or 0)).hexdigest().encode(),
}
SPECS = sorted(p.relative_to(STOCK).as_posix() for p in STOCK.glob("*/*.yaml"))


def xid(url: str, name: str) -> str:
    return next(e["xaction_id"] for e in requests.get(f"{url}/v1/etl", timeout=30).json()
                if e["id"] == name)


@pytest.fixture(scope="module")
def bucket(ais):
    assert ais.run("bucket", "create", "ais://stock").rc == 0
    assert ais.run("put", "-", "ais://stock/fox.txt", stdin=DATA).rc == 0
    return "stock"


def init(kiln, ais, path: Path) -> str:
    doc = yaml.safe_load(path.read_text())
    if path.name == "etl_spec.yaml":
        r = ais.run("etl", "init", "-f", str(path))
        name, rt = doc["name"], doc["runtime"]
        env = {e["name"]: e["value"] for e in rt.get("env", [])}
        expect(r, f'ETL[{name}]: job "{xid(kiln.url, name)}"\n' + runtime_details(
            name, doc.get("communication", "hpush://"), rt["image"], rt.get("command"), env))
        return name
    r = ais.run("etl", "init", "-f", str(path), "--comm-type", "hpush://")
    name = doc["metadata"]["name"]
    head = (f'ETL[{name}]: job "{xid(kiln.url, name)}"\nname:  {name}\n'
            "communication_type:  hpush://\nspec: \n")
    assert r.rc == 0 and r.err == DEPRECATED and r.out.startswith(head), r
    assert yaml.safe_load(r.out[len(head):]) == doc  # the spec as the CLI re-encoded it
    return name


@pytest.mark.cli("ais etl init -f <stock ais-etl spec>", "ais etl object (stock transformer)")
@pytest.mark.parametrize("spec", SPECS)
def test_stock_spec_initializes_and_transforms(kiln, ais, bucket, spec):
    name = init(kiln, ais, STOCK / spec)
    try:
        kind = spec.split("/")[0]
        got = ais.raw("etl", "object", name, f"ais://{bucket}/fox.txt", "-")
        if kind == "compress":
            assert gzip.decompress(got) == DATA
        else:
            assert got == EXPECTED[kind](DATA, "")
        if kind == "hash_with_args":
            got = ais.raw("etl", "object", "--args", "4242", name, f"ais://{bucket}/fox.txt", "-")
            assert got == EXPECTED[kind](DATA, "4242")
    finally:
        expect(ais.run("etl", "rm", name), f"ETL[{name}] successfully deleted\n")


@pytest.mark.cli("ais etl init -f pod.yaml (placeholder comm type, no --comm-type: skipped)")
def test_placeholder_without_comm_type_is_skipped_by_the_cli(kiln, ais):
    r = ais.run("etl", "init", "-f", str(STOCK / "go_echo" / "pod.yaml"))
    assert r.rc == 0 and r.out == "", r
    assert r.err.startswith(DEPRECATED + 'Skipping document: validation failed: [etl="echo-go"] '
                            "unknown comm-type"), r
    assert requests.get(f"{kiln.url}/v1/etl", timeout=30).json() == []
