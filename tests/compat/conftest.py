"""Fixtures for the compatibility suite: a `kilnd cluster --targets 3`, an SDK client, the real
`ais` CLI, and the record of every client call tried.

The process handling is the integration suite's (tests/integration/kilnharness.py), including
the session check that no kilnd outlives the tests. A test names the SDK methods it drives with
`@pytest.mark.covers("Etl.init", ...)`, a CLI test the commands it runs with
`@pytest.mark.cli("ais etl show", ...)`; when $KILN_COMPAT_RESULTS names a folder, the session
writes `sdk-<version>-<suite>.json` / `cli-<suite>.json` there (what, test, outcome), which
gen_compat_doc.py turns into docs/compat.md.
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
_cli_client: list[str] = []  # how scripts/install-ais found the ais binary


def pytest_configure(config):
    config.addinivalue_line("markers", "covers(*methods): SDK methods this test drives")
    config.addinivalue_line("markers", "cli(*commands): ais CLI commands this test runs")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    covers, cli = item.get_closest_marker("covers"), item.get_closest_marker("cli")
    # A test may also list the commands it ran as it runs them (user property "cli").
    ran = [v for k, v in item.user_properties if k == "cli"]
    if covers is None and cli is None and not ran:
        return
    entry = _outcomes.setdefault(item.nodeid, {
        "test": item.nodeid, "covers": list(covers.args) if covers else [],
        "cli": list(cli.args) if cli else [], "outcome": "passed"})
    entry["cli"] += [c for c in ran if c not in entry["cli"]]
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

    suite = Path(session.config.args[0])
    seconds = round(time.monotonic() - _started, 1)
    Path(folder).mkdir(parents=True, exist_ok=True)
    sdk_tests = [t for t in _outcomes.values() if t["covers"]]
    cli_tests = [t for t in _outcomes.values() if t["cli"]]
    if sdk_tests:
        sdk = version("aistore")
        (Path(folder) / f"sdk-{sdk}-{suite.stem}.json").write_text(json.dumps(
            {"client": f"aistore {sdk}", "python": sys.version.split()[0], "suite": suite.name,
             "seconds": seconds, "tests": sdk_tests}, indent=1))
    if cli_tests:
        (Path(folder) / f"cli-{suite.stem}.json").write_text(json.dumps(
            {"client": _cli_client[0] if _cli_client else "ais CLI", "suite": suite.name,
             "seconds": seconds, "tests": cli_tests}, indent=1))


@pytest.fixture(scope="module")
def kiln(tmp_path_factory):
    """A running `kilnd cluster` with 3 targets; yields its supervisor (url in .url). ETL venvs
    go to $KILN_COMPAT_VENVS (default: the user's cache), so aistore[etl] installs once."""
    base = tmp_path_factory.mktemp("cluster")
    venvs = os.environ.get("KILN_COMPAT_VENVS",
                           str(Path.home() / ".cache" / "kiln" / "compat-venvs"))
    with kh.running_supervisor(base, extra=["--venv-dir", venvs]) as sup:
        yield sup


@pytest.fixture(scope="session")
def ais_binary():
    """The real `ais` CLI: on PATH, or built from ../shared/vendor (scripts/install-ais)."""
    import aiscli

    path, said = aiscli.install()
    _cli_client[:] = [said]
    print(f"\nusing the {said}")
    return path


@pytest.fixture(scope="module")
def ais(kiln, ais_binary, tmp_path_factory):
    """The real CLI against the module's cluster, with a CLI config of its own."""
    import aiscli

    return aiscli.Cli(ais_binary, kiln.url, tmp_path_factory.mktemp("ais-home"))
