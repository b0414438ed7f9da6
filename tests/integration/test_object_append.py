"""AIS's append protocol on a 3-target `kilnd cluster`: PUT ?append_type=append answers a handle
in Ais-Append-Handle, more appends follow it (through the proxy, which routes by the handle's
target), and ?append_type=flush commits, verifying Ais-Checksum-Type/-Value when sent. Until the
flush the object is untouched; a failed or abandoned append leaves it as it was."""

import hashlib
import socket
from urllib.parse import quote, urlsplit

import uuid

import pytest
import requests

import kilnharness as kh
import objectops as op


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    with kh.running_supervisor(tmp_path_factory.mktemp("append")) as sup:
        yield sup


@pytest.fixture
def bucket(kiln, request):
    return kh.create_bucket(kiln.url, "ap-" + uuid.uuid4().hex[:12])


def append(kiln, bucket, name, data, handle=""):
    r = requests.put(op.url(kiln.url, bucket, name),
                     params={"provider": "ais", "append_type": "append", "append_handle": handle},
                     data=data, timeout=30)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.content == b""
    return r.headers["Ais-Append-Handle"]


def flush(kiln, bucket, name, handle, cksum=None):
    headers = {}
    if cksum:
        headers = {"Ais-Checksum-Type": cksum[0], "Ais-Checksum-Value": cksum[1]}
    return requests.put(op.url(kiln.url, bucket, name),
                        params={"provider": "ais", "append_type": "flush", "append_handle": handle},
                        headers=headers, timeout=30)


def test_appends_then_flush_with_checksum(kiln, bucket):
    parts = [b"first part\n", b"", b"second\n" * 1000, bytes(range(256)) * 300]
    handle = ""
    for p in parts:
        handle = append(kiln, bucket, "a.bin", p, handle)
        # AIS's shape: <target id>|<work>|<checksum type>|<state>; the object is not there yet.
        assert len(handle.split("|")) == 4 and handle.split("|")[2] == "xxhash2"
        assert op.content(kiln.url, bucket, "a.bin") is None
    whole = b"".join(parts)
    r = flush(kiln, bucket, "a.bin", handle, ("xxhash2", op.xxh(whole)))
    assert r.status_code == 200, r.text
    assert op.content(kiln.url, bucket, "a.bin") == whole
    h = op.head(kiln.url, bucket, "a.bin").headers
    assert h["Ais-Checksum-Value"] == op.xxh(whole) and h["Ais-Version"] == "1"
    # The session is over: its handle is no longer good.
    assert flush(kiln, bucket, "a.bin", handle).status_code == 400


def test_the_handle_leads_to_its_target_whatever_the_name(kiln, bucket):
    handle = append(kiln, bucket, "x.bin", b"abc")
    tid = handle.split("|")[0]
    smap = kh.get_smap(kiln.url)
    owner = op.owner(kiln.url, bucket, "x.bin")
    assert smap["tmap"][tid]["public_net"]["direct_url"] == owner
    # Another object's name under this handle is refused by its target, untouched.
    r = requests.put(op.url(kiln.url, bucket, "y.bin"),
                     params={"provider": "ais", "append_type": "append", "append_handle": handle},
                     data=b"zzz", timeout=30)
    assert r.status_code == 400 and f"ais://{bucket}/x.bin, not ais://{bucket}/y.bin" in r.text
    assert op.content(kiln.url, bucket, "y.bin") is None


def test_append_to_an_existing_object_continues_it(kiln, bucket):
    op.put(kiln.url, bucket, "log.txt", b"line 1\n")
    op.act("PATCH", kiln.url, bucket, "log.txt", {"value": {"kind": "log"}})
    handle = append(kiln, bucket, "log.txt", b"line 2\n")
    handle = append(kiln, bucket, "log.txt", b"line 3\n", handle)
    assert op.content(kiln.url, bucket, "log.txt") == b"line 1\n"  # until the flush
    assert flush(kiln, bucket, "log.txt", handle).status_code == 200
    assert op.content(kiln.url, bucket, "log.txt") == b"line 1\nline 2\nline 3\n"
    h = op.head(kiln.url, bucket, "log.txt").headers
    assert h["Ais-Version"] == "2" and h["Ais-Custom-Md"] == "kind=log"


def test_a_wrong_checksum_fails_the_flush_and_keeps_the_session(kiln, bucket):
    op.put(kiln.url, bucket, "c.bin", b"old")
    handle = append(kiln, bucket, "c.bin", b"-new")
    whole = b"old-new"
    wrong = op.xxh(b"something else")
    r = flush(kiln, bucket, "c.bin", handle, ("xxhash2", wrong))
    assert r.status_code == 500
    assert op.error_message(r) == f"BAD DATA CHECKSUM: xxhash2({op.xxh(whole)} != {wrong})"
    r = flush(kiln, bucket, "c.bin", handle, ("md5", hashlib.md5(whole).hexdigest()))
    assert r.status_code == 500 and "BAD DATA CHECKSUM: (xxhash2[" in op.error_message(r)
    assert op.content(kiln.url, bucket, "c.bin") == b"old"
    r = flush(kiln, bucket, "c.bin", handle, ("xxhash2", op.xxh(whole)))
    assert r.status_code == 200
    assert op.content(kiln.url, bucket, "c.bin") == whole


def test_the_bucket_checksum_type_is_the_sessions(kiln, bucket):
    r = requests.patch(f"{kiln.url}/v1/buckets/{bucket}", params={"provider": "ais"},
                       json={"action": "set-bprops", "value": {"checksum": {"type": "sha256"}}},
                       timeout=30)
    assert r.status_code == 200, r.text
    handle = append(kiln, bucket, "s.bin", b"sha me")
    assert handle.split("|")[2] == "sha256"
    digest = hashlib.sha256(b"sha me").hexdigest()
    assert flush(kiln, bucket, "s.bin", handle, ("sha256", digest)).status_code == 200
    h = op.head(kiln.url, bucket, "s.bin").headers
    assert (h["Ais-Checksum-Type"], h["Ais-Checksum-Value"]) == ("sha256", digest)


def test_a_part_cut_short_ends_the_session_and_the_object_stays(kiln, bucket):
    op.put(kiln.url, bucket, "cut.bin", b"keep me")
    handle = append(kiln, bucket, "cut.bin", b"+1")
    u = urlsplit(op.owner(kiln.url, bucket, "cut.bin"))
    path = (kh.obj_path(bucket, "cut.bin") + "?provider=ais&append_type=append&append_handle="
            + quote(handle, safe=""))
    # A body that announces more than it sends, then the client leaves. It leaves only once the
    # target is reading that part (an empty append with the handle then gets 409: busy): a client
    # gone before its request reached the target never touched the session.
    def busy():
        r = requests.put(op.url(kiln.url, bucket, "cut.bin"), timeout=30, data=b"",
                         params={"provider": "ais", "append_type": "append",
                                 "append_handle": handle})
        assert r.status_code in (200, 409), (r.status_code, r.text)
        return r.status_code == 409

    with socket.create_connection((u.hostname, u.port)) as s:
        s.sendall(f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial".encode())
        kh.wait_until(busy, 10, "the cut part to reach the target")

    def dropped():
        return flush(kiln, bucket, "cut.bin", handle).status_code == 400

    kh.wait_until(dropped, 10, "the cut session to be dropped")
    assert op.content(kiln.url, bucket, "cut.bin") == b"keep me"


def test_empty_first_append_then_flush_makes_an_empty_object(kiln, bucket):
    handle = append(kiln, bucket, "empty.bin", b"")
    assert flush(kiln, bucket, "empty.bin", handle, ("xxhash2", op.xxh(b""))).status_code == 200
    assert op.content(kiln.url, bucket, "empty.bin") == b""
