"""AIS's object write forms beyond a plain PUT, on a 3-target `kilnd cluster`: copy (same and
other bucket, across targets), rename, custom metadata, and the audit of every write path that
carries an action or a query and no body. No such request may ever replace an object with an
empty one: a form Kiln does not implement answers AIS's error and leaves the object as it was.
"""

import json

import uuid

import pytest
import requests

import kilnharness as kh
import objectops as op

DATA = b"hello world\n" * 3


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    with kh.running_supervisor(tmp_path_factory.mktemp("writes")) as sup:
        yield sup


@pytest.fixture
def src(kiln, request):
    """A fresh bucket holding one object, and a second, empty bucket."""
    tag = uuid.uuid4().hex[:12]
    a = kh.create_bucket(kiln.url, f"a-{tag}")
    b = kh.create_bucket(kiln.url, f"b-{tag}")
    op.put(kiln.url, a, "o.txt", DATA)
    return a, b


def unchanged(kiln, bucket, name="o.txt"):
    r = op.head(kiln.url, bucket, name)
    assert r.status_code == 200
    assert op.content(kiln.url, bucket, name) == DATA
    assert r.headers["Ais-Checksum-Value"] == op.xxh(DATA)
    assert r.headers["Ais-Version"] == "1"


# (case, method, query, JSON body, status, message part). Every one arrives with no object
# bytes; none may touch the object.
AUDIT = [
    ("append-type-unknown", "PUT", {"append_type": "bogus"}, None, 400,
     'invalid operation "bogus" (expecting either "append" or "flush")'),
    ("flush-without-handle", "PUT", {"append_type": "flush"}, None, 400,
     "failed to finalize append-file operation"),
    ("flush-unknown-handle", "PUT", {"append_type": "flush", "append_handle": "t1|x|xxhash|0"},
     None, 400, "APPEND failure: node t1 not present"),
    ("append-bad-handle", "PUT", {"append_type": "append", "append_handle": "nonsense"}, None,
     400, 'invalid APPEND handle: "nonsense"'),
    ("archive-append", "PUT", {"archpath": "inner.txt"}, None, 501,
     "cannot append to archive ais://{a}/o.txt - not implemented yet"),
    ("multipart-part", "PUT", {"uploadId": "u1", "partNumber": "1"}, None, 501,
     "cannot upload a multipart part of ais://{a}/o.txt - not implemented yet"),
    ("copy-unknown-etl", "PUT", {"object_to": "ais/@#/{b}/x.txt", "etl_name": "no-such-etl"},
     None, 400, "ETL no-such-etl doesn't exist"),
    ("copy-to-missing-bucket", "PUT", {"object_to": "ais/@#/never-made/x.txt"}, None, 404,
     'bucket "ais://never-made" does not exist'),
    ("copy-to-other-provider", "PUT", {"object_to": "s3/@#/x/y"}, None, 501,
     'provider "s3" is not supported'),
    ("rename-onto-itself", "POST", {}, {"action": "rename-obj", "name": "o.txt"}, 400,
     "cannot rename ais://{a}/o.txt to self, nothing to do"),
    ("post-unknown-action", "POST", {}, {"action": "frobnicate"}, 400,
     'invalid action "frobnicate"'),
    ("post-no-action", "POST", {}, None, 400, 'invalid action ""'),
    ("multipart-start", "POST", {}, {"action": "mpt-upload"}, 501,
     "cannot multipart-upload ais://{a}/o.txt - not implemented yet"),
    ("blob-download", "POST", {}, {"action": "blob-download", "name": "o.txt"}, 400,
     "blob-download: expecting remote bucket (have ais://{a})"),
    ("custom-not-strings", "PATCH", {}, {"value": {"k": 1}}, 400, "failed to unmarshal set-custom"),
    ("custom-empty-key", "PATCH", {}, {"value": {"": "v"}}, 400, "custom metadata: empty key"),
    ("multipart-abort", "DELETE", {}, {"action": "mpt-abort"}, 501,
     "cannot multipart-upload ais://{a}/o.txt - not implemented yet"),
    ("evict", "DELETE", {}, {"action": "evict-listrange"}, 400,
     "evict-listrange: expecting remote bucket (have ais://{a})"),
]


@pytest.mark.parametrize("via", ["proxy", "target"])
@pytest.mark.parametrize("case,method,query,body,status,message", AUDIT,
                         ids=[c[0] for c in AUDIT])
def test_no_action_ever_replaces_the_object(kiln, src, via, case, method, query, body, status,
                                            message):
    a, b = src
    base = kiln.url if via == "proxy" else op.owner(kiln.url, a, "o.txt")
    # Checks the proxy makes before it redirects; a target asked directly answers in its words.
    if via == "target" and "node t1 not present" in message:
        message = 'APPEND handle "t1|x|xxhash|0" is unknown'
    if via == "target" and case == "copy-unknown-etl":
        status, message = 404, "no-such-etl does not exist"
    if via == "target" and case == "rename-onto-itself":
        message = "cannot rename/move object ais://{a}/o.txt onto itself"
    query = {k: v.format(a=a, b=b) for k, v in query.items()}
    r = op.act(method, base, a, "o.txt", body, **query)
    assert r.status_code == status, (r.status_code, r.text)
    assert message.format(a=a, b=b) in op.error_message(r)
    unchanged(kiln, a)


def test_copy_within_and_across_buckets(kiln, src):
    a, b = src
    r = op.act("PUT", kiln.url, a, "o.txt", None, object_to=op.uname(b, "copy.txt"))
    assert r.status_code == 200 and r.content == b""
    r = op.act("PUT", kiln.url, a, "o.txt", None, object_to=op.uname(a, "dir/copy.txt"))
    assert r.status_code == 200
    for bucket, name in ((b, "copy.txt"), (a, "dir/copy.txt")):
        assert op.content(kiln.url, bucket, name) == DATA
        assert op.head(kiln.url, bucket, name).headers["Ais-Checksum-Value"] == op.xxh(DATA)
    unchanged(kiln, a)


def test_copy_lands_on_the_target_that_owns_the_destination(kiln, src):
    a, b = src
    far = op.names_other_target(kiln.url, b, "o.txt", than=op.owner(kiln.url, a, "o.txt"))
    assert op.owner(kiln.url, b, far) != op.owner(kiln.url, a, "o.txt")
    assert op.act("PUT", kiln.url, a, "o.txt", None, object_to=op.uname(b, far)).status_code == 200
    # The destination's owner holds it: a direct GET there finds it.
    r = requests.get(op.url(op.owner(kiln.url, b, far), b, far), params={"provider": "ais"},
                     timeout=30)
    assert r.status_code == 200 and r.content == DATA
    unchanged(kiln, a)


def test_copy_keeps_custom_metadata_and_onto_itself_is_a_no_op(kiln, src):
    a, b = src
    assert op.act("PATCH", kiln.url, a, "o.txt", {"value": {"team": "kiln"}}).status_code == 200
    far = op.names_other_target(kiln.url, b, "c.txt", than=op.owner(kiln.url, a, "o.txt"))
    for name in ("c.txt", far):
        assert op.act("PUT", kiln.url, a, "o.txt", None,
                      object_to=op.uname(b, name)).status_code == 200
        assert op.head(kiln.url, b, name).headers["Ais-Custom-Md"] == "team=kiln"
    r = op.act("PUT", kiln.url, a, "o.txt", None, object_to=op.uname(a, "o.txt"))
    assert r.status_code == 200
    unchanged(kiln, a)


def test_copy_of_a_missing_object_is_404_and_creates_nothing(kiln, src):
    a, b = src
    r = op.act("PUT", kiln.url, a, "missing.txt", None, object_to=op.uname(b, "x.txt"))
    assert r.status_code == 404
    assert f"ais://{a}/missing.txt does not exist" in op.error_message(r)
    assert op.content(kiln.url, b, "x.txt") is None


def test_rename_moves_the_object_and_keeps_its_metadata(kiln, src):
    a, _ = src
    assert op.act("PATCH", kiln.url, a, "o.txt", {"value": {"k": "v"}}).status_code == 200
    new = op.names_other_target(kiln.url, a, "renamed")
    r = op.act("POST", kiln.url, a, "o.txt", {"action": "rename-obj", "name": new})
    assert r.status_code == 200, r.text
    assert op.content(kiln.url, a, "o.txt") is None
    assert op.content(kiln.url, a, new) == DATA
    h = op.head(kiln.url, a, new).headers
    assert h["Ais-Checksum-Value"] == op.xxh(DATA) and h["Ais-Custom-Md"] == "k=v"


def test_rename_of_a_missing_object_is_404(kiln, src):
    a, _ = src
    r = op.act("POST", kiln.url, a, "nope.txt", {"action": "rename-obj", "name": "x.txt"})
    assert r.status_code == 404
    assert f"ais://{a}/nope.txt does not exist" in op.error_message(r)
    assert op.content(kiln.url, a, "x.txt") is None


def test_custom_metadata_adds_merges_and_replaces(kiln, src):
    a, _ = src
    assert op.act("PATCH", kiln.url, a, "o.txt", {"value": {"a": "1", "b": "2"}}).status_code == 200
    assert op.act("PATCH", kiln.url, a, "o.txt", {"value": {"b": "3"}}).status_code == 200
    h = op.head(kiln.url, a, "o.txt").headers
    # requests joins repeated headers with ", "; AIS sends one header per key.
    assert sorted(h["Ais-Custom-Md"].split(", ")) == ["a=1", "b=3"]
    r = op.act("PATCH", kiln.url, a, "o.txt", {"value": {"c": "4"}}, **{"set-new-custom": "true"})
    assert r.status_code == 200
    assert op.head(kiln.url, a, "o.txt").headers["Ais-Custom-Md"] == "c=4"
    unchanged(kiln, a)


def test_custom_metadata_limits_and_missing_object(kiln, src):
    a, _ = src
    r = op.act("PATCH", kiln.url, a, "o.txt", {"value": {"k": "v" * 2100}})
    assert r.status_code == 400
    assert "custom metadata: total size 2101 exceeds max 2048 bytes" in op.error_message(r)
    r = op.act("PATCH", kiln.url, a, "missing", {"value": {"k": "v"}})
    assert r.status_code == 404
    assert f"ais://{a}/missing does not exist" in op.error_message(r)


def test_write_overwrites_custom_metadata_like_ais(kiln, src):
    a, _ = src
    assert op.act("PATCH", kiln.url, a, "o.txt", {"value": {"k": "v"}}).status_code == 200
    op.put(kiln.url, a, "o.txt", b"new")
    h = op.head(kiln.url, a, "o.txt").headers
    assert "Ais-Custom-Md" not in h and h["Ais-Version"] == "2"


def test_head_of_a_new_route_on_the_wrong_method_names_the_allowed_ones(kiln, src):
    a, _ = src
    r = requests.request("OPTIONS", op.url(kiln.url, a, "o.txt"), timeout=30)
    assert r.status_code == 405
    assert set(r.headers["Allow"].split(", ")) >= {"GET", "PUT", "POST", "PATCH", "DELETE"}
    assert json.loads(r.text)["status"] == 405
