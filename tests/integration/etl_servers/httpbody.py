"""What the standard-library ETL servers here share: reading a request body that comes with a
Content-Length or chunked. Each server runs as a script from this folder, so it imports this
module by name."""


def read_body(handler) -> bytes:
    """The whole request body of a BaseHTTPRequestHandler."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                return bytes(out)
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
