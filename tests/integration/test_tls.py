"""HTTPS (issue #21): `kilnd cluster --tls` makes a CA and a node certificate in DATA/tls and
serves HTTPS on the proxy and the targets, between nodes too. Clients that trust DATA/tls/ca.pem
(requests' verify=, the SDK's ca_cert) work as over HTTP, redirects to targets included; plain
HTTP and clients that do not trust the CA are refused."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from aistore.sdk import Client

import etlharness as eh
import kilnharness as kh

TLS_READY_RE = re.compile(r"Kiln cluster ready: (https://127\.0\.0\.1:(\d+)) \(")


class TlsSupervisor(kh.Supervisor):
    def wait_ready(self, timeout: float = kh.START_TIMEOUT) -> str:
        def ready_line():
            self.check_alive()
            m = TLS_READY_RE.search(self.stdout_path.read_text(errors="replace"))
            return m and m.group(1)

        self.url = kh.wait_until(ready_line, timeout, "https cluster ready line",
                                 on_fail=self.log_tail)
        self.snapshot_children()
        return self.url


def tls_cluster(base, flag: str):
    """A 2-target `kilnd cluster` with the flag (--tls or --tls-mutual), for a module fixture's
    yield from: its URL and the files in DIR/tls."""
    sup = TlsSupervisor(base / "data", base, targets=2, extra=[flag])
    try:
        url = sup.wait_ready()
        tls_dir = base / "data" / "tls"
        yield {"url": url, "ca": str(tls_dir / "ca.pem"), "base": base, "dir": tls_dir,
               "client": (str(tls_dir / "client.pem"), str(tls_dir / "client.key"))}
    finally:
        sup.close()


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    yield from tls_cluster(tmp_path_factory.mktemp("tls"), "--tls")


def test_objects_round_trip_over_https(tls):
    url, ca = tls["url"], tls["ca"]
    bucket = "tls-" + uuid.uuid4().hex[:6]
    r = requests.post(f"{url}/v1/buckets/{bucket}", json={"action": "create-bck"}, verify=ca,
                      timeout=10)
    assert r.status_code == 200, r.text
    for i in range(6):  # two targets: some objects live on each
        r = requests.put(f"{url}/v1/objects/{bucket}/o{i}", data=f"data-{i}".encode(), verify=ca,
                         timeout=10)
        assert r.status_code == 200, r.text
    for i in range(6):
        r = requests.get(f"{url}/v1/objects/{bucket}/o{i}", verify=ca, timeout=10)
        assert r.status_code == 200 and r.content == f"data-{i}".encode()
        assert r.url.startswith("https://"), r.url  # the redirect went to an https target
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, verify=ca, timeout=10).json()
    assert len(smap["tmap"]) == 2  # the targets joined the proxy over HTTPS
    assert all(t["public_net"]["direct_url"].startswith("https://") for t in smap["tmap"].values())


def test_plain_http_and_untrusted_clients_are_refused(tls):
    http_url = tls["url"].replace("https://", "http://")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{http_url}/v1/health", timeout=5)
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls['url']}/v1/health", timeout=5)  # the system's CAs only
    assert requests.get(f"{tls['url']}/v1/health", verify=tls["ca"], timeout=5).status_code == 200


def test_the_sdk_with_the_client_ca(tls, monkeypatch):
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE (set on some machines) override a
    # session's own CA, which is how the SDK applies ca_cert: take them out for this client.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = Client(tls["url"], ca_cert=tls["ca"], timeout=(3, 20),
                    retry_config=eh.quick_sdk(tls["url"]).retry_config)
    bucket = client.bucket("tls-sdk-" + uuid.uuid4().hex[:6]).create()
    bucket.object("hello").get_writer().put_content(b"over tls")
    assert bucket.object("hello").get_reader().read_all() == b"over tls"


def served_cert(url: str) -> bytes:
    """The DER certificate the node at url presents now (not verified here)."""
    u = urlsplit(url)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((u.hostname, u.port), timeout=5) as sock:
        with ctx.wrap_socket(sock, server_hostname=u.hostname) as tls_sock:
            return tls_sock.getpeercert(binary_form=True)


def openssl(*args: str, cwd: Path) -> None:
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def new_node_pair(tls_dir: Path, work: Path) -> tuple[Path, Path]:
    """A fresh EC key and a certificate for 127.0.0.1 signed by the CA in tls_dir (ca.pem and
    ca.key)."""
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "new.key", cwd=work)
    openssl("req", "-new", "-key", "new.key", "-subj", "/CN=kiln-renewed", "-out", "new.csr",
            cwd=work)
    (work / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ca_cert, ca_key = tls_dir / "ca.pem", tls_dir / "ca.key"
    openssl("x509", "-req", "-in", "new.csr", "-CA", str(ca_cert), "-CAkey", str(ca_key),
            "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "new.pem", cwd=work)
    return work / "new.pem", work / "new.key"


def replace_file(src: Path, dst: Path) -> None:
    tmp = dst.with_suffix(".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)  # as certificate tools do: a rename over the old file


def test_a_renewed_certificate_is_served_without_a_restart(tls, tmp_path):
    """Runs last in this module: it changes the certificate every node serves."""
    url, ca = tls["url"], tls["ca"]
    tls_dir = Path(ca).parent
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, verify=ca, timeout=10).json()
    nodes = [url] + [t["public_net"]["direct_url"] for t in smap["tmap"].values()]
    old = {n: served_cert(n) for n in nodes}
    cert, key = new_node_pair(tls_dir, tmp_path)
    new_der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    # The key first, then the certificate: a node never serves the half-written pair.
    replace_file(key, tls_dir / "node.key")
    time.sleep(0.3)
    replace_file(cert, tls_dir / "node.pem")
    kh.wait_until(lambda: all(served_cert(n) == new_der for n in nodes), 15,
                  "every node serves the renewed certificate",
                  on_fail=lambda: str({n: served_cert(n) == old[n] for n in nodes}))
    bucket = "tls-renew-" + uuid.uuid4().hex[:6]
    assert requests.post(f"{url}/v1/buckets/{bucket}", json={"action": "create-bck"},
                         verify=ca, timeout=10).status_code == 200
    for i in range(4):  # between nodes too: the proxy redirects and the targets answer
        assert requests.put(f"{url}/v1/objects/{bucket}/o{i}", data=b"x%d" % i, verify=ca,
                            timeout=10).status_code == 200
        assert requests.get(f"{url}/v1/objects/{bucket}/o{i}", verify=ca,
                            timeout=10).content == b"x%d" % i
    # A key that is not the certificate's is refused: the renewed pair stays in service.
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    _, wrong_key = new_node_pair(tls_dir, other_dir)
    replace_file(wrong_key, tls_dir / "node.key")
    kh.holds_for(lambda: all(served_cert(n) == new_der for n in nodes), 4,
                 "the nodes keep the last good pair")
    assert requests.get(f"{url}/v1/health", verify=ca, timeout=5).status_code == 200


@pytest.fixture(scope="module")
def mtls(tmp_path_factory):
    """`kilnd cluster --tls-mutual`: every client must show a certificate of the cluster's CA."""
    yield from tls_cluster(tmp_path_factory.mktemp("mtls"), "--tls-mutual")


def foreign_pair(work: Path) -> tuple[Path, Path]:
    """A key and a certificate for 127.0.0.1 from a CA of their own, not the cluster's."""
    other_ca = work / "other-ca"
    other_ca.mkdir()
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-subj", "/CN=other-ca", "-keyout", "ca.key", "-out", "ca.pem", "-days",
            "2", cwd=other_ca)
    return new_node_pair(other_ca, work)


def test_mutual_tls_refuses_clients_without_a_certificate_of_the_ca(mtls, tmp_path):
    url, ca, client = mtls["url"], mtls["ca"], mtls["client"]
    with pytest.raises((requests.exceptions.SSLError, requests.ConnectionError)):
        requests.get(f"{url}/v1/health", verify=ca, timeout=5)  # no certificate
    foreign = foreign_pair(tmp_path)
    with pytest.raises((requests.exceptions.SSLError, requests.ConnectionError)):
        requests.get(f"{url}/v1/health", verify=ca, cert=tuple(map(str, foreign)), timeout=5)
    # With the cluster's client certificate: objects through the proxy's redirect to targets
    # that joined over mutual TLS themselves.
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, verify=ca, cert=client,
                        timeout=10).json()
    assert len(smap["tmap"]) == 2
    bucket = "mtls-" + uuid.uuid4().hex[:6]
    assert requests.post(f"{url}/v1/buckets/{bucket}", json={"action": "create-bck"}, verify=ca,
                         cert=client, timeout=10).status_code == 200
    for i in range(4):
        assert requests.put(f"{url}/v1/objects/{bucket}/o{i}", data=b"m%d" % i, verify=ca,
                            cert=client, timeout=10).status_code == 200
        r = requests.get(f"{url}/v1/objects/{bucket}/o{i}", verify=ca, cert=client, timeout=10)
        assert r.status_code == 200 and r.content == b"m%d" % i


def test_mutual_tls_a_node_with_a_foreign_certificate_cannot_join(mtls, tmp_path):
    url, ca = mtls["url"], mtls["ca"]
    cert, key = foreign_pair(tmp_path)
    intruder = kh.Target(tmp_path / "intruder", mtls["base"], url, name="intruder",
                         extra=["--tls-cert", cert, "--tls-key", key, "--tls-ca", ca])
    try:
        nid = intruder.node_id()

        def members():
            return requests.get(f"{url}/v1/daemon", params={"what": "smap"}, verify=ca,
                                cert=mtls["client"], timeout=10).json()["tmap"]

        kh.holds_for(lambda: nid not in members() and len(members()) == 2, 6,
                     "the intruder stays out of the cluster map")
        assert intruder.alive()  # it keeps trying; it is refused, not crashed
        tail = intruder.log_tail(200)
        assert "join via" in tail and "failed" in tail, tail
        print(tail.splitlines()[-1])
    finally:
        intruder.stop()
