#!/usr/bin/env python3
"""A ws:// ETL instance for the integration tests, standard library only: the local runtime runs
it with the machine's python3, which has no `websockets` package. One port serves

  GET /health  -> 200 "Running"
  GET /ws      -> the websocket upgrade (RFC 6455, the server's half), then AIS framing, one
                  object at a time per connection:
                    (1) binary message: JSON {"etl_args", "fqn", "path"}, empty fields left out
                    (2) unless "fqn" came, binary message: the object's bytes
                  reply: one binary message with the result ("fqn" is URL-escaped: the file is read)
  PUT|POST /<bck>/<obj>[?etl_args=..&etl_fqn=..] -> hpush://, for the direct-put replay tests

Transforms: echo (default), --md5 (hex digest), --args (etl_args upper-cased, then the bytes).
etl_args steer a test:
  sleep=<s>[;rest]  wait <s> seconds before the reply (object timeouts); rest is the etl_args
  direct-put        reply with a text frame, as AIS's servers do after a direct put
  transient=<n>     (hpush) the first n PUTs of each path answer 503 + Ais-Etl-Retry-Reason:
                    direct-put-transient; plain503=<n> the same without the header
Each websocket open/close and each object is logged with the number of open websockets, so
tests can see the pool's bound in the instance's logs. --marker only makes the command line
unique, so a test can find its processes.
"""
import argparse
import base64
import hashlib
import json
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def log(*parts):
    print(*parts, flush=True)


def unmask(data: bytes, key: bytes) -> bytes:
    """XOR with the 4-byte key, done on one big integer (a per-byte loop takes seconds a MiB)."""
    n = len(data)
    if n == 0:
        return data
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(n, "big")


class PeerClosed(Exception):
    pass


class WsConnection:
    """The server's side of one websocket: frames in (masked), frames out (not masked)."""

    def __init__(self, rfile, wfile):
        self.rfile = rfile
        self.wfile = wfile

    def read_exact(self, n: int) -> bytes:
        data = self.rfile.read(n)
        if len(data) != n:
            raise PeerClosed("the peer closed the connection")
        return data

    def read_frame(self):
        b1, b2 = self.read_exact(2)
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.read_exact(8))[0]
        key = self.read_exact(4) if b2 & 0x80 else None
        payload = self.read_exact(length)
        return bool(b1 & 0x80), b1 & 0x0F, unmask(payload, key) if key else payload

    def send(self, opcode: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        self.wfile.write(header + payload if n < 65536 else header)
        if n >= 65536:
            self.wfile.write(payload)

    def read_message(self):
        """(opcode, payload) of the next data message, fragments joined; None once closed."""
        parts, opcode = [], None
        while True:
            fin, op, payload = self.read_frame()
            if op == OP_CLOSE:
                try:
                    self.send(OP_CLOSE, payload[:2])
                except OSError:
                    pass
                return None
            if op == OP_PING:
                self.send(OP_PONG, payload)
                continue
            if op == OP_PONG:
                continue
            if op != OP_CONT:
                opcode = op
            parts.append(payload)
            if fin:
                return opcode, b"".join(parts)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = "echo"
    lock = threading.Lock()
    open_ws = 0
    puts: dict[str, int] = {}

    def reply(self, status, body, content_type="application/octet-stream", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def transform(self, data: bytes, args: str) -> bytes:
        if self.mode == "md5":
            return hashlib.md5(data).hexdigest().encode()
        if self.mode == "args":
            return args.upper().encode() + data
        return data

    # --- hpush -----------------------------------------------------------------------------

    def do_PUT(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        args = query.get("etl_args", [""])[0]
        with Handler.lock:
            Handler.puts[url.path] = count = Handler.puts.get(url.path, 0) + 1
        for word, header in (("transient=", True), ("plain503=", False)):
            if args.startswith(word) and count <= int(args[len(word):]):
                extra = [("Ais-Etl-Retry-Reason", "direct-put-transient")] if header else []
                return self.reply(503, b"direct put to the next hop failed", "text/plain", extra)
        if "etl_fqn" in query:
            with open(urllib.parse.unquote(query["etl_fqn"][0]), "rb") as f:
                body = f.read()
        self.reply(200, self.transform(body, ""))

    do_POST = do_PUT

    # --- health and ws ---------------------------------------------------------------------

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            return self.reply(200, b"Running", "text/plain")
        if path == "/ws" and self.headers.get("Upgrade", "").lower() == "websocket":
            return self.upgrade()
        self.reply(404, b"not found", "text/plain")

    def upgrade(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.close_connection = True
        with Handler.lock:
            Handler.open_ws += 1
            log(f"ws open (open: {Handler.open_ws})")
        try:
            self.serve_ws(WsConnection(self.rfile, self.wfile))
        except (PeerClosed, OSError) as e:
            log(f"ws ended: {e}")
        finally:
            with Handler.lock:
                Handler.open_ws -= 1
                log(f"ws closed (open: {Handler.open_ws})")

    def serve_ws(self, ws: WsConnection):
        while True:
            message = ws.read_message()
            if message is None:
                return
            control = json.loads(message[1])
            fqn = control.get("fqn")
            if fqn is not None:
                try:
                    with open(urllib.parse.unquote(fqn), "rb") as f:
                        data = f.read()
                except OSError as e:
                    ws.send(OP_TEXT, f"cannot read {fqn}: {e}".encode())
                    continue
            else:
                message = ws.read_message()
                if message is None:
                    return
                data = message[1]
            args = control.get("etl_args", "")
            log(f"ws object {control.get('path', '')!r} {len(data)} bytes fqn={fqn is not None} "
                f"args={args!r} (open: {Handler.open_ws})")
            if args.startswith("sleep="):
                seconds, _, args = args[len("sleep="):].partition(";")
                time.sleep(float(seconds))
            if args == "direct-put":
                ws.send(OP_TEXT, b"delivered via direct put")
                continue
            ws.send(OP_BINARY, self.transform(data, args))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--marker", default="")
    parser.add_argument("--md5", action="store_true")
    parser.add_argument("--args", action="store_true")
    args = parser.parse_args()
    Handler.mode = "md5" if args.md5 else "args" if args.args else "echo"
    httpd = ThreadingHTTPServer((args.listen, args.port), Handler)
    log(f"ws server {args.marker} ({Handler.mode}) listening on {args.listen}:{args.port}")
    sys.stdout.flush()
    httpd.serve_forever()


if __name__ == "__main__":
    main()
