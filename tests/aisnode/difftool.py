"""The machinery of the differential test: one request sent the same way to two clusters, the
answers reduced to what must agree, and a readable account of where they do not.

A `Row` is a named sequence of `Step`s run in a fresh bucket per row (the same name on both
sides). Each step is one request to the proxy; a 301/307 is followed to the target, as every
AIS client does, and both legs are compared. What is compared:

- the status;
- key headers: `Location`, `Content-Type`, `Content-Range`, `Hdr-Error` and every `Ais-*`
  header (an extra or missing one is a difference); `Content-Length` where the body is
  compared byte for byte;
- the body, by kind: bytes (exact), JSON (parsed, so key order and a trailing newline do not
  count), msgpack (decoded), or an AIS error body (parsed JSON).

Values that must differ between two clusters (node ids, ports, times, listing session ids) are
rewritten by the normalizers the test file registers against its table of allowed differences;
nothing else is.
"""

from __future__ import annotations

import hashlib
import http.client
import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import msgpack

# Headers compared on every answer, besides every Ais-* header.
KEY_HEADERS = ("location", "content-type", "content-range", "hdr-error")


@dataclass
class Step:
    """One request. `path` and `query` values may name `{bck}` (the row's bucket) and `{nob}` (a
    bucket that exists on neither side). `query` defaults to provider=ais; `json` becomes the
    body."""

    method: str
    path: str
    query: dict | None = None
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    json: Any = None
    body_kind: str = "auto"  # auto | bytes | json | msgpack
    status_only: bool = False  # a precondition: compare the status and nothing else

    def target(self, names: dict) -> str:
        query = {"provider": "ais"} if self.query is None else self.query
        query = {k: v.format(**names) if isinstance(v, str) else v for k, v in query.items()}
        path = self.path.format(**names)
        return path + ("?" + urlencode(query) if query else "")

    def payload(self) -> bytes | None:
        if self.json is not None:
            return json.dumps(self.json).encode()
        return self.body


@dataclass
class Row:
    name: str
    steps: list[Step]
    bucket: bool = True  # create {bck} on both sides first


@dataclass
class Answer:
    status: int
    headers: dict  # lower-case names
    body: bytes
    leg: str  # "proxy" or "target"


def send(base_url: str, method: str, target: str, body: bytes | None, headers: dict,
         leg: str) -> Answer:
    u = urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        hdrs: dict[str, str] = {}
        for k, v in r.getheaders():
            hdrs[k.lower()] = v
        return Answer(r.status, hdrs, data, leg)
    finally:
        conn.close()


def run_step(base_url: str, step: Step, names: dict) -> list[Answer]:
    """The proxy's answer and, for a redirect, the target's."""
    headers = dict(step.headers)
    payload = step.payload()
    if step.json is not None:
        headers.setdefault("Content-Type", "application/json")
    first = send(base_url, step.method, step.target(names), payload, headers, "proxy")
    if first.status not in (301, 307) or "location" not in first.headers:
        return [first]
    loc = urlsplit(first.headers["location"])
    target = loc.path + (f"?{loc.query}" if loc.query else "")
    return [first, send(f"http://{loc.netloc}", step.method, target, payload, headers,
                        "target")]


@dataclass
class Normalizers:
    """Per-field rewrites, each tied to an entry of the test's table of allowed differences."""

    headers: dict[str, Callable[[str], Any]] = field(default_factory=dict)
    error_body: Callable[[dict], dict] = lambda d: d
    json_body: Callable[[Any, str], Any] = lambda d, path: d
    msgpack_body: Callable[[Any, str], Any] = lambda d, path: d
    redirect: Callable[[dict, Answer], None] = lambda out, a: out.update(body=a.body)
    # A last pass over a whole view (method-specific rules).
    final: Callable[[dict, Answer, Step], None] = lambda out, a, step: None


def _media_json(ctype: str) -> bool:
    return ctype.split(";")[0].strip() == "application/json"


def view(answer: Answer, step: Step, norm: Normalizers) -> dict:
    """What of one answer must agree between the two clusters."""
    out: dict[str, Any] = {"leg": answer.leg, "status": answer.status}
    if step.status_only:
        return out
    hdrs = {}
    for name, value in answer.headers.items():
        if name in KEY_HEADERS or name.startswith("ais-"):
            fix = norm.headers.get(name)
            hdrs[name] = fix(value) if fix else value
    out["headers"] = hdrs
    if answer.status in (301, 307):
        norm.redirect(out, answer)
        return out
    kind = step.body_kind
    ctype = answer.headers.get("content-type", "")
    if step.method == "HEAD":
        kind = "bytes"  # no body; the length is the object's size
    if kind == "auto":
        if answer.status >= 400 and _media_json(ctype):
            kind = "error"
        elif _media_json(ctype):
            kind = "json"
        elif ctype == "application/msgpack":
            kind = "msgpack"
        else:
            kind = "bytes"
    if kind == "bytes":
        out["headers"]["content-length"] = answer.headers.get("content-length")
        out["body"] = answer.body
    elif kind == "error":
        out["body"] = norm.error_body(json.loads(answer.body))
    elif kind == "json":
        out["body"] = norm.json_body(json.loads(answer.body), step.path)
    elif kind == "msgpack":
        out["body"] = norm.msgpack_body(msgpack.unpackb(answer.body, raw=False), step.path)
    norm.final(out, answer, step)
    return out


def describe(step: Step, names: dict) -> str:
    body = step.payload()
    shown = f" body={body[:80]!r}{'...' if len(body or b'') > 80 else ''}" if body else ""
    return f"{step.method} {step.target(names)} headers={step.headers}{shown}"


def compare_row(row: Row, sides: dict[str, str], names: dict, norm: Normalizers) -> list[str]:
    """Runs the row's steps on every side (name -> proxy URL), in step order; returns the
    differences found (empty when the sides agree)."""
    problems = []
    for i, step in enumerate(row.steps):
        views = {}
        for side, url in sides.items():
            views[side] = [view(a, step, norm) for a in run_step(url, step, names)]
        (a_name, a), (b_name, b) = views.items()
        if a != b:
            problems.append(f"step {i + 1}: {describe(step, names)}\n"
                            f"  {a_name}: {_pretty(a)}\n  {b_name}: {_pretty(b)}")
    return problems


def _pretty(views: list[dict]) -> str:
    def enc(o):
        if isinstance(o, bytes) and len(o) > 48:
            return f"<{len(o)} bytes, sha256 {hashlib.sha256(o).hexdigest()[:16]}>"
        return repr(o) if isinstance(o, bytes) else str(o)

    return json.dumps(views, default=enc, sort_keys=True)
