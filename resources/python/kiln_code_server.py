#!/usr/bin/env python3
"""Kiln's local runtime for "init code" ETLs (seed 000/001/004).

Loads the user's module (KILN_CODE_FILE) and serves its transform function over HTTP the way
AIStore's python runtime did:
  GET  /health            -> 200 "Running" (readiness)
  PUT|POST /<anything>    -> transform(request body) (hpush://)
  GET  /<bucket>/<object> -> fetch the object from $AIS_TARGET_URL, transform it (hpull://, hrev://)
With CHUNK_SIZE > 0 the function is called as transform(reader, writer) and streams.
With ARG_TYPE=url (hpull) it gets the object's URL instead of its bytes; with ARG_TYPE=fqn, the
local path from the etl_fqn query parameter.
Only the standard library is used; the ETL's own dependencies live in the venv that runs this.
"""
import importlib.util
import os
import sys
import traceback
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def load_transform():
    path = os.environ["KILN_CODE_FILE"]
    spec = importlib.util.spec_from_file_location("code", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["code"] = module
    spec.loader.exec_module(module)
    name = os.environ.get("KILN_TRANSFORM_FUNC", "transform")
    func = getattr(module, name, None)
    if not callable(func):
        raise SystemExit(f"kiln: the ETL code defines no function {name!r}")
    return func


TRANSFORM = load_transform()
TARGET_URL = os.environ.get("AIS_TARGET_URL", "").rstrip("/")
CHUNK_SIZE = int(os.environ.get("CHUNK_SIZE", "0") or 0)
ARG_TYPE = os.environ.get("ARG_TYPE", "")


class BodyReader:
    """A file-like view of a request body of known length (or chunked)."""

    def __init__(self, rfile, length, chunked):
        self.rfile, self.left, self.chunked, self.chunk_left = rfile, length, chunked, 0

    def read(self, n=-1):
        if self.chunked:
            out = bytearray()
            while n < 0 or len(out) < n:
                if self.chunk_left == 0:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        self.chunked = False
                        self.left = 0
                        break
                    self.chunk_left = size
                want = self.chunk_left if n < 0 else min(self.chunk_left, n - len(out))
                data = self.rfile.read(want)
                out += data
                self.chunk_left -= len(data)
                if self.chunk_left == 0:
                    self.rfile.readline()
            return bytes(out)
        if self.left <= 0:
            return b""
        want = self.left if n < 0 else min(n, self.left)
        data = self.rfile.read(want)
        self.left -= len(data)
        return data


class ChunkedWriter:
    def __init__(self, wfile):
        self.wfile = wfile

    def write(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def close(self):
        self.wfile.write(b"0\r\n\r\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep stdout for the user's own prints
        sys.stderr.write("kiln-code-server: " + (fmt % args) + "\n")

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def fail(self, status, message):
        self.reply(status, message.encode(), "text/plain; charset=utf-8")

    def run(self, source):
        """source: bytes, str (url/fqn) or a reader (streaming)."""
        try:
            if CHUNK_SIZE > 0 and not isinstance(source, (bytes, str)):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                writer = ChunkedWriter(self.wfile)
                TRANSFORM(source, writer)
                writer.close()
                return
            if CHUNK_SIZE > 0:  # a pulled object arrives whole; hand it over as a reader
                import io
                out = io.BytesIO()
                TRANSFORM(io.BytesIO(source if isinstance(source, bytes) else source.encode()), out)
                result = out.getvalue()
            else:
                result = TRANSFORM(source)
            if isinstance(result, str):
                result = result.encode()
            if not isinstance(result, (bytes, bytearray)):
                raise TypeError(f"transform returned {type(result).__name__}, expected bytes")
            self.reply(200, bytes(result))
        except Exception:  # the user's code failed: say so, with its traceback
            self.fail(500, "transform failed:\n" + traceback.format_exc())

    def query(self):
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            return self.reply(200, b"Running", "text/plain")
        q = self.query()
        if ARG_TYPE == "fqn" and "etl_fqn" in q:
            return self.run(urllib.parse.unquote(q["etl_fqn"][0]))
        url = TARGET_URL + path
        if ARG_TYPE == "url":
            return self.run(url)
        try:
            with urllib.request.urlopen(url, timeout=300) as resp:
                data = resp.read()
        except urllib.error.HTTPError as e:
            return self.fail(e.code, f"cannot read {path} from the target: {e.read().decode(errors='replace')}")
        except Exception as e:
            return self.fail(502, f"cannot read {path} from the target: {e}")
        self.run(data)

    def do_PUT(self):
        q = self.query()
        length = int(self.headers.get("Content-Length", "0") or 0)
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        reader = BodyReader(self.rfile, length, chunked)
        if "etl_fqn" in q and length == 0 and not chunked:
            fqn = urllib.parse.unquote(q["etl_fqn"][0])
            if ARG_TYPE == "fqn":
                return self.run(fqn)
            try:
                with open(fqn, "rb") as f:
                    return self.run(f if CHUNK_SIZE > 0 else f.read())
            except OSError as e:
                return self.fail(404, f"cannot open {fqn}: {e}")
        self.run(reader if CHUNK_SIZE > 0 else reader.read())

    do_POST = do_PUT


def main():
    port = int(os.environ.get("PORT", "8000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    sys.stderr.write(f"kiln-code-server: serving {os.environ.get('KILN_CODE_FILE')} on 127.0.0.1:{port}\n")
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
