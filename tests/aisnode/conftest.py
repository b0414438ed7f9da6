"""Fixtures for the differential test: a real AIStore (aisnode, tests/aisnode/aisnode.py) and a
Kiln cluster (kilnd proxy and targets, tests/integration/kilnharness.py), both on 127.0.0.1 in
this process's network namespace (run through tests/aisnode/netns.py; see the CTest entry).

A session check fails the run if any kilnd or aisnode started here outlives the tests.
"""

import sys
from pathlib import Path

import psutil
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import aisnode  # noqa: E402
import kilnharness as kh  # noqa: E402

TARGETS = 2  # both clusters: listings merge pages from more than one target
_ais_pids: list[int] = []


@pytest.fixture(scope="session", autouse=True)
def nothing_outlives_the_tests(tmp_path_factory):
    assert kh.KILND.is_file(), f"kilnd not built at {kh.KILND} (set KILND)"
    yield
    left = [pid for pid in _ais_pids if psutil.pid_exists(pid)
            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    kh.assert_nothing_outlived(tmp_path_factory.getbasetemp())
    assert not left, f"aisnode processes outlived the tests: {left}"


@pytest.fixture(scope="session")
def ais():
    with aisnode.AisCluster(targets=TARGETS) as cluster:
        _ais_pids.extend(cluster.pids())
        yield cluster
    assert not cluster.base.exists(), f"{cluster.base} left behind"


@pytest.fixture(scope="session")
def kiln(tmp_path_factory):
    cluster = kh.Cluster(tmp_path_factory.mktemp("kiln"), TARGETS)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture(scope="session")
def sides(ais, kiln):
    """Proxy URL per side, AIS first (the reference)."""
    return {"aisnode": ais.url, "kilnd": kiln.url}
