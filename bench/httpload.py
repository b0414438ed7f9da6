"""A small closed-loop HTTP/1.1 GET load generator that follows redirects (wrk does not), so the
same client can measure nginx, a kilnd target directly, and a kilnd proxy answering 301.

C connections are spread over P worker processes (threads inside each; socket reads release
the GIL). Each connection loops over the URL list from its own offset: GET, read the whole body
into a reused buffer (discarded), follow 301/302/307/308 on a keep-alive connection per host,
until the shared deadline. Only requests completed inside the measured window count.

Usable as a module (run_load) or from the command line:
    python bench/httpload.py -c 8 -d 10 URL [URL...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import socket
import threading
import time
from urllib.parse import urlsplit

RECV = 1024 * 1024
MAX_HOPS = 3
# Extra request header lines ("Name: value\r\n"), sent to the first hop only (as a client
# following a redirect to another port drops Authorization); run_load(headers=...) sets it.
EXTRA_HEADERS = ""


class _Conn:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _Client:
    """One connection slot: keep-alive sockets per (host, port), a reused receive buffer."""

    def __init__(self):
        self.conns: dict[tuple[str, int], _Conn] = {}
        self.buf = bytearray(RECV)
        self.view = memoryview(self.buf)
        self.reconnects = 0

    def _conn(self, hostport) -> _Conn:
        c = self.conns.get(hostport)
        if c is None:
            c = self.conns[hostport] = _Conn(*hostport)
        return c

    def _drop(self, hostport) -> None:
        c = self.conns.pop(hostport, None)
        if c:
            c.sock.close()

    def _one(self, hostport, request: bytes):
        """Sends one GET, reads the full answer. Returns (status, body bytes, location)."""
        for attempt in (0, 1):
            c = self._conn(hostport)
            try:
                c.sock.sendall(request)
                return self._read(hostport, c)
            except (ConnectionError, _Closed):
                # A keep-alive connection the server closed between requests: retry once.
                self._drop(hostport)
                self.reconnects += 1
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _read(self, hostport, c: _Conn):
        view, have = self.view, 0
        while True:
            n = c.sock.recv_into(view[have:])
            if n == 0:
                raise _Closed()
            have += n
            end = self.buf.find(b"\r\n\r\n", 0, have)
            if end >= 0:
                break
            if have >= len(self.buf):
                raise ValueError("response head over 1 MiB")
        head = bytes(self.buf[:end]).decode("latin-1")
        lines = head.split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, location, close = 0, None, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "location":
                location = value.strip()
            elif name == "connection" and value.strip().lower() == "close":
                close = True
            elif name == "transfer-encoding":
                raise ValueError("chunked answers are not supported by this client")
        got = have - end - 4
        remaining = length - got
        while remaining > 0:
            n = c.sock.recv_into(view, min(remaining, RECV))
            if n == 0:
                raise _Closed()
            remaining -= n
        if close:
            self._drop(hostport)
        return status, length, location

    def get(self, url: str):
        """GET following redirects. Returns (status, body bytes of the final answer)."""
        extra = EXTRA_HEADERS
        for _ in range(MAX_HOPS + 1):
            u = urlsplit(url)
            hostport = (u.hostname, u.port or 80)
            path = u.path + ("?" + u.query if u.query else "")
            request = (f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                       f"User-Agent: kiln-httpload\r\n{extra}\r\n").encode("latin-1")
            status, length, location = self._one(hostport, request)
            if status in (301, 302, 307, 308) and location:
                url = location
                extra = ""
                continue
            return status, length
        return 599, 0


class _Closed(Exception):
    pass


def _thread(urls, offset, start, end, out):
    client = _Client()
    ok = errors = nbytes = 0
    lat = []
    i = offset
    n = len(urls)
    while time.time() < start:
        time.sleep(0.001)
    while True:
        t0 = time.time()
        if t0 >= end:
            break
        try:
            status, length = client.get(urls[i % n])
        except (OSError, ValueError, _Closed):
            status, length = 598, 0
            client.conns.clear()
        t1 = time.time()
        i += 1
        if t1 > end:
            break  # finished after the window: not counted
        if status == 200:
            ok += 1
            nbytes += length
            lat.append(t1 - t0)
        else:
            errors += 1
    for c in client.conns.values():
        c.sock.close()
    out.append((ok, errors, nbytes, lat, client.reconnects))


def _process(urls, offsets, start, end, queue):
    results: list = []
    threads = [threading.Thread(target=_thread, args=(urls, o, start, end, results))
               for o in offsets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((results, ru.ru_utime + ru.ru_stime))


def run_load(urls: list[str], connections: int, duration: float, processes: int | None = None,
             start_delay: float = 0.5, headers: dict[str, str] | None = None) -> dict:
    """Runs the load and returns requests, errors, bytes, rates, latency percentiles (ms) and the
    client's own CPU seconds. headers go with each first hop (e.g. Authorization)."""
    global EXTRA_HEADERS
    EXTRA_HEADERS = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    processes = max(1, min(processes or os.cpu_count() or 1, connections))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + start_delay + 0.05 * processes
    end = start + duration
    stride = max(1, len(urls) // connections)
    slots = [[] for _ in range(processes)]
    for k in range(connections):
        slots[k % processes].append((k * stride) % len(urls))
    procs = [ctx.Process(target=_process, args=(urls, s, start, end, queue)) for s in slots]
    for p in procs:
        p.start()
    collected = [queue.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join(30)
    ok = errors = nbytes = reconnects = 0
    lat: list[float] = []
    cpu = 0.0
    for results, cpu_s in collected:
        cpu += cpu_s
        for o, e, b, l, r in results:
            ok, errors, nbytes, reconnects = ok + o, errors + e, nbytes + b, reconnects + r
            lat.extend(l)
    lat.sort()

    def pct(q):
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0

    return {"requests": ok, "errors": errors, "bytes": nbytes, "duration": duration,
            "req_s": ok / duration, "mib_s": nbytes / duration / 2**20,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "reconnects": reconnects,
            "client_cpu_s": cpu, "processes": processes}


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
