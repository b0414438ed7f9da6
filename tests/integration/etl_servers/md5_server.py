#!/usr/bin/env python
"""Seed 004's MD5 server ("Regular flow"): http.server with do_POST and no do_PUT, so the target
has to fall back from PUT to POST. Added to the seed's code: GET /health for the readiness probe
the pod spec must have, and --marker, which only makes the command line unique."""
import argparse
import hashlib
from http.server import HTTPServer, BaseHTTPRequestHandler


class S(BaseHTTPRequestHandler):
    def _set_headers(self):
        self.send_response(200)
        self.send_header("Content-type", "text/plain")
        self.end_headers()

    def do_POST(self):
        content_length = int(self.headers["Content-Length"])
        post_data = self.rfile.read(content_length)
        md5 = hashlib.md5()
        md5.update(post_data)
        self._set_headers()
        self.wfile.write(md5.hexdigest().encode())

    def do_GET(self):
        if self.path != "/health":
            self.send_error(404)
            return
        self._set_headers()
        self.wfile.write(b"Running")


def run(server_class=HTTPServer, handler_class=S, addr="localhost", port=8000):
    server_address = (addr, port)
    httpd = server_class(server_address, handler_class)
    print(f"Starting httpd server on {addr}:{port}", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run a simple HTTP server")
    parser.add_argument("-l", "--listen", default="localhost",
                        help="Specify the IP address on which the server listens")
    parser.add_argument("-p", "--port", type=int, default=8000,
                        help="Specify the port on which the server listens")
    parser.add_argument("--marker", default="")
    args = parser.parse_args()
    run(addr=args.listen, port=args.port)
