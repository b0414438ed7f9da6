#!/usr/bin/env python3
"""An ETL instance for the compat suite, standard library only: every transform answers the
object's bytes reversed, followed by the request's etl_args (if any).

  GET  /health            -> 200 "Running"
  PUT|POST /<bck>/<obj>   -> transform(body)                 (hpush://)
  GET  /<escaped uname>   -> transform(object from $AIS_TARGET_URL)   (hpull://)

--fail-on PREFIX answers 500 for every object whose bytes start with PREFIX.
--busy-on PREFIX answers 503 with `Ais-Etl-Retry-Reason: direct-put-transient` (AIS's "I could
                 not pass it on, send it again") for every object whose bytes start with PREFIX.
etl_args `sleep=S` waits S seconds before answering; `exit=N` ends this server (exit status N)
once the object is read, without an answer: an ETL server that dies mid-transform.
Every PUT is logged as it arrives ("reverse-server: got PUT <path>"), so a test can count tries.
"""
import argparse
import os
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


FAIL_ON = b""
BUSY_ON = b""


def transform(data: bytes, query: str) -> bytes:
    args = urllib.parse.parse_qs(query).get("etl_args", [""])[0]
    return data[::-1] + args.encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, body: bytes, status: int = 200, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        path, _, query = self.path.partition("?")
        print(f"reverse-server: got {self.command} {path}", flush=True)
        params = urllib.parse.parse_qs(query)
        fqn = params.get("etl_fqn", [""])[0]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if fqn:
            with open(fqn, "rb") as f:
                body = f.read()
        args = params.get("etl_args", [""])[0]
        if args.startswith("exit="):
            print(f"reverse-server: exiting with status {args[5:]} on {path}", flush=True)
            os._exit(int(args[5:]))
        if args.startswith("sleep="):
            time.sleep(float(args[6:]))
        if FAIL_ON and body.startswith(FAIL_ON):
            self.answer(b"refusing this object", 500)
            return
        if BUSY_ON and body.startswith(BUSY_ON):
            print(f"reverse-server: busy {path}", flush=True)
            self.answer(b"the next stage is busy", 503,
                        [("Ais-Etl-Retry-Reason", "direct-put-transient")])
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
    p.add_argument("--busy-on", default="")
    a = p.parse_args()
    FAIL_ON = a.fail_on.encode()
    BUSY_ON = a.busy_on.encode()
    print(f"reverse-server: listening on 127.0.0.1:{a.port}", flush=True)
    ThreadingHTTPServer(("127.0.0.1", a.port), Handler).serve_forever()
