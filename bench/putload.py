"""A closed-loop HTTP/1.1 PUT load generator: C keep-alive connections, each in its own
process, PUT one fixed random body over and over to its share of a list of URLs (a rotating set
of object names, so the disk use stays bounded), until a shared deadline. No redirects: give it
target URLs (for AIS, the Location a proxy's 307 named: a target refuses a PUT without the
proxy's pid and utm). Only PUTs completed inside the measured window count; any answer but 200
counts as an error.

Usable as a module (run_put) or from the command line:
    python bench/putload.py -c 8 -d 10 --size-mib 1 URL [URL...]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import socket
import time
from urllib.parse import urlsplit

def _read_answer(sock: socket.socket, pending: bytes) -> tuple[int, bytes]:
    """Reads one answer (head and Content-Length body); returns (status, what followed it)."""
    buf = pending
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before the answer")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed in the answer's body")
        rest += chunk
    return status, rest[length:]


def _worker(urls: list[str], body: bytes, start: float, end: float, queue) -> None:
    u = urlsplit(urls[0])
    ok = errors = 0
    latencies: list[float] = []
    sock = None
    pending = b""
    i = 0
    while time.time() < start:
        time.sleep(min(0.01, max(0.0, start - time.time())))
    while time.time() < end:
        one = urlsplit(urls[i % len(urls)])
        i += 1
        target = one.path + ("?" + one.query if one.query else "")
        head = (f"PUT {target} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                f"Content-Length: {len(body)}\r\nContent-Type: application/octet-stream\r\n\r\n")
        t0 = time.time()
        try:
            if sock is None:
                sock = socket.create_connection((u.hostname, u.port), timeout=30)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                pending = b""
            sock.sendall(head.encode())
            sock.sendall(body)
            status, pending = _read_answer(sock, pending)
        except OSError:
            if sock:
                sock.close()
            sock = None
            errors += 1
            continue
        t1 = time.time()
        if t1 > end:
            break
        if status == 200:
            ok += 1
            latencies.append(t1 - t0)
        else:
            errors += 1
    if sock:
        sock.close()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((ok, errors, latencies, ru.ru_utime + ru.ru_stime))


def run_put(urls: list[str], connections: int, duration: float, size: int,
            start_delay: float = 0.5) -> dict:
    """Connection k PUTs to urls[k::connections] in turn (all on one host:port)."""
    body = os.urandom(size)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    start = time.time() + start_delay + 0.02 * connections
    end = start + duration
    procs = [ctx.Process(target=_worker, args=(urls[k::connections], body, start, end, queue))
             for k in range(connections)]
    for p in procs:
        p.start()
    collected = [queue.get(timeout=duration + 120) for _ in procs]
    for p in procs:
        p.join(30)
    ok = sum(c[0] for c in collected)
    errors = sum(c[1] for c in collected)
    lat = sorted(x for c in collected for x in c[2])

    def pct(q):
        return 1000 * lat[min(len(lat) - 1, int(q * len(lat)))] if lat else 0.0

    return {"requests": ok, "errors": errors, "duration": duration, "req_s": ok / duration,
            "mib_s": ok * size / duration / 2**20, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "client_cpu_s": sum(c[3] for c in collected)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-c", "--connections", type=int, default=8)
    ap.add_argument("-d", "--duration", type=float, default=10.0)
    ap.add_argument("--size-mib", type=float, default=1.0)
    ap.add_argument("urls", nargs="+", help="target URLs, at least one per connection")
    args = ap.parse_args()
    print(json.dumps(run_put(args.urls, args.connections, args.duration,
                             int(args.size_mib * 2**20)), indent=1))


if __name__ == "__main__":
    main()
