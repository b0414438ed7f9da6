#!/usr/bin/env python3
"""One ETL instance for every HTTP communication type (test_etl_commtypes.py,
test_etl_bigobjects.py); standard library only, bodies streamed in 1 MiB chunks.

  GET  /health               -> 200 "Running"
  PUT|POST /<bck>/<obj>      -> the request body, transformed (hpush://)
  GET  /<escaped uname>      -> $AIS_TARGET_URL/<escaped uname>, transformed (hpull://, hrev://)

The transform is chosen per request by ?etl_args=:
  ""        echo (chunked answer, the bytes as they come)
  "buffered" echo, but the answer starts only after the whole object was read
  "upper"   bytes.upper() (chunked answer)
  "md5"     the hex MD5 of the object (32 bytes, with Content-Length)
  "fail"    500 "comm_server: transform failed for <path>" (after reading the body);
            "fail:NNN" answers with status NNN instead
  "sleep"   waits 5 s, then echoes (to run into the ETL's object timeout)
  "args..." the etl_args string itself, UTF-8 (to see it arrive unchanged)
Anything else is 400. --marker is not used: it makes the command line unique for psutil.
"""
import argparse
import hashlib
import http.client
import os
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 1024 * 1024
SLEEP = 5.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # --- input ---------------------------------------------------------------------------------

    def request_chunks(self):
        """The request body, in pieces of at most CHUNK bytes (Content-Length or chunked)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return
                while size > 0:
                    piece = self.rfile.read(min(size, CHUNK))
                    if not piece:
                        raise ConnectionError("request body ended early")
                    size -= len(piece)
                    yield piece
                self.rfile.readline()
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            piece = self.rfile.read(min(remaining, CHUNK))
            if not piece:
                raise ConnectionError("request body ended early")
            remaining -= len(piece)
            yield piece

    def upstream_chunks(self, path):
        """GET $AIS_TARGET_URL<path> (the escaped uname, sent as received). Returns (status,
        error body) or (200, chunk iterator)."""
        base = urllib.parse.urlsplit(os.environ["AIS_TARGET_URL"])
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=120)
        conn.request("GET", base.path.rstrip("/") + path)
        resp = conn.getresponse()
        if resp.status != 200:
            body = resp.read()
            conn.close()
            return resp.status, body

        def chunks():
            try:
                while True:
                    piece = resp.read(CHUNK)
                    if not piece:
                        return
                    yield piece
            finally:
                conn.close()

        return 200, chunks()

    # --- output --------------------------------------------------------------------------------

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reply_chunked(self, chunks):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in chunks:
            if piece:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def transform(self, chunks, args):
        mode, _, code = args.partition(":")
        if mode == "":
            return self.reply_chunked(chunks)
        if mode == "buffered":
            return self.reply_chunked(list(chunks))
        if mode == "upper":
            return self.reply_chunked(piece.upper() for piece in chunks)
        if mode == "md5":
            md5 = hashlib.md5()
            for piece in chunks:
                md5.update(piece)
            return self.reply(200, md5.hexdigest().encode(), "text/plain")
        if mode == "fail":
            for _ in chunks:
                pass
            path = urllib.parse.urlsplit(self.path).path
            return self.reply(int(code or 500),
                              f"comm_server: transform failed for {path}".encode(), "text/plain")
        if mode == "sleep":
            time.sleep(SLEEP)
            return self.reply_chunked(chunks)
        if args.startswith("args"):
            for _ in chunks:
                pass
            return self.reply(200, args.encode(), "text/plain")
        for _ in chunks:
            pass
        return self.reply(400, f"comm_server: unknown etl_args {args!r}".encode(), "text/plain")

    def etl_args(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return query.get("etl_args", [""])[0]

    # --- methods -------------------------------------------------------------------------------

    def do_PUT(self):
        try:
            self.transform(self.request_chunks(), self.etl_args())
        except (BrokenPipeError, ConnectionError):
            self.close_connection = True  # the target gave up (object timeout): nothing to say

    do_POST = do_PUT

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            return self.reply(200, b"Running", "text/plain")
        try:
            status, chunks = self.upstream_chunks(path)
            if status != 200:
                return self.reply(status, chunks, "text/plain")
            self.transform(chunks, self.etl_args())
        except (BrokenPipeError, ConnectionError):
            self.close_connection = True


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--marker", default="")
    args = parser.parse_args()
    ThreadingHTTPServer.daemon_threads = True
    httpd = ThreadingHTTPServer((args.listen, args.port), Handler)
    print(f"comm server {args.marker} listening on {args.listen}:{args.port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
