"""What the SDK ETL suites (test_sdk_etl*.py) share: the data set, the reverse ETL server and
its expected output, and the fixtures (a fail-fast client, the SDK's default client, the source
bucket, a fresh destination). A suite imports the fixtures by name, so pytest finds them there.
"""

import os
import sys
from pathlib import Path

import pytest
from aistore.sdk import Client
from aistore.sdk.etl.etl import Etl

from sdkclient import fail_fast_client

REVERSE = Path(__file__).resolve().parent / "etl_servers" / "reverse_server.py"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
SDK2 = not hasattr(Etl, "init_spec")

OBJECTS = {
    "a/one.txt": b"some text :)\n",
    "a/two.txt": bytes(range(256)) * 40,
    "b/three.bin": os.urandom(300_000),
    "b/empty.txt": b"",
}


def reverse(data: bytes, args: str = "") -> bytes:
    return data[::-1] + args.encode()


def reverse_command(*flags: str) -> list[str]:
    # `--port 8000` is the container port: Kiln's local runtime rewrites it to a free port.
    return ["python3", str(REVERSE), "--port", "8000", *flags]


def check_transformed(bucket, want: dict[str, bytes]):
    got = sorted(e.name for e in bucket.list_all_objects())
    assert got == sorted(want)
    for name, data in want.items():
        assert bucket.object(name).get_reader().read_all() == data, name


def delete_quietly(etl):
    try:
        etl.delete()
    except Exception:  # pylint: disable=broad-exception-caught
        pass


@pytest.fixture(scope="module")
def client(kiln):
    return fail_fast_client(kiln.url, read_timeout=120)


@pytest.fixture(scope="module")
def default_client(kiln):
    """The SDK as a user gets it: its default retry policy (a 5xx is replayed for ~90 s)."""
    return Client(kiln.url, timeout=(3, 120))


@pytest.fixture(scope="module")
def src(client):
    b = client.bucket("compat-src")
    b.create(exist_ok=True)
    for name, data in OBJECTS.items():
        b.object(name).get_writer().put_content(data)
    return b


@pytest.fixture
def fresh_bucket(client, request):
    b = client.bucket("compat-" + request.node.name.replace("_", "-")[5:40].strip("-"))
    b.delete(missing_ok=True)
    yield b
    b.delete(missing_ok=True)
