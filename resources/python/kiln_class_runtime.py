#!/usr/bin/env python3
"""Kiln's local stand-in for the aistorage/runtime_python image (the aistore SDK's init_class).

The SDK pickles an ETLServer subclass (cloudpickle, base64) into ETL_CLASS_PAYLOAD. This script
does what the image's bootstrap does with it, in the same order, on this machine:

1. PACKAGES are already in the venv kilnd built for this ETL (with aistore[etl] of the client's
   own version, which the pickle refers to).
2. OS_PACKAGES: the image installs them with its package manager and fails the start when it
   cannot. The local runtime installs no system packages on the host, so each one must already
   be installed here (dpkg); any that is not fails the start, naming it.
3. The class is unpickled and must be an ETLServer subclass.
4. It is constructed with no arguments, as the image does, so a subclass with its own
   `__init__(self)` works; the server then listens on 127.0.0.1:$PORT instead of 0.0.0.0:8000.
5. HTTPMultiThreadedServer serves in this process; FastAPIServer's app runs under uvicorn with
   the image's websocket limits; FlaskServer's app runs threaded. One process: NUM_WORKERS is not
   applied.

A failure prints one line starting with "kiln:" and exits with status 1; kilnd reports the init
as failed with the last lines of this output.
"""
import base64
import os
import shutil
import subprocess
import sys

WS_MAX_SIZE = 16 * 1024 ** 3  # AIS's largest websocket message
WS_PING_TIMEOUT = 86400


def die(message: str):
    sys.stderr.write(f"kiln: {message}\n")
    sys.stderr.flush()
    raise SystemExit(1)


def package_state(name: str) -> str:
    """'installed', or why the package is not there."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${db:Status-Status}\\n", name],
                             capture_output=True, text=True, check=False)
    except OSError as e:
        return f"there is no dpkg on this machine to look it up ({e.strerror})"
    states = set(out.stdout.split())
    if out.returncode == 0 and "installed" in states:
        return "installed"
    if out.returncode == 0 and states:
        return f"it is known to dpkg but {'/'.join(sorted(states))}, not installed"
    if shutil.which("apt-cache"):
        known = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                               capture_output=True, text=True, check=False)
        if known.returncode == 0 and known.stdout.strip():
            return "apt knows it, but it is not installed on this machine"
        return "no package of that name is known to dpkg or apt"
    return "no package of that name is known to dpkg"


def check_os_packages(spec: str):
    names = [p.strip() for p in spec.split(",") if p.strip()]
    missing = [(n, why) for n in names if (why := package_state(n)) != "installed"]
    if not missing:
        return
    detail = "; ".join(f'"{n}": {why}' for n, why in missing)
    die(f"os_packages: cannot install {', '.join(repr(n) for n, _ in missing)}: Kiln's local "
        f"runtime installs no system packages, so each must already be installed on the host "
        f"(or run the ETL on Kubernetes, where the image installs them). {detail}")


def load_class(payload: str):
    import cloudpickle
    from aistore.sdk.etl.webserver.base_etl_server import ETLServer

    try:
        cls = cloudpickle.loads(base64.b64decode(payload.encode()))
    except Exception as e:  # pylint: disable=broad-exception-caught
        die(f"cannot unpickle the ETL class: {type(e).__name__}: {e}")
    if not isinstance(cls, type) or not issubclass(cls, ETLServer):
        die(f"{cls!r} is not a subclass of ETLServer")
    return cls


def serve(server, port: int):
    from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer
    from aistore.sdk.etl.webserver.flask_server import FlaskServer
    from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer

    server.host, server.port = "127.0.0.1", port
    kind = type(server).__name__
    sys.stderr.write(f"kiln-class-runtime: serving {kind} on 127.0.0.1:{port}\n")
    sys.stderr.flush()
    if isinstance(server, HTTPMultiThreadedServer):
        server.start()
    elif isinstance(server, FastAPIServer):
        import uvicorn

        uvicorn.run(server.app, host="127.0.0.1", port=port, ws_max_size=WS_MAX_SIZE,
                    ws_ping_interval=None, ws_ping_timeout=WS_PING_TIMEOUT, access_log=False,
                    log_level="info")
    elif isinstance(server, FlaskServer):
        server.app.run(host="127.0.0.1", port=port, threaded=True)
    else:
        die(f"unsupported server type: {kind} (FastAPIServer, FlaskServer or "
            f"HTTPMultiThreadedServer)")


def main():
    payload = os.environ.get("ETL_CLASS_PAYLOAD")
    if not payload:
        die("ETL_CLASS_PAYLOAD is not set")
    check_os_packages(os.environ.get("OS_PACKAGES", ""))
    cls = load_class(payload)
    try:
        server = cls()
    except Exception as e:  # pylint: disable=broad-exception-caught
        die(f"cannot construct {cls.__name__}(): {type(e).__name__}: {e}")
    serve(server, int(os.environ.get("PORT", "8000")))


if __name__ == "__main__":
    main()
