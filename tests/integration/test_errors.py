"""Malformed and hostile requests, on the proxy and directly on a target: the server answers
with the right status and an AIS JSON error, keeps serving, and never writes outside its
mountpath.
"""

import json
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

import kilnharness as kh


@pytest.fixture(scope="module")
def nodes(module_cluster):
    """{"proxy": url, "target": url of one target} for tests that hit both."""
    return {"proxy": module_cluster.url, "target": module_cluster.targets[0].url}


@pytest.fixture(scope="module")
def ebucket(module_cluster):
    return kh.create_bucket(module_cluster.url, "errors")


def exchange(url, payload: bytes, timeout=10.0, until_eof=False) -> bytes:
    """Sends raw bytes on a fresh connection and reads one response (or, until_eof, everything
    until the server closes or stays quiet for `timeout`)."""
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        try:
            s.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        chunks = []
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if not until_eof and _complete(b"".join(chunks)):
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        return b"".join(chunks)


def _complete(raw: bytes) -> bool:
    head, _, body = raw.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v)
    return False


def status_of(raw: bytes) -> int:
    assert raw, "no answer: the server closed the connection without a response"
    assert raw.startswith(b"HTTP/1.1 "), raw[:200]
    return int(raw.split(b" ", 2)[1])


def body_json(raw: bytes) -> dict:
    return json.loads(raw.partition(b"\r\n\r\n")[2])


def still_serves(url):
    r = requests.get(f"{url}/v1/health", timeout=10)
    assert r.status_code == 200


@pytest.mark.parametrize("node", ["proxy", "target"])
@pytest.mark.parametrize("garbage", [
    b"\x00\xff\xfe garbage \x01\x02\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /v1/health HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
    b"POST /v1/buckets/b HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
], ids=["binary", "no-target", "no-colon", "bad-length"])
def test_garbage_is_400_and_the_server_keeps_serving(nodes, node, garbage):
    raw = exchange(nodes[node], garbage)
    assert status_of(raw) == 400, raw[:300]
    assert "message" in body_json(raw)
    still_serves(nodes[node])


def test_bad_chunk_mid_put_is_400_and_stores_nothing(module_cluster, ebucket):
    """The target is writing the object when the chunked framing breaks."""
    t = module_cluster.targets[0]
    raw = exchange(t.url, b"PUT /v1/objects/errors/bad-chunk HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz\r\n")
    assert status_of(raw) == 400, raw[:300]
    assert "message" in body_json(raw)
    still_serves(t.url)
    assert not (t.bucket_dir(ebucket) / "bad-chunk").exists()
    kh.wait_until(lambda: not any(t.tmp_dir.iterdir()), 10, f"{t.name} tmp/ empty")


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_unsupported_http_version_is_refused(nodes, node):
    raw = exchange(nodes[node], b"GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n")
    assert status_of(raw) in (400, 505), raw[:300]
    still_serves(nodes[node])


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_content_length_with_chunked_is_refused(nodes, node):
    """Both framings at once is the request-smuggling shape: never guess which one wins."""
    raw = exchange(nodes[node], b"PUT /v1/objects/errors/smuggle HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n\r\nGET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3,
                   until_eof=True)
    assert status_of(raw) == 400, raw[:300]
    assert raw.count(b"HTTP/1.1 ") == 1, raw  # the smuggled second request was not served
    still_serves(nodes[node])


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_100_kib_header_is_431(nodes, node):
    req = (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (100 * 1024) + b"\r\n\r\n")
    raw = exchange(nodes[node], req)
    assert status_of(raw) == 431, raw[:300]
    still_serves(nodes[node])


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_many_headers_adding_up_to_100_kib_is_431(nodes, node):
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 90) for i in range(1100))
    raw = exchange(nodes[node], b"GET /v1/health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert status_of(raw) == 431, raw[:300]
    still_serves(nodes[node])


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_overlong_url_is_refused(nodes, node):
    raw = exchange(nodes[node], b"GET /v1/health?x=" + b"a" * (64 * 1024) + b" HTTP/1.1\r\n\r\n")
    assert status_of(raw) in (400, 414), raw[:300]
    still_serves(nodes[node])


def test_pipelined_requests_are_answered_in_order(nodes):
    reqs = [b"GET /v1/daemon?what=smap HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n",
            b"HEAD /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"]
    u = urlsplit(nodes["proxy"])
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(b"".join(reqs))
        f = s.makefile("rb")
        statuses = []
        for method in (b"GET", b"GET", b"HEAD", b"GET"):
            status_line = f.readline()
            assert status_line.startswith(b"HTTP/1.1 "), (statuses, status_line)
            statuses.append(int(status_line.split(b" ")[1]))
            length = 0
            while (line := f.readline()) not in (b"\r\n", b""):
                k, _, v = line.partition(b":")
                if k.lower() == b"content-length":
                    length = int(v)
            if method != b"HEAD":
                f.read(length)
    assert statuses == [200, 404, 200, 200]


@pytest.mark.parametrize("node", ["proxy", "target"])
@pytest.mark.parametrize("request_bytes", [
    b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /v1/health HTTP/1.0\r\n\r\n",
    b"GET /v1/no/such/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
], ids=["connection-close", "http-1.0", "error-then-close"])
def test_response_is_delivered_before_closing(nodes, node, request_bytes):
    """A client that asks to close (or speaks HTTP/1.0) still gets the whole answer, then EOF."""
    u = urlsplit(nodes[node])
    with socket.create_connection((u.hostname, u.port), timeout=10) as s:
        s.sendall(request_bytes)
        raw = b""
        while chunk := s.recv(65536):  # EOF must come: the server closes after answering
            raw += chunk
    assert status_of(raw) == (404 if b"no/such" in request_bytes else 200), raw
    assert b"\r\nConnection: close\r\n" in raw.partition(b"\r\n\r\n")[0] + b"\r\n"
    assert _complete(raw), raw


@pytest.mark.parametrize("body", [b"{not json", b"[1,2,3]", b"\xff\xfe", b'{"action": 5}',
                                  b'"str"'])
def test_bad_json_on_bucket_create_is_400(module_cluster, body):
    r = requests.post(f"{module_cluster.url}/v1/buckets/badjson", params={"provider": "ais"},
                      data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["message"]
    names = [b["name"] for b in requests.get(f"{module_cluster.url}/v1/buckets", timeout=10).json()]
    assert "badjson" not in names


@pytest.mark.parametrize("node", ["proxy", "target"])
@pytest.mark.parametrize("path", ["/", "/nope", "/v1/nope", "/v2/buckets", "/v1/objects",
                                  "/v1/healthz", "/v1/cluster/x/extra/segments"])
def test_unknown_route_is_404(nodes, node, path):
    r = requests.get(nodes[node] + path, timeout=10)
    assert r.status_code == 404, (path, r.status_code, r.text)
    assert r.json()["message"]


@pytest.mark.parametrize("node, method, path, allowed", [
    ("proxy", "PUT", "/v1/buckets/b", {"GET", "POST", "DELETE", "HEAD", "PATCH"}),
    ("proxy", "OPTIONS", "/v1/objects/b/o", {"GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"}),
    ("proxy", "PUT", "/v1/health", {"GET", "HEAD"}),
    ("proxy", "DELETE", "/v1/daemon", {"GET"}),
    ("target", "OPTIONS", "/v1/objects/b/o", {"GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"}),
    ("target", "PATCH", "/v1/health", {"GET", "HEAD"}),
])
def test_wrong_method_is_405_with_allow(nodes, node, method, path, allowed):
    r = requests.request(method, nodes[node] + path, timeout=10)
    assert r.status_code == 405, (r.status_code, r.text)
    got = {m.strip() for m in r.headers.get("Allow", "").split(",") if m.strip()}
    assert allowed <= got, (r.headers.get("Allow"), allowed)
    assert method not in got
    assert r.json()["message"]


MARKER = "escape-" + uuid.uuid4().hex[:12]
DOTS = "../" * 12

# What follows /v1/objects/<bucket>/ in the request line, byte for byte.
HOSTILE_NAMES = {
    "dotdot": f"{DOTS}{MARKER}",
    "inner-dotdot": f"a/b/{DOTS}{MARKER}",
    "encoded-dots": "%2E%2E/" * 12 + MARKER,
    "encoded-slash": "..%2F" * 12 + MARKER,
    "trailing-dotdot": f"{MARKER}/..",
    "absolute-encoded": f"%2Ftmp%2F{MARKER}",
    "absolute-double-slash": f"/tmp/{MARKER}",
    "nul": f"{MARKER}%00.txt",
    "nul-in-dir": f"dir%00/{MARKER}",
}


def marker_files(session_dir: Path) -> list[Path]:
    found = list(session_dir.rglob(f"*{MARKER}*"))
    # Whatever climbed out of the session folder (`../` runs, absolute names) lands directly in
    # one of its ancestors, up to `/`.
    for d in session_dir.resolve().parents:
        found += list(d.glob(f"*{MARKER}*"))
    return found


@pytest.mark.parametrize("node", ["proxy", "target"])
@pytest.mark.parametrize("case", list(HOSTILE_NAMES))
def test_hostile_object_names_are_400_and_write_nothing(module_cluster, nodes, ebucket, node, case,
                                                        tmp_path_factory):
    target = f"/v1/objects/{ebucket}/{HOSTILE_NAMES[case]}?provider=ais"
    r = kh.raw_request(nodes[node], "PUT", target, body=b"pwned",
                       headers={"Content-Length": "5"})
    assert r.status_code == 400, (target, r.status_code, r.text)
    assert r.json()["message"]
    for method in ("GET", "HEAD", "DELETE"):
        r = kh.raw_request(nodes[node], method, target)
        assert r.status_code == 400, (method, target, r.status_code, r.text)
    escaped = marker_files(tmp_path_factory.getbasetemp())
    assert not escaped, escaped
    for t in module_cluster.targets:
        stray = [p for p in t.bucket_dir(ebucket).rglob("*") if p.is_file()]
        assert not stray, stray
        assert not any(t.tmp_dir.iterdir())


def test_dotdot_get_does_not_read_outside_the_mountpath(module_cluster, ebucket):
    t = module_cluster.targets[0]
    secret = t.data / "secret.txt"
    secret.write_text("outside the mountpath")
    for target in (f"/v1/objects/{ebucket}/../../secret.txt",
                   f"/v1/objects/{ebucket}/%2E%2E/%2E%2E/secret.txt",
                   f"/v1/objects/{ebucket}/..%2F..%2Fsecret.txt",
                   f"/v1/objects/{ebucket}/%2F{str(secret)[1:].replace('/', '%2F')}"):
        r = kh.raw_request(t.url, "GET", target)
        assert r.status_code == 400, (target, r.status_code, r.text)
        assert b"outside the mountpath" not in r.content


@pytest.mark.parametrize("node", ["proxy", "target"])
def test_head_of_missing_object_is_404_with_hdr_error(module_cluster, nodes, ebucket, node):
    r = requests.head(f"{nodes[node]}{kh.obj_path(ebucket, 'missing/obj')}",
                      params={"provider": "ais"}, allow_redirects=True, timeout=10)
    assert r.status_code == 404
    assert r.content == b""
    err = json.loads(r.headers["Hdr-Error"])
    assert f"ais://{ebucket}/missing/obj" in err["message"], err
    assert err["status"] == 404


def test_head_of_object_in_missing_bucket_is_404_with_hdr_error(nodes):
    r = requests.head(f"{nodes['proxy']}{kh.obj_path('nobucket', 'o')}", allow_redirects=True,
                      timeout=10)
    assert r.status_code == 404
    assert 'ais://nobucket' in json.loads(r.headers["Hdr-Error"])["message"]
