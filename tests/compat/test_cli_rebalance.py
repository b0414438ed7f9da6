"""`ais cluster add-remove-nodes start-maintenance|stop-maintenance`, `ais show rebalance` and
`ais job show rebalance` with the real CLI: a target goes into maintenance, its objects move to
the others (the CLI's per-target TX/RX counts add up to what left it), every object stays
readable, and the target comes back."""

import re

import pytest
import requests

import kilnharness as kh


def smap(url: str) -> dict:
    return requests.get(f"{url}/v1/daemon", params={"what": "smap"}, timeout=10).json()


def rebalance_rows(text: str) -> dict[str, list[str]]:
    """node id -> its row's cells (REB ID, NODE, TX OBJECTS, TX BYTES, RX OBJECTS, ...)."""
    rows = {}
    for line in text.splitlines():
        cells = line.split()
        if cells and re.fullmatch(r"g\d+", cells[0]):
            rows[cells[1]] = cells
    return rows


@pytest.mark.cli("ais cluster add-remove-nodes start-maintenance",
                 "ais cluster add-remove-nodes stop-maintenance", "ais show rebalance",
                 "ais job show rebalance")
def test_maintenance_round_trip_through_the_cli(kiln, ais, tmp_path):
    ais.raw("bucket", "create", "ais://cli-reb")
    payloads = {f"o{i:03d}": f"object {i}\n".encode() for i in range(60)}
    for name, data in payloads.items():
        (tmp_path / name).write_bytes(data)
        ais.raw("object", "put", str(tmp_path / name), f"ais://cli-reb/{name}")
    tid = sorted(smap(kiln.url)["tmap"])[0]
    r = ais.run("cluster", "add-remove-nodes", "start-maintenance", f"t[{tid}]", "-y")
    assert r.rc == 0 and "is now in maintenance mode" in r.out, r
    xid = re.search(r'Started rebalance "(g\d+)"', r.out).group(1)
    assert xid == f"g{smap(kiln.url)['version']}"

    def done():
        s = ais.run("show", "rebalance")
        return s.rc == 0 and f"Rebalance {xid} completed" in s.out or \
            re.search(rf"{xid}: \d+ objects migrated", s.out) is not None

    kh.wait_until(done, 30, f"rebalance {xid} shown as done")
    rows = rebalance_rows(ais.run("show", "rebalance").out)
    assert set(rows) == set(smap(kiln.url)["tmap"]), rows
    sent = int(rows[tid][2])
    assert sent > 0 and sum(int(r[4]) for n, r in rows.items() if n != tid) == sent, rows
    for name, data in payloads.items():
        got = requests.get(f"{kiln.url}/v1/objects/cli-reb/{name}", timeout=10)
        assert got.status_code == 200 and got.content == data, name
    job = ais.run("job", "show", "rebalance")
    assert job.rc == 0 and xid in job.out, job

    r = ais.run("cluster", "add-remove-nodes", "stop-maintenance", f"t[{tid}]", "-y")
    assert r.rc == 0 and "is now active" in r.out, r
    assert smap(kiln.url)["tmap"][tid]["flags"] & 4 == 0
