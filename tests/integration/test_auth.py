"""Auth (issue #21): kilnd with --auth checks AIS AuthN tokens on every route family.

One `kilnd cluster --auth` for the module, its secret given in KILN_AUTH_SECRET; tokens are
made here with the standard library's HMAC (HS256), independently of Kiln's own signing.
Every refusal must come with the AIS error body and leave nothing changed.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
import uuid

import pytest
import requests

import etlharness as eh
import kilnharness as kh

SECRET = secrets.token_hex(16)

# apc.AccessAttrs bits (api/apc/access.go)
GET, OBJ_HEAD, PUT, APPEND, OBJ_DELETE, OBJ_MOVE = 1, 2, 4, 8, 16, 32
BCK_HEAD, OBJ_LIST = 1 << 8, 1 << 9
LIST_BUCKETS, SHOW_CLUSTER, CREATE_BUCKET = 1 << 12, 1 << 13, 1 << 14
READ_ONLY = GET | OBJ_HEAD | BCK_HEAD | OBJ_LIST | LIST_BUCKETS | SHOW_CLUSTER
READ_WRITE = READ_ONLY | PUT | APPEND | OBJ_DELETE | OBJ_MOVE


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(sub: str, perm: int = 0, admin: bool = False, expires_in: int = 600,
               secret: str = SECRET) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "exp": int(time.time()) + expires_in, "admin": admin,
              "clusters": [{"id": "", "perm": str(perm)}]}
    payload = b64url(json.dumps(claims).encode())
    sig = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


ADMIN = make_token("admin", admin=True)
READER = make_token("reader", READ_ONLY)
WRITER = make_token("writer", READ_WRITE)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    base = tmp_path_factory.mktemp("auth")
    os.environ["KILN_AUTH_SECRET"] = SECRET
    sup = kh.Supervisor(base / "data", base, targets=2,
                        extra=["--auth", "--venv-dir", base / "venvs"])
    try:
        yield sup.wait_ready()
    finally:
        del os.environ["KILN_AUTH_SECRET"]
        sup.close()


@pytest.fixture(scope="module")
def bucket(url):
    name = "auth-" + uuid.uuid4().hex[:8]
    r = requests.post(f"{url}/v1/buckets/{name}", json={"action": "create-bck"},
                      headers=auth(ADMIN), timeout=10)
    assert r.status_code == 200, r.text
    r = requests.put(f"{url}/v1/objects/{name}/hello.txt", data=b"hello", headers=auth(ADMIN),
                     timeout=10)
    assert r.status_code == 200, r.text
    return name


def assert_refused(r: requests.Response, status: int, what: str):
    assert r.status_code == status, f"{what}: {r.status_code} {r.text}"
    body = r.json()
    assert body["status"] == status, body
    assert body["message"], body
    assert body["node"].startswith("p["), body  # the proxy refused it, before any redirect


# One request per route family: objects, buckets, ETL, cluster.
def family_requests(url, bucket):
    return {
        "object GET": ("GET", f"{url}/v1/objects/{bucket}/hello.txt", None),
        "object PUT": ("PUT", f"{url}/v1/objects/{bucket}/new.txt", b"x"),
        "bucket list": ("GET", f"{url}/v1/buckets", None),
        "bucket create": ("POST", f"{url}/v1/buckets/made-{uuid.uuid4().hex[:6]}",
                          json.dumps({"action": "create-bck"}).encode()),
        "etl list": ("GET", f"{url}/v1/etl", None),
        "etl init": ("PUT", f"{url}/v1/etl", json.dumps({"name": "x"}).encode()),
        "cluster show": ("GET", f"{url}/v1/daemon?what=smap", None),
        "cluster action": ("PUT", f"{url}/v1/cluster",
                           json.dumps({"action": "set-config"}).encode()),
    }


def test_health_is_open(url):
    assert requests.get(f"{url}/v1/health", timeout=5).status_code == 200


def test_metrics_need_a_show_cluster_token(url):
    assert_refused(requests.get(f"{url}/metrics", timeout=5), 401, "metrics without a token")
    writer_no_show = make_token("noshow", GET | PUT)
    assert_refused(requests.get(f"{url}/metrics", headers=auth(writer_no_show), timeout=5), 403,
                   "metrics without SHOW-CLUSTER")
    r = requests.get(f"{url}/metrics", headers=auth(READER), timeout=5)
    assert r.status_code == 200 and "ais_proxy_get_count" in r.text, r.text[:200]


@pytest.mark.parametrize("token,why", [
    (None, "token required"),
    (make_token("admin", admin=True, expires_in=-10), "expired"),
    (make_token("admin", admin=True, secret="not-the-secret"), "signature"),
    ("not.a.jwt", "invalid token"),
], ids=["missing", "expired", "bad-signature", "garbage"])
def test_bad_tokens_are_401_on_every_family(url, bucket, token, why):
    headers = auth(token) if token else {}
    for what, (method, target, body) in family_requests(url, bucket).items():
        r = requests.request(method, target, data=body, headers=headers, timeout=10,
                             allow_redirects=False)
        assert_refused(r, 401, what)
        assert why in r.json()["message"], (what, r.text)


def test_wrong_role_is_403_on_every_family_and_changes_nothing(url, bucket):
    before = requests.get(f"{url}/v1/buckets", headers=auth(ADMIN), timeout=10).json()
    reader = {"GET": READER, "HEAD": READER}
    for what, (method, target, body) in family_requests(url, bucket).items():
        if method in reader and "etl" not in what and "cluster" not in what:
            continue  # reads a read-only user may do
        if what == "cluster show":
            continue  # SHOW-CLUSTER is in READ_ONLY
        r = requests.request(method, target, data=body, headers=auth(READER), timeout=10,
                             allow_redirects=False)
        assert_refused(r, 403, what)
        assert "insufficient permissions" in r.json()["message"], r.text
    after = requests.get(f"{url}/v1/buckets", headers=auth(ADMIN), timeout=10).json()
    assert after == before
    r = requests.get(f"{url}/v1/objects/{bucket}/new.txt", headers=auth(ADMIN), timeout=10)
    assert r.status_code == 404


def test_read_only_user_reads_and_lists(url, bucket):
    r = requests.get(f"{url}/v1/objects/{bucket}/hello.txt", headers=auth(READER), timeout=10)
    assert r.status_code == 200 and r.content == b"hello"
    r = requests.get(f"{url}/v1/buckets", headers=auth(READER), timeout=10)
    assert r.status_code == 200
    assert any(b["name"] == bucket for b in r.json())


def test_writer_puts_but_cannot_create_buckets(url, bucket):
    r = requests.put(f"{url}/v1/objects/{bucket}/w.txt", data=b"w", headers=auth(WRITER),
                     timeout=10)
    assert r.status_code == 200, r.text
    r = requests.post(f"{url}/v1/buckets/nope-{uuid.uuid4().hex[:6]}",
                      json={"action": "create-bck"}, headers=auth(WRITER), timeout=10)
    assert_refused(r, 403, "create bucket")


def test_revoked_token_is_401(url, bucket):
    token = make_token("short", READ_ONLY)
    target = f"{url}/v1/objects/{bucket}/hello.txt"
    assert requests.get(target, headers=auth(token), timeout=10).status_code == 200
    r = requests.delete(f"{url}/v1/tokens", json={"token": token}, headers=auth(READER), timeout=10)
    assert_refused(r, 403, "revoke by a reader")
    r = requests.delete(f"{url}/v1/tokens", json={"token": token}, headers=auth(ADMIN), timeout=10)
    assert r.status_code == 200, r.text
    r = requests.get(target, headers=auth(token), timeout=10, allow_redirects=False)
    assert_refused(r, 401, "revoked")
    assert "revoked" in r.json()["message"]


def test_a_target_that_joins_later_refuses_tokens_revoked_before(url, bucket, tmp_path):
    token = make_token("gone-before", READ_ONLY)
    r = requests.delete(f"{url}/v1/tokens", json={"token": token}, headers=auth(ADMIN), timeout=10)
    assert r.status_code == 200, r.text
    late = kh.Target(tmp_path / "late", tmp_path, url, extra=["--auth"], name="late")
    try:
        nid = late.node_id()
        kh.wait_until(lambda: nid in requests.get(f"{url}/v1/daemon", params={"what": "smap"},
                                                  headers=auth(ADMIN), timeout=10).json()["tmap"],
                      kh.START_TIMEOUT, "the late target in the cluster map")
        direct = f"{late.url}/v1/objects/{bucket}/hello.txt"
        r = requests.get(direct, headers=auth(token), timeout=10, allow_redirects=False)
        assert r.status_code == 401, r.text  # refused by the target itself
        assert "revoked" in r.json()["message"] and r.json()["node"].startswith("t["), r.text
        fresh = make_token("still-good", READ_ONLY)  # the same claims, not revoked
        r = requests.get(direct, headers=auth(fresh), timeout=10, allow_redirects=False)
        assert r.status_code != 401, r.text
    finally:
        late.stop()


def test_targets_refuse_unsigned_direct_calls(url, bucket):
    smap = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, headers=auth(ADMIN),
                        timeout=10).json()
    for node in smap["tmap"].values():
        turl = node["public_net"]["direct_url"]
        r = requests.get(f"{turl}/v1/objects/{bucket}/hello.txt", timeout=10)
        assert r.status_code == 401, r.text
        r = requests.put(f"{turl}/v1/objects/{bucket}/sneaky", data=b"x", timeout=10)
        assert r.status_code == 401, r.text
        # A forged redirect (pid/utm with a made-up signature) is refused as well.
        r = requests.get(f"{turl}/v1/objects/{bucket}/hello.txt",
                         params={"pid": "p", "utm": "0", "u": "AAAA"}, timeout=10)
        assert r.status_code == 401, r.text


def test_admin_inits_an_etl_and_a_reader_gets_through_it(url, bucket):
    msg = eh.code_msg("md5-auth", eh.MD5_CODE, "hpush://")
    r = requests.put(f"{url}/v1/etl", json=msg, headers=auth(READER), timeout=10)
    assert_refused(r, 403, "reader init")
    r = requests.put(f"{url}/v1/etl", json=msg, headers=auth(ADMIN), timeout=eh.INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    try:
        r = requests.get(f"{url}/v1/objects/{bucket}/hello.txt",
                         params={"etl_name": "md5-auth"}, headers=auth(READER), timeout=30)
        assert r.status_code == 200, r.text
        assert r.content == hashlib.md5(b"hello").hexdigest().encode()
        r = requests.post(f"{url}/v1/etl/md5-auth/stop", headers=auth(READER), timeout=10)
        assert_refused(r, 403, "reader stop")
        r = requests.delete(f"{url}/v1/etl/md5-auth", headers=auth(READER), timeout=10)
        assert_refused(r, 403, "reader delete")
    finally:
        r = requests.delete(f"{url}/v1/etl/md5-auth", headers=auth(ADMIN), timeout=30)
        assert r.status_code == 200, r.text


def test_an_offline_transform_runs_under_auth(url, bucket):
    """Start, job queries, target-to-target delivery and the targets' reports are all
    intra-cluster calls: with auth on they carry the node token and the job still completes."""
    names = [f"obj-{i}" for i in range(12)]
    for n in names:
        r = requests.put(f"{url}/v1/objects/{bucket}/{n}", data=n.encode(), headers=auth(ADMIN),
                         timeout=10)
        assert r.status_code == 200, r.text
    msg = eh.code_msg("md5-offline", eh.MD5_CODE, "hpush://")
    r = requests.put(f"{url}/v1/etl", json=msg, headers=auth(ADMIN), timeout=eh.INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    dst = "dst-" + uuid.uuid4().hex[:6]
    start = dict(params={"bck_to": f"ais/@#/{dst}/"}, timeout=60,
                 json={"action": "etl-bck", "value": {"id": "md5-offline", "prefix": "obj-"}})
    try:
        r = requests.post(f"{url}/v1/buckets/{bucket}", headers=auth(READER), **start)
        assert_refused(r, 403, "reader starts a transform job")
        r = requests.post(f"{url}/v1/buckets/{bucket}", headers=auth(ADMIN), **start)
        assert r.status_code == 200, r.text
        jid = r.text.strip()

        def ended():
            st = requests.get(f"{url}/v1/cluster", params={"what": "status"}, headers=auth(ADMIN),
                              json={"ID": jid, "Kind": ""}, timeout=10)
            assert st.status_code == 200, st.text
            return st.json()["end_time"] > 0 and st.json()

        st = kh.wait_until(ended, 60, f"job {jid} ends")
        assert not st.get("aborted"), st
        for n in names:
            r = requests.get(f"{url}/v1/objects/{dst}/{n}", headers=auth(READER), timeout=10)
            assert r.status_code == 200, (n, r.status_code, r.text)
            assert r.content == hashlib.md5(n.encode()).hexdigest().encode()
    finally:
        r = requests.delete(f"{url}/v1/etl/md5-offline", headers=auth(ADMIN), timeout=30)
        assert r.status_code == 200, r.text
