"""Differential test: the same requests to a real AIStore (aisnode v1.5.0) and to Kiln, with
statuses, key headers and bodies compared (difftool.py says exactly what is compared).

Three tables drive it:

- ALLOWED: every difference the comparison tolerates, what is rewritten and why. Nothing else
  may differ. A normalizer records each entry it applies, and the last test fails if an entry
  was never applied in a full run (so the table cannot keep an allowance for something that no
  longer occurs).
- KNOWN: rows where Kiln answers differently on purpose or for now, with the reason. They run
  as strict xfails: once the answers agree, the row fails until its entry is removed.
- ROWS: one row per request form, run in a fresh bucket. A new form (copy, append, rename,
  concat, ... as issue 16 adds them) is one more Row of Steps, e.g.

      Row("copy object", [put("src", b"abc"),
                          Step("POST", "/v1/objects/{bck}/src", json={"action": "copy", ...}),
                          get("dst"), get("src")]),

  with an ALLOWED entry only if AIS's answer contains something that must differ.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import pytest

from difftool import Answer, Normalizers, Row, Step, compare_row, run_step


@dataclass(frozen=True)
class Allowed:
    what: str
    rule: str
    reason: str


ALLOWED = {
    "redirect-origin": Allowed(
        "Location of a 301/307: scheme, host and port", "replaced by <target>",
        "each cluster's targets listen on ports of their own"),
    "redirect-ids": Allowed(
        "Location of a 301/307: the pid and utm query values", "replaced by <pid>, <utm>",
        "pid is the redirecting proxy's id, utm the redirect's time (both must be present)"),
    "redirect-encoding": Allowed(
        "Location of a 301/307: percent-encoding of the path, order of the query",
        "path decoded, query sorted",
        "Go re-encodes a path with escapes (lower-case hex) and sorts the query it rebuilds; "
        "both name the same object"),
    "redirect-body": Allowed(
        "body and Content-Type of a 301/307", "dropped",
        "Go's http.Redirect writes a short HTML body (text/html) for GET and HEAD; Kiln sends "
        "none; clients follow Location and never read it"),
    "atime": Allowed(
        "Ais-Atime header; atime in listings", "a decimal number becomes <ns>",
        "access times of two different stores"),
    "node-id": Allowed(
        "node ids: error body `node`, t[...]/p[...] in messages and Ais-Location",
        "replaced by t[<id>] / p[<id>]", "node ids are random per node"),
    "remote-port": Allowed(
        "error body `remote_addr`", "127.0.0.1:<port>", "the client's ephemeral port"),
    "mountpath": Allowed(
        "Ais-Location, Ais-Mirror-Paths, listing `location`: the mountpath folder",
        "replaced by <mountpath>", "each cluster keeps its data in folders of its own"),
    "mountpath-disk": Allowed(
        "Ais-Location and listing `location`: AIS's mountpath is `mp[<path>, <disk>, <media>]`",
        "reduced to the path",
        "Kiln does not resolve a mountpath's disk or media type; clients show the string as is"),
    "lso-uuid": Allowed(
        "list-objects `uuid` (JSON) / `UUID` (msgpack)", "a non-empty id becomes <uuid>",
        "a listing session's random id"),
    "head-length-zero": Allowed(
        "Content-Length of a HEAD answer without a size (bucket HEAD, HEAD errors)",
        "absent counts as 0",
        "Kiln's HTTP layer states the length of every answer; Go's leaves it out when there is "
        "no body; both mean the same"),
    "bucket-ids": Allowed(
        "Ais-Bucket-Props `bid` and `created`", "replaced by <bid>, <ns>",
        "the bucket's id (from the BMD version) and creation time"),
    "bucket-props-subset": Allowed(
        "Ais-Bucket-Props sections beyond BUCKET_PROPS (ec, lru, rate_limit, chunks, "
        "backend_bck, extra, Renamed, mirror.burst_buffer)", "both sides reduced to BUCKET_PROPS",
        "features Kiln does not have (setting them answers AIS's not-implemented error)"),
}

KNOWN = {
    "object name with an empty component": (
        "AIS stores `a//b`; Kiln keeps an object as the file of the same path, where `a//b` "
        "would be `a/b`, so it refuses names with empty components (400)"),
    "object name of 1025 bytes": (
        "AIS stores over-long names under a hashed file name (its `fntl` custom metadata); "
        "Kiln refuses names over 1024 bytes (400)"),
    "Range: suffix of zero bytes": (
        "AIS answers `bytes=-0` with 206 and `Content-Range: bytes N-(N-1)/N`; RFC 9110 "
        "14.1.2 makes a zero-length suffix unsatisfiable, and Kiln answers 416 as it says"),
    "unknown object action": (
        "AIS reads the path of a POST with an action it does not know as a bucket's and "
        "answers that the bucket name (`<bucket>/<object>`) is invalid; Kiln names the action "
        "(`invalid action \"frob\"`, AIS's words for an unknown action elsewhere)"),
    "bucket of another provider": (
        "AIS looks the bucket up in a backend it has not configured (404, `ErrFailedTo`); "
        "Kiln has no backends and refuses other providers with 501, naming the provider"),
}

# The bucket properties Kiln has; add one here when Kiln gains it.
BUCKET_PROPS = ("provider", "bid", "created", "access", "features", "versioning.enabled",
                "versioning.validate_warm_get", "versioning.synchronize", "checksum.type",
                "checksum.validate_cold_get", "checksum.validate_warm_get",
                "checksum.validate_obj_move", "checksum.enable_read_range", "mirror.copies",
                "mirror.enabled", "write_policy.data", "write_policy.md")

_used: set[str] = set()
_rows_done: set[str] = set()


def allow(key: str) -> None:
    assert key in ALLOWED, key
    _used.add(key)


NODE_TAG = re.compile(r"\b([tp])\[[A-Za-z0-9_-]+\]")


def node_tags(text: str) -> str:
    out, n = NODE_TAG.subn(r"\1[<id>]", text)
    if n:
        allow("node-id")
    return out


def location(value: str) -> str:
    u = urlsplit(value)
    assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.port, value
    allow("redirect-origin")
    query = parse_qsl(u.query, keep_blank_values=True)
    names = [k for k, _ in query]
    assert "pid" in names and "utm" in names, value
    allow("redirect-ids")
    fixed = sorted((k, f"<{k}>" if k in ("pid", "utm") else v) for k, v in query)
    path = unquote(u.path)
    if fixed != [(k, f"<{k}>" if k in ("pid", "utm") else v) for k, v in query] or path != u.path:
        allow("redirect-encoding")
    return f"<target>{path}?{urlencode(fixed)}"


def atime(value):
    if not str(value).isdigit():
        return value  # a formatted time: shown as is (and so compared)
    allow("atime")
    return "<ns>"


def mountpath(text: str) -> str:
    """`t[id]:mp[/p, disk, media]` (AIS) or `t[id]:/p` (Kiln) -> `t[<id>]:<mountpath>`."""
    text = node_tags(text)
    m = re.fullmatch(r"(.*?)mp\[(/[^,\]]*), [^\]]*\]", text)
    if m:
        allow("mountpath-disk")
        text = m.group(1) + m.group(2)
    out, n = re.subn(r"/[^\s,\]\[]+", "<mountpath>", text)
    if n:
        allow("mountpath")
    return out


def error_body(body: dict) -> dict:
    body = dict(body)
    if "node" in body:
        assert NODE_TAG.fullmatch(body["node"]), body
        body["node"] = node_tags(body["node"])
    if "remote_addr" in body:
        assert re.fullmatch(r"127\.0\.0\.1:\d+", body["remote_addr"]), body
        body["remote_addr"] = "127.0.0.1:<port>"
        allow("remote-port")
    if "message" in body:
        body["message"] = node_tags(body["message"])
    return body


def bucket_props(value: str) -> dict:
    props = json.loads(value)
    out = {}
    for dotted in BUCKET_PROPS:
        node = props
        for part in dotted.split("."):
            node = node.get(part, "<missing>") if isinstance(node, dict) else "<missing>"
        out[dotted] = node
    if set(props) - {p.split(".")[0] for p in BUCKET_PROPS} or props != out:
        allow("bucket-props-subset")
    for key, placeholder in (("bid", "<bid>"), ("created", "<ns>")):
        assert str(out[key]).isdigit(), props
        out[key] = placeholder
        allow("bucket-ids")
    return out


def listing(body, uuid_key: str, entries_key: str, atime_key: str, loc_key: str):
    if not isinstance(body, dict) or uuid_key not in body:
        return body  # a list of buckets
    body = dict(body)
    assert body[uuid_key], body
    body[uuid_key] = "<uuid>"
    allow("lso-uuid")
    entries = []
    for e in body.get(entries_key) or []:
        e = dict(e)
        if atime_key in e:
            e[atime_key] = atime(e[atime_key])
        if loc_key in e:
            e[loc_key] = mountpath(e[loc_key])
        entries.append(e)
    body[entries_key] = entries
    return body


def redirect(out: dict, answer: Answer) -> None:
    ctype = answer.headers.get("content-type", "")
    if answer.body or ctype:
        assert answer.body == b"" or ctype.startswith("text/html"), answer
        allow("redirect-body")
    out["headers"].pop("content-type", None)


def head_length(out: dict, answer: Answer, step: Step) -> None:
    hdrs = out.get("headers", {})
    if step.method == "HEAD" and hdrs.get("content-length", "0") in (None, "0"):
        if hdrs.get("content-length") != "0":
            allow("head-length-zero")
        hdrs["content-length"] = "0"


NORM = Normalizers(
    headers={"location": location, "ais-atime": atime, "ais-location": mountpath,
             "ais-mirror-paths": mountpath, "ais-bucket-props": bucket_props,
             "hdr-error": lambda v: error_body(json.loads(v))},
    error_body=error_body,
    json_body=lambda body, path: listing(body, "uuid", "entries", "atime", "location"),
    msgpack_body=lambda body, path: listing(body, "UUID", "Entries", "a", "t"),
    redirect=redirect,
    final=head_length,
)

# --- request forms ------------------------------------------------------------------------

ACT = {"Content-Type": "application/json"}


def put(obj: str, data: bytes, status_only: bool = False) -> Step:
    return Step("PUT", f"/v1/objects/{{bck}}/{obj}", body=data, status_only=status_only)


def get(obj: str, rng: str | None = None, bck: str = "{bck}") -> Step:
    return Step("GET", f"/v1/objects/{bck}/{obj}", headers={"Range": rng} if rng else {})


def head(obj: str, bck: str = "{bck}") -> Step:
    return Step("HEAD", f"/v1/objects/{bck}/{obj}")


def delete(obj: str, bck: str = "{bck}") -> Step:
    return Step("DELETE", f"/v1/objects/{bck}/{obj}")


def bucket_action(method: str, action: str, bck: str = "{bck}", value=None, **kw) -> Step:
    return Step(method, f"/v1/buckets/{bck}", json={"action": action, "name": "", "value": value},
                **kw)


def lso(value: dict, msgpack: bool = False, bck: str = "{bck}") -> Step:
    headers = {"Accept": "application/msgpack"} if msgpack else {}
    return bucket_action("GET", "list", bck, value=value, headers=headers)


def obj_action(method: str, obj: str, body=None, **query) -> Step:
    return Step(method, f"/v1/objects/{{bck}}/{obj}", query={"provider": "ais", **query},
                json=body)


def tar_of(members: dict[str, bytes]) -> bytes:
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def fill(*names: str) -> list[Step]:
    return [put(n, n.encode() * 3, status_only=True) for n in names]


DATA = bytes(range(256)) * 40  # 10 KiB, every byte value
LISTED = ("a/1", "a/2", "a/3", "b/1", "c", "d/e/f")

ROWS = [
    # Buckets
    Row("create bucket, HEAD it", [bucket_action("POST", "create-bck"),
                                   Step("HEAD", "/v1/buckets/{bck}")], bucket=False),
    Row("create an existing bucket", [bucket_action("POST", "create-bck")]),
    Row("create bucket: name with a space", [bucket_action("POST", "create-bck", "bad%20name")],
        bucket=False),
    Row("create bucket: name with @", [bucket_action("POST", "create-bck", "b@d")],
        bucket=False),
    Row("create bucket: two dots in a row", [bucket_action("POST", "create-bck", "a..b")],
        bucket=False),
    Row("create bucket: leading dot", [bucket_action("POST", "create-bck", ".hidden")],
        bucket=False),
    Row("create bucket: name of 65 characters", [bucket_action("POST", "create-bck", "x" * 65)],
        bucket=False),
    Row("unknown bucket action", [bucket_action("POST", "frobnicate")]),
    Row("bucket of another provider", [Step("HEAD", "/v1/buckets/{bck}",
                                            query={"provider": "gcp"})]),
    Row("HEAD a missing bucket", [Step("HEAD", "/v1/buckets/{nob}")]),
    Row("list buckets", [bucket_action("GET", "list", "", query={"provider": "ais"})]),
    Row("destroy bucket, then HEAD and list it", [
        bucket_action("DELETE", "destroy-bck"), Step("HEAD", "/v1/buckets/{bck}"),
        lso({"prefix": ""})]),
    Row("destroy a missing bucket", [bucket_action("DELETE", "destroy-bck", "{nob}")]),
    # Objects
    Row("PUT, GET, HEAD", [put("o", DATA), get("o"), head("o")]),
    Row("PUT and GET an empty object", [put("empty", b""), get("empty"), head("empty")]),
    Row("overwrite bumps the version", [put("o", b"one"), put("o", b"two"), head("o"),
                                        get("o")]),
    Row("nested and escaped names", [put("dir/sub/x%20y", b"1"), get("dir/sub/x%20y"),
                                     put("%C3%BC", b"2"), head("%C3%BC")]),
    Row("DELETE, then GET, HEAD, DELETE again", [put("o", b"x"), delete("o"), get("o"),
                                                 head("o"), delete("o")]),
    Row("GET, HEAD, DELETE a missing object", [get("nope"), head("nope"), delete("nope")]),
    Row("objects in a missing bucket", [get("o", bck="{nob}"), head("o", bck="{nob}"),
                                        delete("o", bck="{nob}"),
                                        Step("PUT", "/v1/objects/{nob}/o", body=b"x")]),
    Row("bad object name: ..", [Step("PUT", "/v1/objects/{bck}/a/../b", body=b"x"),
                                get("a/../b")]),
    Row("bad object name: trailing slash", [put("dir/", b"x"), get("dir/")]),
    Row("bad object name: ~/ prefix", [put("~/x", b"x")]),
    Row("object name with an empty component", [put("a//b", b"x"), get("a//b")]),
    Row("object name of 1025 bytes", [put("n" * 1025, b"x")]),
    # Range reads
    Row("Range: first..last", [put("o", DATA), get("o", "bytes=10-19"), get("o", "bytes=0-0")]),
    Row("Range: open-ended and suffix", [put("o", DATA), get("o", "bytes=10200-"),
                                         get("o", "bytes=-7")]),
    Row("Range: past the end", [put("o", DATA), get("o", "bytes=10240-10300"),
                                get("o", "bytes=10000-99999")]),
    Row("Range: suffix of zero bytes", [put("o", DATA), get("o", "bytes=-0")]),
    Row("Range: malformed", [put("o", DATA), get("o", "bytes=9-3"), get("o", "lines=1-2")]),
    Row("Range: several ranges", [put("o", DATA), get("o", "bytes=0-1,5-6")]),
    Row("Range: of an empty object", [put("e", b""), get("e", "bytes=0-")]),
    # List objects
    Row("list objects, JSON", [*fill(*LISTED), put("zero", b"", status_only=True),
                               lso({"prefix": ""})]),
    Row("list objects, msgpack", [*fill(*LISTED), put("zero", b"", status_only=True),
                                  lso({"prefix": ""}, msgpack=True)]),
    Row("list objects with a prefix", [*fill(*LISTED), lso({"prefix": "a/"}),
                                       lso({"prefix": "a/"}, msgpack=True)]),
    Row("list objects in pages", [*fill(*LISTED), lso({"prefix": "", "pagesize": 2}),
                                  lso({"prefix": "", "pagesize": 2,
                                       "continuation_token": "a/2"}),
                                  lso({"prefix": "", "pagesize": 4,
                                       "continuation_token": "b/1"}, msgpack=True)]),
    Row("list objects with props", [*fill(*LISTED), lso({
        "prefix": "", "props": "name,size,checksum,version,atime,location"})]),
    Row("list an empty bucket", [lso({"prefix": ""}), lso({"prefix": ""}, msgpack=True)]),
    Row("list objects of a missing bucket", [lso({"prefix": ""}, bck="{nob}")]),
    # Object actions (issue 16): none of them writes the request's (empty) body
    Row("copy object within its bucket", [
        put("src", DATA), obj_action("PUT", "src", object_to="ais/@#/{bck}/dst"),
        get("dst"), get("src"), head("dst")]),
    Row("copy a missing object", [obj_action("PUT", "nope", object_to="ais/@#/{bck}/dst"),
                                  get("dst")]),
    Row("copy to a missing bucket", [put("src", b"abc"),
                                     obj_action("PUT", "src", object_to="ais/@#/{nob}/dst"),
                                     get("src")]),
    Row("rename object", [put("o", b"rename me"),
                          obj_action("POST", "o", {"action": "rename-obj", "name": "o2"}),
                          get("o"), get("o2")]),
    Row("rename onto itself", [put("o", b"x"),
                               obj_action("POST", "o", {"action": "rename-obj", "name": "o"}),
                               get("o")]),
    Row("unknown object action", [put("o", b"x"), obj_action("POST", "o", {"action": "frob"}),
                                  get("o")]),
    Row("set custom metadata, HEAD", [put("o", b"x"),
                                      obj_action("PATCH", "o", {"value": {"k": "v"}}),
                                      head("o"), get("o")]),
    Row("set custom metadata of a missing object", [
        obj_action("PATCH", "nope", {"value": {"k": "v"}})]),
    Row("append with an unknown append_type", [put("o", b"keep"),
                                               obj_action("PUT", "o", append_type="bogus"),
                                               get("o")]),
    Row("flush without a handle", [put("o", b"keep"), obj_action("PUT", "o", append_type="flush"),
                                   get("o")]),
    Row("archive read of a tar member", [
        put("s.tar", tar_of({"a.txt": b"alpha", "d/b.txt": b"beta"})),
        obj_action("GET", "s.tar", archpath="d/b.txt"),
        obj_action("GET", "s.tar", archpath="nope.txt"),
        obj_action("GET", "s.tar", archregx="d/", archmode="fuzzy")]),
    # Bucket actions (issue 16)
    Row("bucket props: checksum type and versioning", [
        bucket_action("PATCH", "set-bprops",
                      value={"checksum": {"type": "md5"}, "versioning": {"enabled": False}}),
        Step("HEAD", "/v1/buckets/{bck}"), put("o", b"md5 me"), head("o")]),
    Row("bucket props: unknown checksum type", [
        bucket_action("PATCH", "set-bprops", value={"checksum": {"type": "md4"}})]),
    Row("copy bucket without a destination", [bucket_action("POST", "copy-bck", value={})]),
]


def _param(row: Row):
    if row.name in KNOWN:
        return pytest.param(row, id=row.name,
                            marks=pytest.mark.xfail(strict=True, reason=KNOWN[row.name]))
    return pytest.param(row, id=row.name)


@pytest.mark.parametrize("row", [_param(r) for r in ROWS])
def test_same_answers(row: Row, sides: dict):
    tag = uuid.uuid4().hex[:8]
    names = {"bck": f"d{ROWS.index(row)}-{tag}", "nob": f"nob-{tag}"}
    if row.bucket:
        for side, url in sides.items():
            created = run_step(url, bucket_action("POST", "create-bck"), names)[-1]
            assert created.status == 200, (side, created)
    problems = compare_row(row, sides, names, NORM)
    _rows_done.add(row.name)
    assert not problems, "\n".join(problems)


def test_every_allowance_is_needed():
    """Runs last: each ALLOWED entry was applied somewhere, each KNOWN entry names a row."""
    if len(_rows_done) != len(ROWS):
        pytest.skip("not every row ran")
    assert set(ALLOWED) - _used == set()
    assert set(KNOWN) <= {r.name for r in ROWS}
