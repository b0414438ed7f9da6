"""The io:// twin of comm_server.py, sent as the code of an io:// ETL: one process per object,
the object on stdin, the result on stdout, the transform chosen by $ETL_ARGS: "" echo,
"buffered" (echo after reading all), "upper", "md5", "fail..." (a message on stderr, exit
status 3), "sleep" (5 s, then echo), "args..." ($ETL_ARGS itself, UTF-8).
"""
import hashlib
import os
import sys
import time

CHUNK = 1024 * 1024


def chunks():
    return iter(lambda: sys.stdin.buffer.read(CHUNK), b"")


def main():
    mode = os.environ.get("ETL_ARGS", "")
    out = sys.stdout.buffer
    if mode.startswith("fail"):
        for _ in chunks():
            pass
        sys.stderr.write("comm_io: transform failed on purpose\n")
        sys.exit(3)
    if mode == "md5":
        md5 = hashlib.md5()
        for piece in chunks():
            md5.update(piece)
        out.write(md5.hexdigest().encode())
        return
    if mode.startswith("args"):
        for _ in chunks():
            pass
        out.write(os.environb.get(b"ETL_ARGS", b""))
        return
    if mode == "buffered":
        out.write(b"".join(chunks()))
        return
    if mode == "sleep":
        time.sleep(5)
    elif mode not in ("", "upper"):
        sys.stderr.write(f"comm_io: unknown ETL_ARGS {mode!r}\n")
        sys.exit(2)
    for piece in chunks():
        out.write(piece.upper() if mode == "upper" else piece)
        out.flush()


main()
