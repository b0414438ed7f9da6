"""`Etl.init_class` as AIS's Python runtime (the aistorage/runtime_python image) runs it: the
user's class is constructed with no arguments, so each server kind of the SDK works with its own
`__init__(self)` (FastAPIServer, HTTPMultiThreadedServer, FlaskServer); a constructor that fails
fails the init with its error; `os_packages` that cannot be installed fail the init naming them,
and installed ones pass.

The classes are defined inside the tests so that cloudpickle sends them by value (the test module
is not on the server). Runs under each pinned SDK release, like test_sdk_etl.py.
"""

import pytest
from aistore.sdk.errors import AISError
from aistore.sdk.etl import ETLConfig
from aistore.sdk.etl.etl_const import ETL_STAGE_ABORTED
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer
from aistore.sdk.etl.webserver.flask_server import FlaskServer
from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer

from etl_common import OBJECTS, client, delete_quietly, src  # noqa: F401 (fixtures)

# A name no distribution uses, so no machine has it installed.
NO_SUCH_PACKAGE = "kiln-no-such-os-package"
ALL_STAGES = ["Initializing", "Running", "Aborted", "Unknown"]


def check_reads(src, etl_name: str, want):
    for name, data in OBJECTS.items():
        got = src.object(name).get_reader(etl=ETLConfig(etl_name)).read_all()
        assert got == want(data), name


def stage_of(client, name: str) -> str:
    return {e.id: e.stage for e in client.cluster().list_etls(stages=ALL_STAGES)}.get(name, "")


@pytest.mark.covers("Etl.init_class (FastAPIServer with its own __init__(self))")
def test_fastapi_server_with_its_own_init(client, src):
    etl = client.etl("compat-cls-fastapi")

    @etl.init_class(init_timeout="5m")
    class TaggingServer(FastAPIServer):
        def __init__(self):  # no host/port: the runtime constructs it as TaggingServer()
            super().__init__()
            self.tag = b"<fastapi>"

        def transform(self, data, path, etl_args):
            return self.tag + data + self.tag

    try:
        check_reads(src, etl.name, lambda data: b"<fastapi>" + data + b"<fastapi>")
    finally:
        etl.delete()


@pytest.mark.covers("Etl.init_class (HTTPMultiThreadedServer with its own __init__(self))")
def test_http_multi_threaded_server_with_its_own_init(client, src):
    etl = client.etl("compat-cls-http")

    @etl.init_class(init_timeout="5m")
    class CountingServer(HTTPMultiThreadedServer):
        def __init__(self):
            super().__init__()
            self.prefix = b"len="

        def transform(self, data, path, etl_args):
            return self.prefix + str(len(data)).encode()

    try:
        check_reads(src, etl.name, lambda data: b"len=" + str(len(data)).encode())
    finally:
        etl.delete()


@pytest.mark.covers("Etl.init_class (FlaskServer with its own __init__(self))")
def test_flask_server_with_its_own_init(client, src):
    etl = client.etl("compat-cls-flask")

    @etl.init_class(init_timeout="5m")
    class SwapCaseServer(FlaskServer):
        def __init__(self):
            super().__init__()
            self.swap = bytes.swapcase

        def transform(self, data, path, etl_args):
            return self.swap(data)

    try:
        check_reads(src, etl.name, bytes.swapcase)
    finally:
        etl.delete()


@pytest.mark.covers("Etl.init_class (constructor raises -> AISError naming the error)")
def test_a_constructor_that_raises_fails_the_init(client):
    etl = client.etl("compat-cls-broken")
    try:
        with pytest.raises(AISError) as e:

            @etl.init_class(init_timeout="5m")
            class BrokenServer(FastAPIServer):  # pylint: disable=unused-variable
                def __init__(self):
                    super().__init__()
                    raise RuntimeError("model weights are missing")

                def transform(self, data, path, etl_args):
                    return data

        assert e.value.status_code == 400, e.value
        assert "model weights are missing" in e.value.message, e.value.message
        assert stage_of(client, etl.name) == ETL_STAGE_ABORTED
    finally:
        delete_quietly(etl)


@pytest.mark.covers("Etl.init_class (os_packages not installable -> AISError naming them)")
def test_os_packages_that_cannot_be_installed_fail_the_init(client):
    etl = client.etl("compat-cls-ospkg")
    try:
        with pytest.raises(AISError) as e:

            @etl.init_class(os_packages=["coreutils", NO_SUCH_PACKAGE], init_timeout="5m")
            class EchoServer(FastAPIServer):  # pylint: disable=unused-variable
                def transform(self, data, path, etl_args):
                    return data

        assert e.value.status_code == 400, e.value
        assert NO_SUCH_PACKAGE in e.value.message, e.value.message
        assert "os_packages" in e.value.message, e.value.message
        assert '"coreutils"' not in e.value.message, e.value.message  # installed: not blamed
        assert stage_of(client, etl.name) == ETL_STAGE_ABORTED
    finally:
        delete_quietly(etl)


@pytest.mark.covers("Etl.init_class (os_packages already installed)")
def test_os_packages_that_are_installed_pass(client, src):
    etl = client.etl("compat-cls-ospkg-ok")

    @etl.init_class(os_packages=["coreutils"], init_timeout="5m")
    class ReverseServer(FastAPIServer):
        def transform(self, data, path, etl_args):
            return data[::-1]

    try:
        check_reads(src, etl.name, lambda data: data[::-1])
    finally:
        etl.delete()
