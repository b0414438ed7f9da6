"""Runs a command in a network namespace of its own, where loopback is the only interface.

    python tests/aisnode/netns.py COMMAND [ARG...]

Why: aisnode 5.0 (AIStore v1.5.0) always listens on its public port on every address
(`INADDR_ANY`, see `pubAddrAny` in ais/htrun.go: the public port is bound to all interfaces
whenever the intra-cluster ports differ from it, and since 5.0 they must). Kiln's tests and
benchmarks bind 127.0.0.1 only, so a real aisnode runs where 127.0.0.1 is all there is: a fresh
network namespace with `lo` up. Everything the command starts (kilnd, aisnode, nginx, wrk, the
Python client) shares that namespace and reaches each other on 127.0.0.1; nothing outside the
namespace, let alone outside the machine, can connect to them, and their ports cannot collide
with other suites running beside them.

The namespace comes from util-linux's `unshare --net` (as root) or `unshare --net
--map-root-user` (as any other user, with unprivileged user namespaces, Debian's default). The
command runs as the same process (exec), so signals and exit status pass through unchanged, and
the namespace goes away with its last process.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import sys
from pathlib import Path

_INSIDE = "--inside-netns"
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFREQ = "16sH22x"  # struct ifreq: name, flags, padding to 40 bytes


def interfaces() -> list[str]:
    # Asked through a socket, which lives in this process's namespace (/sys/class/net shows
    # the namespace that mounted /sys).
    return sorted(name for _, name in socket.if_nameindex())


def is_isolated() -> bool:
    """True when loopback is this network namespace's only interface."""
    return interfaces() == ["lo"]


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        got = fcntl.ioctl(s, _SIOCGIFFLAGS, struct.pack(_IFREQ, b"lo", 0))
        flags = struct.unpack(_IFREQ, got)[1]
        if not flags & _IFF_UP:
            fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack(_IFREQ, b"lo", flags | _IFF_UP))


def unshare_command(argv: list[str]) -> list[str]:
    """The command line that runs argv in a new network namespace (through this file)."""
    unshare = shutil.which("unshare") or "/usr/bin/unshare"
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    return [unshare, "--net", *user, "--", sys.executable, str(Path(__file__).resolve()), _INSIDE,
            *argv]


def exec_isolated(argv: list[str]) -> None:
    """Replaces this process with argv, in a namespace where loopback is the only interface
    (entering a new one unless this one already is)."""
    if is_isolated():
        loopback_up()
        os.execvp(argv[0], argv)
    cmd = unshare_command(argv)
    try:
        os.execv(cmd[0], cmd)
    except OSError as e:
        raise SystemExit(f"netns: cannot run {cmd[0]}: {e}") from e


def _inside(argv: list[str]) -> None:
    if not is_isolated():
        raise SystemExit(f"netns: expected only loopback in the new namespace, found "
                         f"{interfaces()}")
    loopback_up()
    os.execvp(argv[0], argv)


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == [_INSIDE]:
        _inside(args[1:])
    if not args:
        raise SystemExit(__doc__)
    exec_isolated(args)


if __name__ == "__main__":
    main()
