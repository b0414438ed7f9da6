"""The load generator of bench/inline.py: keep-alive HTTP/1.1 connections over raw sockets,
spread over threads and processes, counting objects and bytes in a window."""

from __future__ import annotations

import multiprocessing as mp
import resource
import socket
import threading
import time
from urllib.parse import urlsplit

MiB = 1024 * 1024
RECV = MiB


class _Closed(Exception):
    pass


class _Conn:
    """One keep-alive socket with a receive buffer (responses are never pipelined)."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray(RECV)
        self.view = memoryview(self.buf)
        self.lo = self.hi = 0

    def _fill(self) -> None:
        if self.lo == self.hi:
            self.lo = self.hi = 0
        elif self.hi == len(self.buf):
            n = self.hi - self.lo
            self.buf[:n] = self.buf[self.lo:self.hi]
            self.lo, self.hi = 0, n
        n = self.sock.recv_into(self.view[self.hi:])
        if n == 0:
            raise _Closed()
        self.hi += n

    def until(self, sep: bytes) -> bytes:
        while True:
            i = self.buf.find(sep, self.lo, self.hi)
            if i >= 0:
                out = bytes(self.buf[self.lo:i])
                self.lo = i + len(sep)
                return out
            if self.hi - self.lo >= len(self.buf):
                raise ValueError("line over 1 MiB")
            self._fill()

    def skip(self, n: int) -> None:
        """Reads and discards n bytes, never more."""
        take = min(n, self.hi - self.lo)
        self.lo += take
        n -= take
        while n > 0:
            self.lo = self.hi = 0
            got = self.sock.recv_into(self.view, min(n, RECV))
            if got == 0:
                raise _Closed()
            n -= got


class _Client:
    def __init__(self):
        self.conns: dict[tuple[str, int], _Conn] = {}

    def close(self) -> None:
        for c in self.conns.values():
            c.sock.close()
        self.conns.clear()

    def _exchange(self, hostport, request: bytes, body: bytes | None):
        for attempt in (0, 1):
            c = self.conns.get(hostport)
            if c is None:
                c = self.conns[hostport] = _Conn(*hostport)
            try:
                c.sock.sendall(request)
                if body:
                    c.sock.sendall(body)
                return self._response(hostport, c)
            except (ConnectionError, _Closed):
                self.conns.pop(hostport, None)
                c.sock.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _response(self, hostport, c: _Conn):
        lines = c.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, location, close, chunked = 0, None, False, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "location":
                location = value.strip()
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            length = 0
            while True:
                size = int(c.until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    while c.until(b"\r\n"):
                        pass
                    break
                c.skip(size)
                c.until(b"\r\n")
                length += size
        else:
            c.skip(length)
        if close:
            self.conns.pop(hostport, None)
            c.sock.close()
        return status, length, location

    def request(self, method: str, url: str, body: bytes | None):
        for _ in range(4):
            u = urlsplit(url)
            hostport = (u.hostname, u.port or 80)
            path = u.path + ("?" + u.query if u.query else "")
            head = f"{method} {path} HTTP/1.1\r\nHost: {u.netloc}\r\nUser-Agent: kiln-inline\r\n"
            if body is not None:
                head += f"Content-Length: {len(body)}\r\n"
            status, length, location = self._exchange(hostport, (head + "\r\n").encode("latin-1"),
                                                       body)
            if status in (301, 302, 307, 308) and location:
                url = location
                continue
            return status, length
        return 599, 0


def _thread(jobs, offset, start, end, out):
    client = _Client()
    ok = errors = nbytes = 0
    lat = []
    first_error = ""
    i = offset
    while time.time() < start:
        time.sleep(0.001)
    while True:
        t0 = time.time()
        if t0 >= end:
            break
        method, url, body, want = jobs[i % len(jobs)]
        i += 1
        try:
            status, length = client.request(method, url, body)
        except (OSError, ValueError, _Closed) as e:
            status, length = 598, 0
            first_error = first_error or f"{method} {url}: {e!r}"
            client.close()
        t1 = time.time()
        if t1 > end:
            break
        if status == 200 and length == want:
            ok += 1
            nbytes += length
            lat.append(t1 - t0)
        else:
            errors += 1
            first_error = first_error or f"{method} {url}: {status}, {length} of {want} bytes"
    client.close()
    out.append((ok, errors, nbytes, lat, first_error))


def _process(jobs, offsets, start, end, queue):
    results: list = []
    threads = [threading.Thread(target=_thread, args=(jobs, o, start, end, results))
               for o in offsets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((results, ru.ru_utime + ru.ru_stime))


def run_load(jobs, connections: int, duration: float, processes: int, window=None) -> dict:
    """jobs: [(method, url, body or None, expected answer length)]. window: a function called
    when the measured window opens and again when it closes (CPU snapshots); its two results
    are returned as "window"."""
    processes = max(1, min(processes, connections))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + 0.3 + 0.05 * processes
    end = start + duration
    stride = max(1, len(jobs) // connections)
    slots = [[] for _ in range(processes)]
    for k in range(connections):
        slots[k % processes].append((k * stride) % len(jobs))
    procs = [ctx.Process(target=_process, args=(jobs, s, start, end, queue)) for s in slots]
    for p in procs:
        p.start()
    marks = []
    if window:
        for moment in (start, end):
            time.sleep(max(0.0, moment - time.time()))
            marks.append(window())
    collected = [queue.get(timeout=duration + 300) for _ in procs]
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.terminate()
    ok = errors = nbytes = 0
    lat: list[float] = []
    cpu = 0.0
    first_error = ""
    for results, cpu_s in collected:
        cpu += cpu_s
        for o, e, b, l, fe in results:
            ok, errors, nbytes = ok + o, errors + e, nbytes + b
            lat.extend(l)
            first_error = first_error or fe
    lat.sort()

    def pct(q):
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0

    return {"requests": ok, "errors": errors, "bytes": nbytes, "duration": duration,
            "obj_s": ok / duration, "mib_s": nbytes / duration / MiB, "p50_ms": pct(0.5),
            "p99_ms": pct(0.99), "client_cpu_s": cpu, "first_error": first_error,
            "window": marks}


# --- the benchmark -----------------------------------------------------------------------------
