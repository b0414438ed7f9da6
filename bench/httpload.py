"""A small closed-loop HTTP/1.1 load generator over raw keep-alive sockets that follows
redirects (wrk does not), so the same client can measure nginx, a kilnd target directly, a kilnd
proxy answering 301, and inline ETL requests of any method with a body.

C connections are spread over P worker processes (threads inside each; socket reads release
the GIL). Each connection loops over the request list from its own offset: send, read the whole
answer (Content-Length or chunked) and discard it, follow 301/302/307/308 on a keep-alive
connection per host, until the shared deadline. Only requests completed inside the measured
window count; a request with an expected length counts only when the answer has it.

Usable as a module (run_load for GETs of a URL list, run_jobs for any requests) or from the
command line:
    python bench/httpload.py -c 8 -d 10 URL [URL...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import socket
import ssl
import threading
import time
from urllib.parse import urlsplit

MiB = 1024 * 1024
RECV = MiB
MAX_HOPS = 3
# Extra request header lines ("Name: value\r\n"), sent to the first hop only (as a client
# following a redirect to another port drops Authorization); run_jobs(headers=...) sets it.
EXTRA_HEADERS = ""
# The CA file that https:// URLs are checked against (run_jobs(ca=...) sets it).
TLS_CA: str | None = None


class _Closed(Exception):
    pass


class _Conn:
    """One keep-alive socket with a receive buffer (responses are never pipelined)."""

    def __init__(self, host: str, port: int, tls: bool = False):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl.create_default_context(cafile=TLS_CA)
            self.sock = ctx.wrap_socket(self.sock, server_hostname=host)
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
    """One connection slot: a keep-alive socket per (host, port)."""

    def __init__(self):
        self.conns: dict[tuple[str, int], _Conn] = {}
        self.reconnects = 0

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
                # A keep-alive connection the server closed between requests: retry once.
                self.conns.pop(hostport, None)
                c.sock.close()
                self.reconnects += 1
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
        """Sends one request, following redirects. Returns (status, body bytes of the answer)."""
        extra = EXTRA_HEADERS
        for _ in range(MAX_HOPS + 1):
            u = urlsplit(url)
            tls = u.scheme == "https"
            hostport = (u.hostname, u.port or (443 if tls else 80), tls)
            path = u.path + ("?" + u.query if u.query else "")
            head = (f"{method} {path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                    f"User-Agent: kiln-httpload\r\n{extra}")
            if body is not None:
                head += f"Content-Length: {len(body)}\r\n"
            status, length, location = self._exchange(hostport, (head + "\r\n").encode("latin-1"),
                                                       body)
            if status in (301, 302, 307, 308) and location:
                url = location
                extra = ""
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
        if status == 200 and (want is None or length == want):
            ok += 1
            nbytes += length
            lat.append(t1 - t0)
        else:
            errors += 1
            first_error = first_error or f"{method} {url}: {status}, {length} of {want} bytes"
    client.close()
    out.append((ok, errors, nbytes, lat, first_error, client.reconnects))


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


def run_jobs(jobs, connections: int, duration: float, processes: int | None = None, window=None,
             start_delay: float = 0.3, headers: dict[str, str] | None = None,
             ca: str | None = None) -> dict:
    """jobs: [(method, url, body or None, expected answer length or None)]. window: a function
    called when the measured window opens and again when it closes (CPU snapshots); its two
    results are returned as "window". Returns requests, errors, bytes, rates, latency percentiles
    (ms), the client's own CPU seconds and the first error seen. headers go with each first hop
    (e.g. Authorization); https:// URLs are checked against the CA file ca."""
    global EXTRA_HEADERS, TLS_CA
    EXTRA_HEADERS = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    TLS_CA = ca
    processes = max(1, min(processes or os.cpu_count() or 1, connections))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + start_delay + 0.05 * processes
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
    return _summary(collected, duration, processes, marks)


def _summary(collected, duration: float, processes: int, marks: list) -> dict:
    ok = errors = nbytes = reconnects = 0
    lat: list[float] = []
    cpu = 0.0
    first_error = ""
    for results, cpu_s in collected:
        cpu += cpu_s
        for o, e, b, l, fe, r in results:
            ok, errors, nbytes, reconnects = ok + o, errors + e, nbytes + b, reconnects + r
            lat.extend(l)
            first_error = first_error or fe
    lat.sort()

    def pct(q):
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0

    return {"requests": ok, "errors": errors, "bytes": nbytes, "duration": duration,
            "req_s": ok / duration, "mib_s": nbytes / duration / MiB, "p50_ms": pct(0.5),
            "p99_ms": pct(0.99), "reconnects": reconnects, "client_cpu_s": cpu,
            "processes": processes, "first_error": first_error, "window": marks}


def run_load(urls: list[str], connections: int, duration: float, processes: int | None = None,
             start_delay: float = 0.5, headers: dict[str, str] | None = None,
             ca: str | None = None) -> dict:
    """GETs of the URLs in turn, any answer length: run_jobs for a plain URL list."""
    jobs = [("GET", url, None, None) for url in urls]
    return run_jobs(jobs, connections, duration, processes, start_delay=start_delay,
                    headers=headers, ca=ca)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-c", "--connections", type=int, default=8)
    ap.add_argument("-d", "--duration", type=float, default=10)
    ap.add_argument("-p", "--processes", type=int, default=None)
    ap.add_argument("urls", nargs="+")
    a = ap.parse_args()
    print(json.dumps(run_load(a.urls, a.connections, a.duration, a.processes), indent=1))


if __name__ == "__main__":
    main()
