"""The echo ETL server of bench/inline.py, run as an instance by `inline.py serve PORT`:
hpush (PUT/POST echo), hpull (GET of the Location from AIS_TARGET_URL) and ws (one websocket
per connection, each message echoed). Standard library only."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import socket
import struct
from urllib.parse import urlsplit

RECV = 1024 * 1024
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class _Upstream:
    """Keep-alive connections to the target's AIS_TARGET_URL, for GET /<uname> (hpull, hrev)."""

    def __init__(self, url: str):
        u = urlsplit(url)
        self.host, self.port, self.base = u.hostname, u.port or 80, u.path.rstrip("/")
        self.idle: list = []

    async def get(self, path: str) -> tuple[int, bytes]:
        for attempt in (0, 1):
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                writer.write(f"GET {self.base}{path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n"
                             .encode("latin-1"))
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                status = int(head[0].split(" ", 2)[1])
                fields = {}
                for line in head[1:]:
                    k, _, v = line.partition(":")
                    fields[k.strip().lower()] = v.strip()
                if "chunked" in fields.get("transfer-encoding", "").lower():
                    parts = []
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                        if size == 0:
                            await reader.readuntil(b"\r\n")
                            break
                        parts.append(await reader.readexactly(size))
                        await reader.readexactly(2)
                    body = b"".join(parts)
                else:
                    body = await reader.readexactly(int(fields.get("content-length", "0")))
                if fields.get("connection", "").lower() == "close":
                    writer.close()
                else:
                    self.idle.append((reader, writer))
                return status, body
            except (ConnectionError, asyncio.IncompleteReadError):
                writer.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _unmask(data: bytes, key: bytes) -> bytes:
    n = len(data)
    if n == 0:
        return data
    pad = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(pad, "big")).to_bytes(n, "big")


def _ws_frame(opcode: int, payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", 0x80 | opcode, n)
    if n < 65536:
        return struct.pack("!BBH", 0x80 | opcode, 126, n)
    return struct.pack("!BBQ", 0x80 | opcode, 127, n)


class EchoProtocol(asyncio.Protocol):
    """HTTP/1.1 (keep-alive, Content-Length bodies) and, after GET /ws, AIS's websocket framing:
    PUT|POST /<b>/<o> -> the body; GET /<uname> -> the object from AIS_TARGET_URL; ws: a control
    message then the object's bytes -> one binary message with the bytes."""

    upstream: _Upstream | None = None

    def __init__(self):
        self.buf = bytearray()
        self.need = -1  # body bytes still expected (-1: reading a head)
        self.busy = False
        self.ws = False
        self.ws_control = True  # the next ws data message is the control message
        self.ws_parts: list[bytes] = []

    def connection_made(self, transport):
        self.t = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def pause_writing(self):
        self.t.pause_reading()

    def resume_writing(self):
        self.t.resume_reading()

    def data_received(self, data):
        self.buf += data
        if not self.busy:
            self.ws_step() if self.ws else self.http_step()

    def reply(self, status: int, body: bytes, extra: str = "") -> None:
        head = (f"HTTP/1.1 {status} X\r\nContent-Type: application/octet-stream\r\n"
                f"Content-Length: {len(body)}\r\n{extra}\r\n").encode("latin-1")
        if len(body) < 65536:
            self.t.write(head + body)
        else:
            self.t.write(head)
            self.t.write(body)

    def http_step(self):
        while not self.busy and not self.ws:
            if self.need < 0:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                lines = self.buf[:end].decode("latin-1").split("\r\n")
                del self.buf[:end + 4]
                self.method, self.target, _ = lines[0].split(" ", 2)
                self.fields = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    self.fields[k.strip().lower()] = v.strip()
                if "chunked" in self.fields.get("transfer-encoding", "").lower():
                    self.reply(411, b"chunked bodies are not supported", "Connection: close\r\n")
                    self.t.close()
                    return
                if "100-continue" in self.fields.get("expect", "").lower():
                    self.t.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.need = int(self.fields.get("content-length", "0"))
            if len(self.buf) < self.need:
                return
            body = bytes(self.buf[:self.need]) if self.need else b""
            del self.buf[:self.need]
            self.need = -1
            path = self.target.split("?", 1)[0]
            if self.method in ("PUT", "POST"):
                self.reply(200, body)
            elif path == "/health":
                self.reply(200, b"Running")
            elif path == "/ws" and self.fields.get("upgrade", "").lower() == "websocket":
                key = self.fields.get("sec-websocket-key", "").encode()
                accept = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
                self.t.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n")
                             .encode())
                self.ws = True
                self.ws_step()
                return
            elif self.method == "GET" and self.upstream:
                self.busy = True
                # Keep a reference: the loop holds tasks weakly, and a pending one can be
                # collected mid-await (the connection would then hang).
                self.task = asyncio.ensure_future(self.pull(path))
            else:
                self.reply(404, b"not found")

    async def pull(self, path: str):
        try:
            status, body = await self.upstream.get(path)
        except (OSError, ValueError, asyncio.IncompleteReadError) as e:
            status, body = 502, f"cannot read {path}: {e}".encode()
        self.reply(status, body)
        self.busy = False
        self.http_step()

    def ws_step(self):
        while True:
            if len(self.buf) < 2:
                return
            b1, b2 = self.buf[0], self.buf[1]
            length, pos = b2 & 0x7F, 2
            if length == 126:
                if len(self.buf) < 4:
                    return
                length, pos = struct.unpack_from("!H", self.buf, 2)[0], 4
            elif length == 127:
                if len(self.buf) < 10:
                    return
                length, pos = struct.unpack_from("!Q", self.buf, 2)[0], 10
            masked = b2 & 0x80
            if len(self.buf) < pos + (4 if masked else 0) + length:
                return
            key = bytes(self.buf[pos:pos + 4]) if masked else None
            pos += 4 if masked else 0
            payload = bytes(self.buf[pos:pos + length])
            del self.buf[:pos + length]
            if key:
                payload = _unmask(payload, key)
            opcode, fin = b1 & 0x0F, b1 & 0x80
            if opcode == 0x8:  # close
                self.t.write(_ws_frame(0x8, payload[:2]) + payload[:2])
                self.t.close()
                return
            if opcode == 0x9:  # ping
                self.t.write(_ws_frame(0xA, payload) + payload)
                continue
            if opcode == 0xA:
                continue
            self.ws_parts.append(payload)
            if not fin:
                continue
            message = b"".join(self.ws_parts)
            self.ws_parts = []
            if self.ws_control:
                control = json.loads(message or b"{}")
                if control.get("fqn"):
                    with open(control["fqn"], "rb") as f:
                        data = f.read()
                    self.t.write(_ws_frame(0x2, data))
                    self.t.write(data)
                else:
                    self.ws_control = False
            else:
                self.ws_control = True
                self.t.write(_ws_frame(0x2, message))
                self.t.write(message)


def serve(port: int) -> None:
    async def main():
        if os.environ.get("AIS_TARGET_URL"):
            EchoProtocol.upstream = _Upstream(os.environ["AIS_TARGET_URL"])
        loop = asyncio.get_running_loop()
        server = await loop.create_server(EchoProtocol, "127.0.0.1", port, backlog=1024)
        print(f"inline.py echo server on 127.0.0.1:{port}", flush=True)
        await server.serve_forever()

    asyncio.run(main())
