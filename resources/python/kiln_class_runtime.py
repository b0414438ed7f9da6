#!/usr/bin/env python3
"""Kiln's local stand-in for the aistorage/runtime_python image (the aistore SDK's init_class).

The SDK pickles an ETLServer subclass (cloudpickle, base64) into ETL_CLASS_PAYLOAD; the real
image's bootstrap unpickles it and serves it on port 8000. Here the venv that runs this script
holds aistore[etl] (the client's version) and the ETL's PACKAGES, and the server listens on the
loopback port kilnd gives in PORT. One process: NUM_WORKERS is not applied.
"""
import base64
import os
import sys

import cloudpickle


def main():
    payload = os.environ.get("ETL_CLASS_PAYLOAD")
    if not payload:
        raise SystemExit("kiln: ETL_CLASS_PAYLOAD is not set")
    cls = cloudpickle.loads(base64.b64decode(payload))
    port = int(os.environ.get("PORT", "8000"))
    sys.stderr.write(f"kiln-class-runtime: serving {cls.__name__} on 127.0.0.1:{port}\n")
    sys.stderr.flush()
    server = cls(host="127.0.0.1", port=port)
    server.start()


if __name__ == "__main__":
    main()
