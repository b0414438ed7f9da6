"""Fixtures for the compatibility suite: a `kilnd cluster --targets 3`, an SDK client, and the
record of every client call tried.

The process handling is the integration suite's (tests/integration/kilnharness.py), including
the session check that no kilnd outlives the tests. A test names the SDK methods it drives with
`@pytest.mark.covers("Etl.init", ...)`; when $KILN_COMPAT_RESULTS names a folder, the session
writes `sdk-<version>.json` there (method, test, outcome), which gen_compat_doc.py turns into
docs/compat.md.
"""

import json
import os
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

import kilnharness as kh
from kilnharness import (  # noqa: F401 (autouse fixtures, found by name)
    no_kilnd_crashed,
    no_kilnd_crashed_in_module_fixtures,
    no_kilnd_outlives_the_tests,
)  # noqa: E402

_outcomes: dict[str, dict] = {}
_started = time.monotonic()


def pytest_configure(config):
    config.addinivalue_line("markers", "covers(*methods): SDK methods this test drives")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("covers")
    if marker is None:
        return
    entry = _outcomes.setdefault(item.nodeid, {"test": item.nodeid, "covers": list(marker.args),
                                               "outcome": "passed"})
    if report.skipped and report.when in ("setup", "call"):
        xfail = hasattr(report, "wasxfail")
        entry["outcome"] = "xfail" if xfail else "skipped"
        entry["reason"] = str(report.wasxfail if xfail else report.longrepr[2])
    elif report.failed:
        entry["outcome"] = "failed"
    elif report.when == "call" and hasattr(report, "wasxfail"):
        entry["outcome"] = "xpassed"


def pytest_sessionfinish(session):
    folder = os.environ.get("KILN_COMPAT_RESULTS")
    if not folder or not _outcomes:
        return
    from importlib.metadata import version

    sdk = version("aistore")
    path = Path(folder) / f"sdk-{sdk}-{Path(session.config.args[0]).stem}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"client": f"aistore {sdk}", "python": sys.version.split()[0],
                                "suite": Path(session.config.args[0]).name,
                                "seconds": round(time.monotonic() - _started, 1),
                                "tests": list(_outcomes.values())}, indent=1))


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    """A running `kilnd cluster` with 3 targets; yields its supervisor (url in .url). ETL venvs
    go to $KILN_COMPAT_VENVS (default: the user's cache), so aistore[etl] installs once."""
    base = tmp_path_factory.mktemp("cluster")
    venvs = os.environ.get("KILN_COMPAT_VENVS",
                           str(Path.home() / ".cache" / "kiln" / "compat-venvs"))
    sup = kh.Supervisor(base / "data", base, targets=3, extra=["--venv-dir", venvs])
    try:
        sup.wait_ready()
        yield sup
    finally:
        sup.close()
