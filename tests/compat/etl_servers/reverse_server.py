#!/usr/bin/env python3
"""An ETL instance for the compat suite, standard library only: every transform answers the
object's bytes reversed, followed by the request's etl_args (if any).

  GET  /health            -> 200 "Running"
  PUT|POST /<bck>/<obj>   -> transform(body)                 (hpush://)
  GET  /<escaped uname>   -> transform(object from $AIS_TARGET_URL)   (hpull://)

--fail-on PREFIX answers 500 for every object whose bytes start with PREFIX.
"""
import argparse
import os
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


FAIL_ON = b""


def transform(data: bytes, query: str) -> bytes:
    args = urllib.parse.parse_qs(query).get("etl_args", [""])[0]
    return data[::-1] + args.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, body: bytes, status: int = 200):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        path, _, query = self.path.partition("?")
        fqn = urllib.parse.parse_qs(query).get("etl_fqn", [""])[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if fqn:
            with open(fqn, "rb") as f:
                body = f.read()
        if FAIL_ON and body.startswith(FAIL_ON):
            self.answer(b"refusing this object", 500)
            return
        self.answer(transform(body, query))

    do_POST = do_PUT

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/health":
            self.answer(b"Running")
            return
        with urllib.request.urlopen(os.environ["AIS_TARGET_URL"] + path) as r:
            self.answer(transform(r.read(), query))

    def log_message(self, fmt, *args):
        print("reverse-server:", fmt % args, flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--fail-on", default="")
    a = p.parse_args()
    FAIL_ON = a.fail_on.encode()
    print(f"reverse-server: listening on 127.0.0.1:{a.port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()
