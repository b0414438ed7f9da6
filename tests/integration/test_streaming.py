"""A 1 GiB object through the proxy, streamed both ways, while the target's and the proxy's
memory stay flat: neither may hold a body in memory; and a large GET by sendfile, also to a
slow reader.
"""

import os
import socket
import struct
import threading
import time
from urllib.parse import urlsplit

import psutil
import requests
import xxhash

import kilnharness as kh

MIB = 1024 * 1024
SIZE = 1024 * MIB
MAX_GROWTH = 64 * MIB


class SizedStream:
    """1 GiB generated on the fly, 1 MiB at a time, never held whole. Each chunk starts with its
    index so that a reordered, repeated or dropped chunk changes the hash. Having a length,
    requests sends it with Content-Length (not chunked)."""

    def __init__(self, size=SIZE):
        self.size = size
        self.block = bytearray(os.urandom(MIB))
        self.digest = xxhash.xxh64()

    def __len__(self):
        return self.size

    def chunks(self):
        for i in range(self.size // MIB):
            self.block[:8] = struct.pack("<Q", i)
            yield bytes(self.block)

    def __iter__(self):
        for c in self.chunks():
            self.digest.update(c)
            yield c


class RssSampler:
    """Samples the RSS of some processes every 100 ms on a thread."""

    def __init__(self, procs: dict[str, psutil.Process]):
        self.procs = procs
        self.base = {k: p.memory_info().rss for k, p in procs.items()}
        self.peak = dict(self.base)
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.1):
            for k, p in self.procs.items():
                try:
                    self.peak[k] = max(self.peak[k], p.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            self.samples += 1

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return {k: self.peak[k] - self.base[k] for k in self.procs}


def test_one_gib_put_and_get_through_the_proxy_in_constant_memory(cluster):
    kh.create_bucket(cluster.url, "stream")
    path = kh.obj_path("stream", "one-gib.bin") + "?provider=ais"

    # First leg the way the SDK sends it over HTTPS: headers with the real length, no body yet.
    # The proxy must redirect without waiting for (or buffering) 1 GiB.
    t0 = time.monotonic()
    first = kh.raw_request(cluster.url, "PUT", path, headers={"Content-Length": str(SIZE)},
                           timeout=10)
    assert first.status_code == 307, first.text
    assert time.monotonic() - t0 < 5
    location = first.headers["Location"]
    target = cluster.target_for_url(location)

    body = SizedStream()
    sampler = RssSampler({"target": target.ps, "proxy": cluster.proxy.ps})
    r = requests.put(location, data=body, timeout=(5, 120))
    put_growth = sampler.stop()
    assert r.status_code == 200, r.text
    expected = body.digest.hexdigest()
    assert sampler.samples > 5
    assert put_growth["target"] < MAX_GROWTH, f"target grew {put_growth['target'] / MIB:.0f} MiB"
    assert put_growth["proxy"] < MAX_GROWTH, f"proxy grew {put_growth['proxy'] / MIB:.0f} MiB"
    stored = target.bucket_dir("stream") / "one-gib.bin"
    assert stored.stat().st_size == SIZE

    h = requests.head(cluster.url + path, allow_redirects=True, timeout=30).headers
    assert h["Content-Length"] == str(SIZE)
    assert h["Ais-Checksum-Value"] == expected  # the target hashed the whole stream too

    sampler = RssSampler({"target": target.ps, "proxy": cluster.proxy.ps})
    digest, received = xxhash.xxh64(), 0
    with requests.get(cluster.url + path, stream=True, timeout=(5, 120)) as r:
        assert r.status_code == 200
        assert urlsplit(r.url).port == urlsplit(location).port  # followed the 301 to the owner
        assert r.headers["Content-Length"] == str(SIZE)
        for chunk in r.iter_content(MIB):
            digest.update(chunk)
            received += len(chunk)
    get_growth = sampler.stop()
    assert received == SIZE
    assert digest.hexdigest() == expected
    assert get_growth["target"] < MAX_GROWTH, f"target grew {get_growth['target'] / MIB:.0f} MiB"
    assert get_growth["proxy"] < MAX_GROWTH
    stored.unlink()  # 1 GiB less in /tmp, whatever the retention policy


def test_chunked_upload_of_256_mib_is_byte_exact(cluster):
    """Transfer-Encoding: chunked (no length known up front), then a ranged read at the end."""
    kh.create_bucket(cluster.url, "chunked")
    path = kh.obj_path("chunked", "quarter.bin")
    r = requests.put(cluster.url + path, data=b"", allow_redirects=False, timeout=10)
    location = r.headers["Location"]
    target = cluster.target_for_url(location)
    body = SizedStream(256 * MIB)
    sampler = RssSampler({"target": target.ps})
    r = requests.put(location, data=iter(body), timeout=(5, 120))  # a bare iterator: chunked
    growth = sampler.stop()["target"]
    assert r.status_code == 200, r.text
    assert growth < MAX_GROWTH, f"target RSS grew {growth / MIB:.0f} MiB"
    h = requests.head(cluster.url + path, allow_redirects=True, timeout=30).headers
    assert h["Content-Length"] == str(256 * MIB)
    assert h["Ais-Checksum-Value"] == body.digest.hexdigest()
    r = requests.get(cluster.url + path, headers={"Range": f"bytes={255 * MIB}-"}, timeout=30)
    assert r.status_code == 206
    assert r.content[:8] == struct.pack("<Q", 255) and r.content[8:] == bytes(body.block[8:])
    (target.bucket_dir("chunked") / "quarter.bin").unlink()


def test_large_get_by_sendfile_is_byte_exact_in_constant_memory_even_to_a_slow_reader(cluster):
    """A plain-HTTP GET straight from the target goes out by sendfile. 256 MiB twice: read at
    full speed, then by a slow reader (small receive buffer, small reads, pauses) while other
    requests to the same target are answered meanwhile: byte-exact, RSS flat."""
    size = 256 * MIB
    kh.create_bucket(cluster.url, "zc")
    path = kh.obj_path("zc", "big.bin") + "?provider=ais"
    location = requests.put(cluster.url + path, data=b"", allow_redirects=False,
                            timeout=10).headers["Location"]
    target = cluster.target_for_url(location)
    body = SizedStream(size)
    r = requests.put(location, data=body, timeout=(5, 120))
    assert r.status_code == 200, r.text
    expected = body.digest.hexdigest()
    direct = f"{target.url}{path}"

    sampler = RssSampler({"target": target.ps})
    digest, received = xxhash.xxh64(), 0
    with requests.get(direct, stream=True, timeout=(5, 120)) as r:
        assert r.status_code == 200 and r.headers["Content-Length"] == str(size)
        for chunk in r.iter_content(MIB):
            digest.update(chunk)
            received += len(chunk)
    assert received == size and digest.hexdigest() == expected
    growth = sampler.stop()["target"]
    assert growth < MAX_GROWTH, f"target grew {growth / MIB:.0f} MiB"

    sampler = RssSampler({"target": target.ps})
    u = urlsplit(direct)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.settimeout(30)
    sock.connect((u.hostname, u.port))
    sock.sendall(f"GET {u.path}?{u.query} HTTP/1.1\r\nHost: {u.netloc}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, rest = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ") and f"\r\nContent-Length: {size}\r\n".encode() in head
    digest, received, pauses, answered = xxhash.xxh64(rest), len(rest), 0, 0
    while received < size:
        chunk = sock.recv(16 * 1024 if received < 16 * MIB else MIB)
        assert chunk, f"connection ended after {received} bytes"
        digest.update(chunk)
        received += len(chunk)
        if received < 16 * MIB and received // MIB > pauses:  # slow: a pause per MiB
            pauses += 1
            time.sleep(0.05)
            if pauses % 4 == 0:  # the target serves others meanwhile (its loop is not blocked)
                t0 = time.monotonic()
                small = requests.head(direct, timeout=5)
                answered += small.status_code == 200 and time.monotonic() - t0 < 2
    sock.close()
    growth = sampler.stop()["target"]
    assert received == size and digest.hexdigest() == expected
    assert answered >= 3
    assert growth < MAX_GROWTH, f"target grew {growth / MIB:.0f} MiB"
    (target.bucket_dir("zc") / "big.bin").unlink()
