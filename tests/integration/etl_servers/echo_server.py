#!/usr/bin/env python3
"""A tiny ETL instance for the integration tests: it answers every transform with the object's
own bytes, so a test can compare byte for byte.

  GET  /health            -> 200 "Running" (or --health-status, to never become ready)
  PUT|POST /<bck>/<obj>   -> the request body (hpush://), or the file named by ?etl_fqn=
  GET  /<escaped uname>   -> the object fetched from $AIS_TARGET_URL (hpull://, hrev://)

--marker is not used: it only makes this instance's command line unique, so a test can find its
processes. --exit-at-start prints a line and exits with that status before serving; with
--only-on-target ID only the instance of that target (KILN_TARGET_ID) does so, the others serve.
--start-delay sleeps before opening the port (a server that loads something first).
"""
import argparse
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from httpbody import read_body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    health_status = 200

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        body = read_body(self)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        if "etl_fqn" in query:
            with open(query["etl_fqn"][0], "rb") as f:
                body = f.read()
        self.reply(200, body)

    do_POST = do_PUT

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/health":
            status = self.health_status
            return self.reply(status, b"Running" if status == 200 else b"not ready", "text/plain")
        url = os.environ["AIS_TARGET_URL"].rstrip("/") + path
        try:
            with urllib.request.urlopen(url, timeout=60) as resp:
                data = resp.read()
        except urllib.error.HTTPError as e:
            return self.reply(e.code, e.read(), "text/plain")
        self.reply(200, data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--marker", default="")
    parser.add_argument("--health-status", type=int, default=200)
    parser.add_argument("--exit-at-start", type=int, default=None)
    parser.add_argument("--only-on-target", default=None)
    parser.add_argument("--start-delay", type=float, default=0)
    args = parser.parse_args()
    if args.only_on_target and os.environ.get("KILN_TARGET_ID") != args.only_on_target:
        args.exit_at_start = None
    if args.exit_at_start is not None:
        print(f"echo server {args.marker}: giving up at start with status {args.exit_at_start}",
              flush=True)
        sys.exit(args.exit_at_start)
    Handler.health_status = args.health_status
    if args.start_delay:
        print(f"echo server {args.marker}: loading for {args.start_delay} s", flush=True)
        time.sleep(args.start_delay)
    httpd = ThreadingHTTPServer((args.listen, args.port), Handler)
    print(f"echo server {args.marker} listening on {args.listen}:{args.port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
