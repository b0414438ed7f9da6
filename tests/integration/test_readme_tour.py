"""README's "Try it" tour, run as written against a fresh `kilnd cluster`: every code block of
that section, with the cluster's URL for the default http://127.0.0.1:8080. The results are
checked against what this test computes itself (the MD5 of the object), so a tour that stops
working, or prints something else, fails here.
"""

import hashlib
import json
import os
import re
import shlex
import subprocess

import pytest
import requests

import kilnharness as kh

README = kh.REPO / "README.md"
DEFAULT_URL = "http://127.0.0.1:8080"
HELLO_MD5 = hashlib.md5(b"hello kiln\n").hexdigest()


def tour_blocks() -> list[str]:
    text = README.read_text()
    section = re.search(r"^## Try it\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "README has no '## Try it' section"
    return re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)


def block_with(word: str) -> str:
    found = [b for b in tour_blocks() if word in b]
    assert len(found) == 1, f"one tour block with {word!r} expected, found {len(found)}"
    return found[0]


def run_block(block: str, url: str, tmp_path) -> str:
    env = dict(os.environ, AIS_CONFIG_DIR=str(tmp_path / "ais"))
    env.pop("AIS_ENDPOINT", None)
    script = block.replace(DEFAULT_URL, url)
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=kh.REPO, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"tour block failed ({p.returncode}):\n{script}\n" \
                              f"--- stdout ---\n{p.stdout}\n--- stderr ---\n{p.stderr}"
    return p.stdout


def etl_names(url: str) -> list[str]:
    return [e["id"] for e in requests.get(f"{url}/v1/etl", timeout=10).json()]


def test_the_tour_has_each_client():
    blocks = tour_blocks()
    assert len(blocks) == 4
    for word in ("kiln-console", "curl", ".venv/bin/python", "ais etl init"):
        block_with(word)


def test_console_block_names_a_built_binary_and_its_options():
    words = shlex.split(block_with("kiln-console").replace("&", ""))
    binary = kh.REPO / words[0]
    assert binary.is_file() and os.access(binary, os.X_OK), f"{binary} is not built"
    usage = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, QT_QPA_PLATFORM="offscreen")).stdout
    for option in (w for w in words[1:] if w.startswith("--")):
        assert option in usage, f"kiln-console has no {option}"


def test_curl_tour(kilnd_cluster, tmp_path):
    url = kilnd_cluster.url
    out = run_block(block_with("curl -fsS"), url, tmp_path)
    lines = out.splitlines()
    assert HELLO_MD5 in lines, out
    listing = next(line for line in lines if '"entries"' in line)
    assert [e["name"] for e in json.loads(listing)["entries"]] == \
        ["hello.txt"]
    health = next(line for line in lines if "health_status" in line)
    assert sorted(h["target_id"] for h in json.loads(health)) == \
        sorted(kh.get_smap(url)["tmap"]), health
    assert "md5-curl" not in etl_names(url)


def test_sdk_tour(kilnd_cluster, tmp_path):
    url = kilnd_cluster.url
    out = run_block(block_with(".venv/bin/python"), url, tmp_path)
    assert HELLO_MD5 in out.splitlines(), out
    assert "['hello.txt']" in out.splitlines(), out
    got = requests.get(f"{url}/v1/objects/tour-sdk-md5/hello.txt", timeout=10)
    assert got.content.decode() == HELLO_MD5
    assert "md5-sdk" not in etl_names(url)


def test_cli_tour(kilnd_cluster, tmp_path):
    url = kilnd_cluster.url
    out = run_block(block_with("ais etl init"), url, tmp_path)
    assert HELLO_MD5 in out.splitlines(), out
    got = requests.get(f"{url}/v1/objects/tour-cli-md5/hello.txt", timeout=10)
    assert got.status_code == 200 and got.content.decode() == HELLO_MD5
    assert re.search(r"^hello\.txt\s+32B", out, re.M), out
    assert "md5-cli" not in etl_names(url)
