"""HTTPS (issue #21): `kilnd cluster --tls` makes a CA and a node certificate in DATA/tls and
serves HTTPS on the proxy and the targets, between nodes too. Clients that trust DATA/tls/ca.pem
(requests' verify=, the SDK's ca_cert) work as over HTTP, redirects to targets included; plain
HTTP and clients that do not trust the CA are refused."""

import re
import uuid

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


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    base = tmp_path_factory.mktemp("tls")
    sup = TlsSupervisor(base / "data", base, targets=2, extra=["--tls"])
    try:
        url = sup.wait_ready()
        yield {"url": url, "ca": str(base / "data" / "tls" / "ca.pem")}
    finally:
        sup.close()


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
