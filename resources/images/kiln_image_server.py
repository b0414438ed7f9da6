#!/usr/bin/env python3
"""Kiln's local implementation of the ais-etl stock transformer images (catalogue.json).

One server, standard library only, behaving on the wire as the aistorage/transformer_* images
do (they are aistore's FastAPIServer / Go webserver with a transform):
  GET  /health               -> 200 "Running"
  PUT|POST /<bucket>/<obj>   -> transform(body, path, etl_args)           (hpush://)
                                empty body + ?etl_fqn=<escaped path>: the local file is read
  GET  /<escaped uname>      -> fetch $AIS_TARGET_URL/<uname>, transform  (hpull://)
                                with ?etl_fqn: the local file instead
  GET  /ws                   -> websocket (ws://): per object a JSON control frame
                                {"etl_args", "fqn", "path"}, then the bytes unless "fqn" came;
                                the reply is one binary frame
A transform failure answers 500 {"detail": "Processing error: ..."} as the FastAPI server does.

Environment: KILN_IMAGE_IMPL (echo, hello_world, md5, hash_with_args, compress), PORT (loopback
port kilnd gives), KILN_WORKERS (the command's --workers: processes sharing the socket),
SEED_DEFAULT (hash_with_args), COMPRESS_OPTIONS (compress), AIS_TARGET_URL (hpull).
xxhash64 comes from the `xxhash` package when the interpreter has it, else from the pure-Python
version below, which gives the same digests (slower: about 2 MB/s).
"""
import base64
import bz2
import gzip
import hashlib
import json
import os
import socket
import struct
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# --- xxhash64 -----------------------------------------------------------------------------------
MASK = (1 << 64) - 1
P1, P2, P3 = 11400714785074694791, 14029467366897019727, 1609587929392839161
P4, P5 = 9650029242287828579, 2870177450012600261


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & MASK


def _round(acc, lane):
    return (_rotl((acc + lane * P2) & MASK, 31) * P1) & MASK


def _merge(acc, val):
    return (((acc ^ _round(0, val)) * P1) + P4) & MASK


def xxh64_pure(data: bytes, seed: int) -> int:
    n, p, seed = len(data), 0, seed & MASK
    if n >= 32:
        v1, v2, v3, v4 = (seed + P1 + P2) & MASK, (seed + P2) & MASK, seed, (seed - P1) & MASK
        stripes = n // 32
        for a, b, c, d in struct.iter_unpack("<4Q", memoryview(data)[: stripes * 32]):
            v1, v2, v3, v4 = _round(v1, a), _round(v2, b), _round(v3, c), _round(v4, d)
        p = stripes * 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & MASK
        for v in (v1, v2, v3, v4):
            h = _merge(h, v)
    else:
        h = (seed + P5) & MASK
    h = (h + n) & MASK
    while p + 8 <= n:
        (lane,) = struct.unpack_from("<Q", data, p)
        h = ((_rotl(h ^ _round(0, lane), 27) * P1) + P4) & MASK
        p += 8
    if p + 4 <= n:
        (lane,) = struct.unpack_from("<I", data, p)
        h = ((_rotl(h ^ ((lane * P1) & MASK), 23) * P2) + P3) & MASK
        p += 4
    while p < n:
        h = (_rotl(h ^ ((data[p] * P5) & MASK), 11) * P1) & MASK
        p += 1
    h = ((h ^ (h >> 33)) * P2) & MASK
    h = ((h ^ (h >> 29)) * P3) & MASK
    return h ^ (h >> 32)


def xxh64_hex(data: bytes, seed: int) -> bytes:
    try:
        import xxhash  # the real image's library, when this interpreter has it

        return xxhash.xxh64(data, seed=seed).hexdigest().encode("ascii")
    except ImportError:
        return b"%016x" % xxh64_pure(data, seed)


# --- the transforms -----------------------------------------------------------------------------
def _int_env(name, default=0):
    try:
        return int(os.environ.get(name, str(default)))
    except ValueError:
        return default


def echo(data, _path, _args):
    return data


def hello_world(_data, _path, _args):
    return b"Hello World!"


def md5(data, _path, _args):
    return hashlib.md5(data).hexdigest().encode()


def hash_with_args(data, _path, etl_args):
    seed = _int_env("SEED_DEFAULT")
    if etl_args:
        try:
            seed = int(etl_args)
        except ValueError:
            sys.stderr.write(f"kiln-image-server: invalid etl_args seed {etl_args!r}, using {seed}\n")
    return xxh64_hex(data, seed)


def _compress_options(text):
    try:
        opts = json.loads(text)
    except json.JSONDecodeError:
        opts = {}
    return opts if isinstance(opts, dict) else {}


def compress(data, _path, etl_args):
    opts = _compress_options(os.environ.get("COMPRESS_OPTIONS", "{}"))
    mode = opts.get("mode") if opts.get("mode") in ("compress", "decompress") else "compress"
    algo = opts.get("compression") if opts.get("compression") in ("gzip", "bz2") else "gzip"
    if etl_args:
        over = _compress_options(urllib.parse.unquote_plus(etl_args))
        mode = over.get("mode") if over.get("mode") in ("compress", "decompress") else mode
        algo = over.get("compression") if over.get("compression") in ("gzip", "bz2") else algo
    if mode == "compress":
        return gzip.compress(data) if algo == "gzip" else bz2.compress(data)
    magic = b"\x1f\x8b" if algo == "gzip" else b"BZh"
    if not data.startswith(magic):
        raise ValueError(f"Input data is not in {algo} format")
    return gzip.decompress(data) if algo == "gzip" else bz2.decompress(data)


TRANSFORMS = {f.__name__: f for f in (echo, hello_world, md5, hash_with_args, compress)}
IMPL = os.environ.get("KILN_IMAGE_IMPL", "echo")
if IMPL not in TRANSFORMS:
    raise SystemExit(f"kiln-image-server: no implementation {IMPL!r} (have {sorted(TRANSFORMS)})")
TRANSFORM = TRANSFORMS[IMPL]
TARGET_URL = os.environ.get("AIS_TARGET_URL", "").rstrip("/")


# --- websocket (RFC 6455, the server's half) ----------------------------------------------------
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_read(rfile):
    """One whole message: (opcode, payload), or (None, b"") when the peer has gone."""
    message, first_op = b"", None
    while True:
        head = rfile.read(2)
        if len(head) < 2:
            return None, b""
        fin, op, masked, n = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", rfile.read(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", rfile.read(8))
        key = rfile.read(4) if masked else b""
        data = rfile.read(n)
        if masked:
            data = bytes(b ^ key[i % 4] for i, b in enumerate(data)) if n < 4096 else _unmask(data, key)
        if op >= 8:  # control frames interleave with fragments
            if op == 8:
                return None, b""
            continue
        first_op = op if first_op is None else first_op
        message += data
        if fin:
            return first_op, message


def _unmask(data, key):
    mask = int.from_bytes((key * (len(data) // 4 + 1))[: len(data)], "big")
    return (int.from_bytes(data, "big") ^ mask).to_bytes(len(data), "big")


def ws_write(wfile, op, payload):
    n = len(payload)
    if n < 126:
        head = struct.pack(">BB", 0x80 | op, n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x80 | op, 126, n)
    else:
        head = struct.pack(">BBQ", 0x80 | op, 127, n)
    wfile.write(head + payload)
    wfile.flush()


# --- HTTP ---------------------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write(f"kiln-image-server[{IMPL}]: " + (fmt % args) + "\n")

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fail(self, status, detail):
        self.reply(status, json.dumps({"detail": detail}).encode(), "application/json")

    def query(self):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)

    def run(self, data, path, etl_args):
        try:
            self.reply(200, bytes(TRANSFORM(data, path, etl_args)))
        except Exception as e:  # as the FastAPI server: 500 with the reason
            traceback.print_exc()
            self.fail(500, f"Processing error: {e}")

    def read_fqn(self, q):
        fqn = urllib.parse.unquote(q["etl_fqn"][0])
        try:
            with open(fqn, "rb") as f:
                return f.read()
        except OSError as e:
            self.fail(404, f"cannot read {fqn}: {e}")
            return None

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            return self.reply(200, b"Running", "text/plain")
        if path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.websocket()
        q = self.query()
        etl_args = q.get("etl_args", [""])[0]
        if "etl_fqn" in q:
            data = self.read_fqn(q)
            return None if data is None else self.run(data, path.lstrip("/"), etl_args)
        try:
            with urllib.request.urlopen(TARGET_URL + path, timeout=300) as resp:
                data = resp.read()
        except urllib.error.HTTPError as e:
            return self.fail(e.code, e.read().decode(errors="replace"))
        except Exception as e:
            return self.fail(502, f"cannot read {path} from the target: {e}")
        self.run(data, urllib.parse.unquote(path.lstrip("/")), etl_args)

    def do_PUT(self):
        q = self.query()
        path = urllib.parse.urlsplit(self.path).path.lstrip("/")
        etl_args = q.get("etl_args", [""])[0]
        length = int(self.headers.get("Content-Length", "0") or 0)
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        if "etl_fqn" in q and length == 0 and not chunked:
            data = self.read_fqn(q)
            return None if data is None else self.run(data, path, etl_args)
        self.run(self.read_body(length, chunked), path, etl_args)

    do_POST = do_PUT

    def read_body(self, length, chunked):
        if not chunked:
            return self.rfile.read(length)
        out = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    def websocket(self):
        key = self.headers.get("Sec-WebSocket-Key", "").encode()
        accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            op, control = ws_read(self.rfile)
            if op is None:
                return
            try:
                ctl = json.loads(control)
            except ValueError:
                ws_write(self.wfile, 1, b"bad control message")
                continue
            if ctl.get("fqn"):
                try:
                    with open(urllib.parse.unquote(ctl["fqn"]), "rb") as f:
                        data = f.read()
                except OSError as e:
                    ws_write(self.wfile, 1, f"cannot read {ctl['fqn']}: {e}".encode())
                    continue
            else:
                op, data = ws_read(self.rfile)
                if op is None:
                    return
            try:
                ws_write(self.wfile, 2, bytes(TRANSFORM(data, ctl.get("path", ""), ctl.get("etl_args", ""))))
            except Exception as e:
                ws_write(self.wfile, 1, f"Processing error: {e}".encode())


def main():
    port = int(os.environ.get("PORT", "8000"))
    workers = max(1, _int_env("KILN_WORKERS", 1))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Like uvicorn --workers: processes accepting on one socket (kilnd stops the whole group).
    for _ in range(workers - 1):
        if os.fork() == 0:
            break
    sys.stderr.write(
        f"kiln-image-server: {IMPL} (pid {os.getpid()}, {workers} worker(s)) on 127.0.0.1:{port}\n"
    )
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
