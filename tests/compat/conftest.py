"""Fixtures for the SDK compatibility suite: a `kilnd cluster --targets 3` and an SDK client.

The process handling is the integration suite's (tests/integration/kilnharness.py), including
the session check that no kilnd outlives the tests.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import kilnharness as kh  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def no_kilnd_outlives_the_tests(tmp_path_factory):
    assert kh.KILND.is_file(), f"kilnd not built at {kh.KILND} (set KILND)"
    yield
    kh.assert_nothing_outlived(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    """A running `kilnd cluster` with 3 targets; yields its supervisor (url in .url)."""
    base = tmp_path_factory.mktemp("cluster")
    sup = kh.Supervisor(base / "data", base, targets=3)
    try:
        sup.wait_ready()
        yield sup
    finally:
        sup.close()
