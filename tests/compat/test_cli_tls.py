"""The real `ais` CLI over HTTPS (issue #21), configured as a user does: against `kilnd cluster
--tls` with the cluster's CA in the CLI config (`ais config cli set cluster.url https://...` and
`cluster.client_ca_tls DIR/tls/ca.pem`), or in the environment (AIS_ENDPOINT=https://...,
AIS_CLIENT_CA); against `--tls-mutual` with the client certificate too (`cluster.client_crt`,
`cluster.client_crt_key`, or AIS_CRT / AIS_CRT_KEY). Without the CA the CLI fails on the
certificate and nothing is created; without the client certificate mutual TLS refuses it."""

import json
import uuid
from pathlib import Path

import shutil

import pytest
import requests

import aiscli
from test_tls import tls_cluster  # tests/integration (conftest puts it on the path)

SERVERS = Path(__file__).resolve().parent / "etl_servers"
# The CLI keeps its config in the passwd home, whatever $HOME says: bubblewrap gives each test a
# config folder of its own there.
pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    yield from tls_cluster(tmp_path_factory.mktemp("cli-tls"), "--tls")


@pytest.fixture(scope="module")
def mtls(tmp_path_factory):
    yield from tls_cluster(tmp_path_factory.mktemp("cli-mtls"), "--tls-mutual")


def user_cli(ais_binary: str, home: Path) -> aiscli.Cli:
    """The CLI with a config of its own (not the user's ~/.config/ais) and nothing else: no
    AIS_ENDPOINT, no TLS variables."""
    cli = aiscli.Cli(ais_binary, "", home)
    del cli.env["AIS_ENDPOINT"]
    cli.private_config()
    return cli


def ok(cli, *args) -> str:
    r = cli.run(*args)
    assert r.rc == 0, f"ais {' '.join(args)}: {r}"
    return r.out


def cli_config(cli) -> dict:
    return json.loads(ok(cli, "config", "cli", "--json"))


def bucket_names(url: str, ca: str, cert=None) -> list[str]:
    r = requests.get(f"{url}/v1/buckets", verify=ca, cert=cert, timeout=10)
    assert r.status_code == 200, r.text
    return [b["name"] for b in r.json() or []]


def round_trip(cli, tmp: Path, bucket: str, url: str, ca: str, cert=None) -> None:
    """bucket create, put, get, ls and show cluster, all through the CLI."""
    ok(cli, "bucket", "create", bucket)
    data = tmp / "hello.txt"
    data.write_bytes(b"hello over https\n")
    for i in range(4):  # two targets: the proxy redirects some to each
        ok(cli, "put", str(data), f"{bucket}/o{i}.txt")
    for i in range(4):
        assert cli.raw("get", f"{bucket}/o{i}.txt", "-") == data.read_bytes()
    listing = ok(cli, "ls", bucket)
    assert all(f"o{i}.txt" in listing for i in range(4)), listing
    shown = ok(cli, "show", "cluster")
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, verify=ca, cert=cert,
                        timeout=10).json()
    assert f"CLI Endpoint:\t{url}\n" in shown, shown
    assert f"p[{smap['proxy_si']['daemon_id']}][P]" in shown, shown
    for tid in smap["tmap"]:
        assert f"t[{tid}]" in shown, shown
    assert "Status:\t\t3 online" in shown, shown


@pytest.mark.cli("ais config cli set cluster.url https://...",
                 "ais config cli set cluster.client_ca_tls", "ais bucket create (https)",
                 "ais put (https)", "ais get (https)", "ais ls (https)",
                 "ais show cluster (https)")
def test_the_cli_configured_with_the_clusters_ca(tls, ais_binary, tmp_path):
    cli = user_cli(ais_binary, tmp_path / "home")
    ok(cli, "config", "cli", "set", "cluster.url", tls["url"])
    ok(cli, "config", "cli", "set", "cluster.client_ca_tls", tls["ca"])
    cluster = cli_config(cli)["cluster"]
    assert (cluster["url"], cluster["client_ca_tls"]) == (tls["url"], tls["ca"])
    bucket = "ais://cli-tls-" + uuid.uuid4().hex[:6]
    round_trip(cli, tmp_path, bucket, tls["url"], tls["ca"])
    assert bucket[6:] in bucket_names(tls["url"], tls["ca"])


@pytest.mark.cli("AIS_ENDPOINT=https://... AIS_CLIENT_CA=ca.pem ais ...")
def test_the_cli_with_the_ca_in_the_environment(tls, ais_binary, tmp_path):
    cli = user_cli(ais_binary, tmp_path / "home")
    cli.env.update(AIS_ENDPOINT=tls["url"], AIS_CLIENT_CA=tls["ca"])
    round_trip(cli, tmp_path, "ais://cli-tls-env-" + uuid.uuid4().hex[:6], tls["url"], tls["ca"])


@pytest.mark.cli("ais bucket create (https, no CA: refused on the certificate)")
def test_without_the_ca_the_cli_fails_on_the_certificate(tls, ais_binary, tmp_path):
    cli = user_cli(ais_binary, tmp_path / "home")
    cli.env.update(AIS_ENDPOINT=tls["url"])
    bucket = "cli-tls-untrusted-" + uuid.uuid4().hex[:6]
    r = cli.run("bucket", "create", f"ais://{bucket}", timeout=120)
    assert r.rc != 0, r
    assert "x509: certificate signed by unknown authority" in r.err + r.out, r
    assert bucket not in bucket_names(tls["url"], tls["ca"])


@pytest.mark.cli("ais etl init -f spec.yaml (https)", "ais etl object (https)", "ais etl rm (https)")
def test_an_etl_through_the_cli_over_https(tls, ais_binary, tmp_path):
    cli = user_cli(ais_binary, tmp_path / "home")
    cli.env.update(AIS_ENDPOINT=tls["url"], AIS_CLIENT_CA=tls["ca"])
    bucket = "ais://cli-tls-etl-" + uuid.uuid4().hex[:6]
    ok(cli, "bucket", "create", bucket)
    src = tmp_path / "in.txt"
    src.write_bytes(b"abcdef")
    ok(cli, "put", str(src), f"{bucket}/in.txt")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: tls-reverse\ncommunication: hpush://\nruntime:\n  image: python:3.11\n"
                    f"  command: ['python3', '{SERVERS / 'reverse_server.py'}', '--port', '8000']\n")
    ok(cli, "etl", "init", "-f", str(spec))
    try:
        assert cli.raw("etl", "object", "tls-reverse", f"{bucket}/in.txt", "-") == b"fedcba"
    finally:
        ok(cli, "etl", "rm", "tls-reverse")


@pytest.mark.cli("ais config cli set cluster.client_crt C cluster.client_crt_key K (mutual TLS)",
                 "ais ... (mutual TLS, no client certificate: refused)")
def test_mutual_tls_needs_the_client_certificate(mtls, ais_binary, tmp_path):
    cert, key = mtls["client"]
    cli = user_cli(ais_binary, tmp_path / "home")
    ok(cli, "config", "cli", "set", "cluster.url", mtls["url"])
    ok(cli, "config", "cli", "set", "cluster.client_ca_tls", mtls["ca"])
    refused_bucket = "cli-mtls-refused-" + uuid.uuid4().hex[:6]
    r = cli.run("bucket", "create", f"ais://{refused_bucket}", timeout=120)
    assert r.rc != 0, r
    assert "certificate required" in r.err + r.out, r  # TLS's alert, not a bare EOF
    assert refused_bucket not in bucket_names(mtls["url"], mtls["ca"], cert=(cert, key))

    # Both in one command: a certificate without its key (or the reverse) in the config makes
    # every later CLI command over https fail before it starts.
    ok(cli, "config", "cli", "set", "cluster.client_crt", cert, "cluster.client_crt_key", key)
    bucket = "ais://cli-mtls-" + uuid.uuid4().hex[:6]
    round_trip(cli, tmp_path, bucket, mtls["url"], mtls["ca"], (cert, key))
    assert bucket[6:] in bucket_names(mtls["url"], mtls["ca"], cert=(cert, key))


@pytest.mark.cli("AIS_CRT / AIS_CRT_KEY (mutual TLS)")
def test_mutual_tls_with_the_certificate_in_the_environment(mtls, ais_binary, tmp_path):
    cert, key = mtls["client"]
    cli = user_cli(ais_binary, tmp_path / "home")
    cli.env.update(AIS_ENDPOINT=mtls["url"], AIS_CLIENT_CA=mtls["ca"], AIS_CRT=cert,
                   AIS_CRT_KEY=key)
    round_trip(cli, tmp_path, "ais://cli-mtls-env-" + uuid.uuid4().hex[:6], mtls["url"],
               mtls["ca"], (cert, key))
