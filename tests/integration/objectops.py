"""Small helpers over the AIS object API for the object and bucket action suites: each call is
the raw HTTP request a client sends (through the proxy unless a target URL is given), so the
tests see Kiln's statuses, headers and error bodies as they are."""

from urllib.parse import urlsplit

import requests
import xxhash

import kilnharness as kh

TIMEOUT = 30


def url(base: str, bucket: str, name: str) -> str:
    return base + kh.obj_path(bucket, name)


def put(base, bucket, name, data: bytes, **params):
    r = requests.put(url(base, bucket, name), params={"provider": "ais", **params}, data=data,
                     timeout=TIMEOUT)
    assert r.status_code == 200, f"PUT {bucket}/{name}: {r.status_code} {r.text}"
    return r


def get(base, bucket, name, **params) -> requests.Response:
    return requests.get(url(base, bucket, name), params={"provider": "ais", **params},
                        timeout=TIMEOUT)


def content(base, bucket, name) -> bytes | None:
    """The object's bytes, or None when it does not exist (404)."""
    r = get(base, bucket, name)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, f"GET {bucket}/{name}: {r.status_code} {r.text}"
    return r.content


def head(base, bucket, name) -> requests.Response:
    return requests.head(url(base, bucket, name), params={"provider": "ais"}, timeout=TIMEOUT,
                         allow_redirects=True)


def owner(base, bucket, name) -> str:
    """The base URL of the target the proxy sends this object's requests to."""
    r = requests.head(url(base, bucket, name), params={"provider": "ais"}, timeout=TIMEOUT,
                      allow_redirects=False)
    assert r.status_code == 307, r.status_code
    u = urlsplit(r.headers["Location"])
    return f"{u.scheme}://{u.netloc}"


def xxh(data: bytes) -> str:
    return xxhash.xxh64(data, seed=0).hexdigest()


def uname(bucket: str, name: str) -> str:
    return f"ais/@#/{bucket}/{name}"


def error_message(r: requests.Response) -> str:
    """The message of an AIS error body (HEAD: the Hdr-Error header)."""
    import json

    raw = r.headers.get("Hdr-Error") if r.request.method == "HEAD" else r.text
    return json.loads(raw)["message"]


def act(method, base, bucket, name, body, **params) -> requests.Response:
    return requests.request(method, url(base, bucket, name), params={"provider": "ais", **params},
                            json=body, timeout=TIMEOUT)


def names_other_target(base, bucket, name, count=64, than: str | None = None) -> str:
    """A name in bucket whose owner differs from name's, or from the target `than` (HRW
    spreads names over 3 targets)."""
    first = than or owner(base, bucket, name)
    for i in range(count):
        candidate = f"{name}.other{i}"
        if owner(base, bucket, candidate) != first:
            return candidate
    raise AssertionError("every name landed on one target")
