"""Fixtures for the integration suite: real kilnd processes on 127.0.0.1, data in tmp_path.

- `cluster` / `module_cluster`: one proxy and three target processes started separately
  (the topology of a real deployment), ready once the proxy's smap lists all three targets.
- `kilnd_cluster`: the embedded `kilnd cluster --targets 3 --port 0` supervisor, ready once it
  prints its ready line.
- `launcher`: for tests that start and stop processes themselves.
- `etl_cluster` (per module, named after it), `api` (its /v1/etl, every ETL deleted at the end of
  the module), `etls` (the same, every ETL deleted after each test) and `sdk` (the official SDK,
  failing fast): the ETL modules' fixtures, over etlharness.py.
A session check fails the run if any kilnd started here outlives the tests, and every test fails
whose kilnds reported a crash on stderr (service/node/fatalreport.h).
"""

import uuid

import pytest
import requests

import etlharness as eh
import kilnharness as kh
from kilnharness import (  # noqa: F401 (autouse fixtures, found by name)
    no_kilnd_crashed,
    no_kilnd_crashed_in_module_fixtures,
    no_kilnd_outlives_the_tests,
)


class Launcher:
    """Starts clusters and single processes; close() stops every one of them."""

    def __init__(self, base):
        self.base = base
        self.clusters = []
        self.supervisors = []

    def cluster(self, targets=3, keepalive=("1s", "5s"), name="cluster", mountpaths=1,
                proxy_extra=()):
        c = kh.Cluster(self.base / f"{name}-{len(self.clusters)}", targets, keepalive, mountpaths,
                       proxy_extra)
        self.clusters.append(c)
        return c

    def supervisor(self, targets=3, extra=(), wait=True):
        d = self.base / f"supervisor-{len(self.supervisors)}"
        s = kh.Supervisor(d / "data", d, targets=targets, extra=extra)
        self.supervisors.append(s)
        if wait:
            s.wait_ready()
        return s

    def close(self):
        for s in self.supervisors:
            s.close()
        for c in self.clusters:
            c.close()


@pytest.fixture
def launcher(tmp_path):
    lnch = Launcher(tmp_path)
    yield lnch
    lnch.close()


@pytest.fixture
def cluster(launcher):
    return launcher.cluster(3)


@pytest.fixture(scope="module")
def module_cluster(tmp_path_factory):
    lnch = Launcher(tmp_path_factory.mktemp("module"))
    yield lnch.cluster(3)
    lnch.close()


@pytest.fixture
def kilnd_cluster(launcher):
    return launcher.supervisor(3)


@pytest.fixture
def http():
    with requests.Session() as s:
        yield s


@pytest.fixture
def bucket(module_cluster):
    """A fresh bucket on the module cluster (names differ so tests do not see each other)."""
    return kh.create_bucket(module_cluster.url, "b-" + uuid.uuid4().hex[:10])


@pytest.fixture(scope="module")
def etl_cluster(request, tmp_path_factory):
    """A cluster for the ETL tests of one module; no instance may outlive it."""
    yield from eh.make_etl_cluster(tmp_path_factory, request.module.__name__.removeprefix("test_"))


@pytest.fixture(scope="module")
def api(etl_cluster):
    """The ETL API of the module's cluster; what the module's tests left is deleted at its end."""
    api = eh.EtlApi(etl_cluster.url)
    yield api
    eh.cleanup_etls(etl_cluster, api)


@pytest.fixture
def etls(etl_cluster, api):
    """The ETL API for one test; every ETL it made is deleted after it."""
    yield api
    eh.cleanup_etls(etl_cluster, api)


@pytest.fixture(scope="module")
def sdk(etl_cluster):
    return eh.quick_sdk(etl_cluster.url)
