#!/usr/bin/env python3
"""An hpush:// ETL instance for the offline-transform tests and the offline benchmark: a threaded
HTTP/1.1 server (keep-alive, a deep accept queue) so that a job's N workers per target are not
serialized by the instance itself.

  GET  /health                      -> 200 "Running"
  PUT|POST /<bck>/<obj>[?etl_fqn=]  -> the transform of the body (or of the file named by etl_fqn)

--transform echo   the object's own bytes (default)
--transform md5    the object's MD5 as 32 lower-case hex digits
--fail-digit D     answer 500 "planned failure: <obj>" when the last digit of the last number in
                   the object's name is D (names like a/o0137.txt: exactly one object in ten fails,
                   and a test knows which)
--cut-digit D      for the same kind of names, announce the whole length, send half of the
                   result and close the connection (a server that dies mid-answer)
--exit-digit D     for the same kind of names, read the object and end the whole server with
                   exit status 3, answering nothing (a server that dies mid-transform)
--delay S          per object: send the headers and the first half of the result, wait S seconds,
                   then the rest; an abort then lands while the target holds half a result
--marker           not used: it only makes this instance's command line unique, so a test can find
                   its processes
"""
import argparse
import hashlib
import os
import re
import socket
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from httpbody import read_body

LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # http.server writes the head and the body with two send()s: with Nagle's algorithm on, the
    # body waits for the target's delayed ACK, 40 ms an object. Real ETL servers (uvicorn, Go's
    # net/http) set TCP_NODELAY too.
    disable_nagle_algorithm = True
    transform = "echo"
    fail_digit = None
    cut_digit = None
    exit_digit = None
    delay = 0.0

    def log_message(self, fmt, *args):  # one line per object would flood the target's log ring
        pass

    def reply(self, status, body, content_type="application/octet-stream", cut=False):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        elif self.delay and status == 200:
            half = len(body) // 2
            self.wfile.write(body[:half])
            self.wfile.flush()
            time.sleep(self.delay)
            self.wfile.write(body[half:])
        else:
            self.wfile.write(body)

    def do_PUT(self):
        body = read_body(self)
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        obj = urllib.parse.unquote(url.path)
        m = LAST_NUMBER.search(obj)
        digit = m.group(1)[-1] if m else None
        if digit is not None and digit == self.exit_digit:
            print(f"offline server: exiting on {obj}", flush=True)
            os._exit(3)
        if digit is not None and digit == self.fail_digit:
            return self.reply(500, f"planned failure: {obj}".encode(), "text/plain")
        if "etl_fqn" in query:
            with open(query["etl_fqn"][0], "rb") as f:
                body = f.read()
        if self.transform == "md5":
            body = hashlib.md5(body).hexdigest().encode()
        try:
            self.reply(200, body, cut=digit is not None and digit == self.cut_digit)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the target gave up on this object (an abort)

    do_POST = do_PUT

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/health":
            return self.reply(200, b"Running", "text/plain")
        self.reply(404, b"not found", "text/plain")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--listen", default="127.0.0.1")
    parser.add_argument("--marker", default="")
    parser.add_argument("--transform", choices=["echo", "md5"], default="echo")
    parser.add_argument("--fail-digit", default=None)
    parser.add_argument("--cut-digit", default=None)
    parser.add_argument("--exit-digit", default=None)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    Handler.transform = args.transform
    Handler.fail_digit = args.fail_digit
    Handler.cut_digit = args.cut_digit
    Handler.exit_digit = args.exit_digit
    Handler.delay = args.delay
    httpd = Server((args.listen, args.port), Handler)
    print(f"offline server {args.marker} ({args.transform}) on {args.listen}:{args.port}",
          flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
