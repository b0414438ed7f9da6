"""Seed 004's "Compute MD5" tutorial with the real `ais` CLI (1.32), step by step, byte for byte.

The tutorial was written for an older CLI; 1.32 differs, the same against AIS: `ais etl init
code` is gone (the code forms go through the REST API here, as the old CLI sent them, and the
objects through today's `ais etl object`), `--from-file` is `-f`, a bucket needs its provider
(`ais://transform`), and a Pod spec needs a readinessProbe (AIS's client and server both check
it; the tutorial's spec has none, so the CLI skips it, as shown). The MD5 server is the seed's,
run with the machine's Python instead of the docker.io image.
"""

import base64
import hashlib
from pathlib import Path

import pytest
import requests

from aiscli import expect

SERVER = Path(__file__).resolve().parents[1] / "integration" / "etl_servers" / "md5_server.py"
TEXT = b"some text :)\n"
MD5 = hashlib.md5(TEXT).hexdigest().encode()

CODE = b"""import hashlib


def transform(input_bytes):
    md5 = hashlib.md5()
    md5.update(input_bytes)
    return md5.hexdigest().encode()
"""
IO_CODE = b"""import hashlib
import sys

md5 = hashlib.md5()
for chunk in iter(lambda: sys.stdin.buffer.read(65536), b""):
    md5.update(chunk)
sys.stdout.buffer.write(md5.hexdigest().encode())
"""


def spec(probe: bool) -> str:
    text = f"""apiVersion: v1
kind: Pod
metadata:
  name: transformer-md5
spec:
  containers:
    - name: server
      image: python:3.11
      ports:
        - name: default
          containerPort: 80
      command: ['python3', '{SERVER}', '--listen', '127.0.0.1', '--port', '80']
"""
    if probe:
        text += "      readinessProbe:\n        httpGet:\n          path: /health\n" \
                "          port: default\n"
    return text


def init_code(url: str, name: str, comm: str, code: bytes) -> None:
    """What `ais etl init code --from-file=code.py --runtime=python3.11v2` sent."""
    msg = {"name": name, "communication": comm, "runtime": "python3.11v2",
           "code": base64.b64encode(code).decode(), "init_timeout": "2m"}
    r = requests.put(f"{url}/v1/etl", json=msg, timeout=180)
    assert r.status_code == 200, r.text


@pytest.mark.cli("ais create ais://transform", "echo 'some text :)' | ais put - ais://transform/shard.in")
def test_bucket_and_object(ais):
    assert MD5 == b"393c6706efb128fbc442d3f7d084a426"  # the value the tutorial prints
    expect(ais.run("create", "ais://transform"), '"ais://transform" created\n')
    expect(ais.run("put", "-", "ais://transform/shard.in", stdin=TEXT),
           "PUT (standard input) => ais://transform/shard.in\n\n")


@pytest.mark.cli("simplified flow: init code (hpull://), ais etl object transformer-md5 ... -")
def test_simplified_flow(kiln, ais):
    init_code(kiln.url, "transformer-md5", "hpull://", CODE)
    assert ais.raw("etl", "object", "transformer-md5", "ais://transform/shard.in", "-") == MD5
    expect(ais.run("etl", "rm", "transformer-md5"), "ETL[transformer-md5] successfully deleted\n")


@pytest.mark.cli("simplified flow with input/output: init code (io://), ais etl object compute-md5")
def test_io_flow(kiln, ais):
    init_code(kiln.url, "compute-md5", "io://", IO_CODE)
    assert ais.raw("etl", "object", "compute-md5", "ais://transform/shard.in", "-") == MD5
    expect(ais.run("etl", "rm", "compute-md5"), "ETL[compute-md5] successfully deleted\n")


@pytest.mark.cli("regular flow: ais etl init spec -f spec.yaml (as written: no readinessProbe)")
def test_spec_as_written_is_skipped(ais, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(spec(probe=False))
    r = ais.run("etl", "init", "spec", "-f", str(path), "--name", "transformer-md5",
                "--comm-type", "hpush://")
    assert r.rc == 0 and r.out == "", r
    assert r.err.endswith('Skipping document: validation failed: [etl="transformer-md5"] '
                          "readinessProbe section is required in a container spec\n"), r


@pytest.mark.cli("regular flow: ais etl init spec -f spec.yaml --name transformer-md5 "
                 "--comm-type hpush://", "ais etl object transformer-md5 ais://transform/shard.in -")
def test_regular_flow(kiln, ais, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(spec(probe=True))
    r = ais.run("etl", "init", "spec", "-f", str(path), "--name", "transformer-md5",
                "--comm-type", "hpush://")
    assert r.rc == 0 and r.out.startswith('ETL[transformer-md5]: job "etl-'), r
    assert ais.raw("etl", "object", "transformer-md5", "ais://transform/shard.in", "-") == MD5


@pytest.mark.cli("ais etl bucket transformer-md5 ais://transform ais://transform-md5 --wait")
def test_offline(ais):
    r = ais.run("etl", "bucket", "transformer-md5", "ais://transform", "ais://transform-md5",
                "--wait")
    assert r.rc == 0 and r.out.endswith(" ais://transform => ais://transform-md5 ...\n"), r
    assert ais.raw("get", "ais://transform-md5/shard.in", "-") == MD5


@pytest.mark.cli("ais etl stop transformer-md5")
def test_stop(ais):
    expect(ais.run("etl", "stop", "transformer-md5"), "ETL[transformer-md5] stopped\n")
    expect(ais.run("etl", "object", "transformer-md5", "ais://transform/shard.in", "-"),
           err="Error: ETL[transformer-md5] not found; try starting new ETL with:\n"
               "ais etl init <spec>\n", rc=1)
