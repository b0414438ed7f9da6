"""`ais cluster show`, `ais show cluster ...` and `ais storage ...` with the real CLI (1.32).

What a node measures live (memory, CPU, uptime, free space) changes between two reads, so those
cells are checked by their form and against the node's own report; everything else (node ids,
column set, capacity percentages, status, the summary's map, software, deployment, backend)
must be exactly what this test computes from the cluster map and each node's node_status, and
the whole output must be laid out exactly as Go's tabwriter lays out those cells.
"""

import json
import re

import pytest
import requests

from aiscli import expect, tabwrite
from kilnharness import wait_until

SIZE = r"\d+(\.\d+)?(B|KiB|MiB|GiB|TiB)"
PCT2 = r"\d+\.\d\d%"
UPTIME = r"(\d+(\.\d+)?(ms|s)|\d+m\d+s|\d+h\d+m)"
VOLATILE = {"MEM USED(%)": PCT2, "MEM AVAIL": SIZE, "CAP AVAIL": SIZE, "SYS CPU(%)": r"\d+%",
            "UPTIME": UPTIME}


def smap(url: str) -> dict:
    return requests.get(f"{url}/v1/daemon", params={"what": "smap"}, timeout=10).json()


def status(url: str, nid: str) -> dict:
    r = requests.get(f"{url}/v1/reverse/daemon", params={"what": "node_status"},
                     headers={"Ais-Node-Id": nid}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def node_table(text: str, header: list[str], fixed: list[dict]) -> None:
    """text is a table with these columns and one row per entry of fixed (column -> exact
    value); other columns hold live values of the form VOLATILE gives. Checks both, then that
    the CLI laid the cells out as tabwriter does."""
    lines = text.rstrip("\n").split("\n")
    assert [c.strip() for c in lines[0].split("\t") if c.strip()] == header, text
    assert len(lines) == len(fixed) + 1, text
    rebuilt = "\t ".join(header) + "\n"
    for line, want in zip(lines[1:], fixed):
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        assert len(cells) == len(header), line
        for col, cell in zip(header, cells):
            if col in want:
                assert cell == want[col], (col, line)
            else:
                assert re.fullmatch(VOLATILE[col], cell), (col, cell)
        rebuilt += "\t ".join(cells) + "\n"
    assert tabwrite(rebuilt) == text, f"layout differs:\n{text!r}\n{tabwrite(rebuilt)!r}"


def rebalance_states(statuses) -> set[str]:
    """What the CLI makes of the nodes' rebalance_snap (AIS core.Snap): running(ID) or
    finished(ID), aborted ones with their error; a node without one adds nothing."""
    out = set()
    for st in statuses:
        snap = st.get("rebalance_snap")
        if not snap:
            continue
        if snap["aborted"]:
            out.add(f"aborted({snap['id']}): {json.dumps(snap['abort-err'])}")
        elif snap["end-time"].startswith("0001-"):
            out.add(f"running({snap['id']})")
        else:
            out.add(f"finished({snap['id']})")
    return out


def all_idle(url: str, tids: list[str]) -> bool:
    return all(status(url, t).get("rebalance_snap", {}).get("is_idle", True) for t in tids)


@pytest.fixture(scope="module")
def cluster(kiln):
    # Each target's join started a rebalance (finished at once: no objects yet); read the
    # nodes once they are all idle, so what they report holds while the CLI reads it.
    wait_until(lambda: all_idle(kiln.url, sorted(smap(kiln.url)["tmap"])), 30,
               "rebalances after the joins end")
    m = smap(kiln.url)
    pid = m["proxy_si"]["daemon_id"]
    tids = sorted(m["tmap"])
    return {"smap": m, "pid": pid, "tids": tids,
            "status": {n: status(kiln.url, n) for n in [pid, *tids]}}


PROXY_COLS = ["PROXY", "MEM USED(%)", "MEM AVAIL", "SYS CPU(%)", "UPTIME", "STATUS"]
TARGET_COLS = ["TARGET", "MEM USED(%)", "MEM AVAIL", "CAP USED(%)", "CAP AVAIL", "SYS CPU(%)",
               "UPTIME", "STATUS"]


def proxy_rows(c):
    return [{"PROXY": f"p[{c['pid']}][P]", "STATUS": "online"}]


def target_rebalance(c, t) -> str:
    (state,) = rebalance_states([c["status"][t]]) or {"-"}
    return state


def target_cols(c) -> list[str]:
    """TARGET_COLS, plus REBALANCE before UPTIME once any target reports a rebalance."""
    if all(target_rebalance(c, t) == "-" for t in c["tids"]):
        return TARGET_COLS
    i = TARGET_COLS.index("UPTIME")
    return TARGET_COLS[:i] + ["REBALANCE"] + TARGET_COLS[i:]


def target_rows(c):
    return [{"TARGET": f"t[{t}]", "STATUS": "online", "REBALANCE": target_rebalance(c, t),
             "CAP USED(%)": f"{c['status'][t]['capacity']['pct_avg']}%"} for t in c["tids"]]


@pytest.mark.cli("ais cluster show", "ais show cluster")
@pytest.mark.parametrize("words", [["cluster", "show"], ["show", "cluster"]])
def test_cluster_show(kiln, ais, cluster, words):
    r = ais.run(*words)
    # No "empty version" (nor any other) warning: every node reports AIS's 5.0 and its build.
    assert r.rc == 0 and r.err == "", r
    proxies, targets, summary = r.out.split("\n\n")
    node_table(proxies + "\n", PROXY_COLS, proxy_rows(cluster))
    node_table(targets + "\n", target_cols(cluster), target_rows(cluster))
    st = cluster["status"][cluster["tids"][0]]
    (first,) = st["capacity"]["mountpaths"].values()
    disks = len(first["disks"])  # "dev": all targets share this machine's disks
    targets_summ = "3" + {0: "", 1: " (one disk)"}.get(disks, f" (num disks: {disks})")
    m = cluster["smap"]
    capacity = summary.split("\n")[4].split("\t")[-1]  # live: used and free space
    states = rebalance_states(cluster["status"].values())
    (rebalance,) = [ln.split("\t")[-1] for ln in summary.split("\n") if "Rebalance:" in ln]
    # Several states print as "[a, b]" in Go map order: compare them as a set.
    shown = set(rebalance.strip("[]").split(", ")) if rebalance.startswith("[") else {rebalance}
    assert shown == (states or {"-"}), (rebalance, states)
    assert re.fullmatch(rf"used {SIZE} \(\d+%\), available {SIZE}", capacity), summary
    want = ("Cluster:\n"
            f"   CLI Endpoint:\t{kiln.url}\n   Proxies:\t1\n   Targets:\t{targets_summ}\n"
            f"   Capacity:\t{capacity}\n"
            f"   Cluster Map:\tversion {m['version']}, UUID {m['uuid']}, primary "
            f"p[{cluster['pid']}]\n"
            f"   Software:\t{st['ais_version']} (build: {st['build_time']})\n"
            "   Backend:\tNone\n   Deployment:\tdev\n   Status:\t4 online\n"
            f"   Rebalance:\t{rebalance}\n   Authentication:\tdisabled\n"
            f"   Version:\t{st['ais_version']}\n   Build:\t{st['build_time']}\n")
    assert tabwrite(want) == summary, summary


@pytest.mark.cli("ais show cluster proxy", "ais show cluster target", "ais show cluster NODE")
def test_show_cluster_by_type_and_node(kiln, ais, cluster):
    r = ais.run("show", "cluster", "proxy")
    assert r.rc == 0 and r.err == "", r
    node_table(r.out, PROXY_COLS, proxy_rows(cluster))
    r = ais.run("show", "cluster", "target")
    assert r.rc == 0 and r.err == "", r
    node_table(r.out, target_cols(cluster), target_rows(cluster))
    tid = cluster["tids"][1]
    r = ais.run("show", "cluster", tid)
    assert r.rc == 0 and r.err == "", r
    node_table(r.out, target_cols(cluster), [target_rows(cluster)[1]])


@pytest.mark.cli("ais show cluster smap")
def test_show_cluster_smap(kiln, ais, cluster):
    m = cluster["smap"]
    p = m["proxy_si"]
    text = tabwrite(f"NODE\t TYPE\t PUBLIC URL\np[{p['daemon_id']}][P]\t proxy\t "
                    f"{p['public_net']['direct_url']}\n")
    text += "\n" + tabwrite("NODE\t TYPE\t PUBLIC URL\n" + "".join(
        f"t[{t}]\t target\t {m['tmap'][t]['public_net']['direct_url']}\n" for t in cluster["tids"]))
    text += ("\nNon-Electable:\n \n"
             + tabwrite(f"Primary Proxy:\t{p['daemon_id']}\nSummary:\tproxies(1), targets(3), "
                        f"cluster map(v{m['version']}), cluster ID(\"{m['uuid']}\")\n"))
    expect(ais.run("show", "cluster", "smap"), text)


@pytest.mark.cli("ais storage mountpath")
def test_storage_mountpath(kiln, ais, cluster):
    text = ""
    for t in cluster["tids"]:
        cap = cluster["status"][t]["capacity"]
        (path,) = cap["mountpaths"]
        fs = cap["mountpaths"][path]["fs"]
        text += tabwrite(f"{t}\n\tUsed: min={cap['pct_min']:2d}%, avg={cap['pct_avg']:2d}%, "
                         f"max={cap['pct_max']:2d}%\t \n\t\t{path} {fs['Fs']}({fs['FsType']})\n")
    expect(ais.run("storage", "mountpath"), text)


@pytest.mark.cli("ais storage disk", "ais show cluster cpu", "ais show cluster memory",
                 "ais show cluster config")
def test_storage_disk_cpu_memory_config(kiln, ais, cluster):
    r = ais.run("storage", "disk")
    assert r.rc == 0 and r.err == "", r
    lines = r.out.splitlines()
    assert lines[0].split() == ["TARGET", "DISK", "READ", "READ(avg", "size)", "WRITE",
                                "WRITE(avg", "size)", "UTIL(%)", "CAP", "USED(%)", "CAP", "AVAIL"]
    disks = {t: cluster["status"][t]["capacity"]["mountpaths"] for t in cluster["tids"]}
    for t in cluster["tids"]:
        (cdf,) = disks[t].values()
        for d in cdf["disks"]:
            assert any(line.startswith(f"t[{t}]\t") and f"\t {d}\t" in line for line in lines), d
    for what in ("cpu", "memory"):
        r = ais.run("show", "cluster", what)
        assert r.rc == 0 and r.err == "", r
        rows = r.out.splitlines()[1:]
        assert [row.split("\t")[0] for row in rows] == [f"p[{cluster['pid']}][P]"] + [
            f"t[{t}]" for t in cluster["tids"]], r.out
    r = ais.run("show", "cluster", "config")
    assert r.rc == 0 and r.err == "", r
    props = dict(re.split(r"\t+ ", line, maxsplit=1) for line in r.out.splitlines()[1:]
                 if "\t" in line)
    assert props["uuid"] == cluster["smap"]["uuid"]
    assert props["keepalivetracker.proxy.interval"] == "1s"
    assert props["rebalance.enabled"] == "true" and props["mirror.enabled"] == "false"


def perf_counters(ais) -> dict[str, dict[str, int]]:
    """`ais show performance counters --units raw` as {target id: {column: value}} ("-", a
    counter the node left out as zero, is 0; sizes print as "<n>B")."""
    r = ais.run("show", "performance", "counters", "--units", "raw")
    assert r.rc == 0, r
    lines = [ln for ln in r.out.splitlines() if ln.strip()]
    header = lines[0].split()
    assert header[0] == "TARGET", r.out
    table = {}
    for line in lines[1:]:
        cells = line.replace("<<<", "").split()
        assert len(cells) == len(header), line
        tid = re.fullmatch(r"t\[(\w+)\]", cells[0]).group(1)
        table[tid] = {col: 0 if v == "-" else int(v.rstrip("B"))
                      for col, v in zip(header[1:], cells[1:])}
    return table


def column_sum(table: dict, col: str) -> int:
    return sum(row.get(col, 0) for row in table.values())


@pytest.mark.cli("ais show performance counters")
def test_show_performance_counters(kiln, ais, cluster):
    bucket = "perf-counters"
    assert requests.post(f"{kiln.url}/v1/buckets/{bucket}", json={"action": "create-bck"},
                         timeout=10).status_code == 200
    bodies = {f"o{i}": bytes([65 + i]) * (100 + i) for i in range(7)}
    for name, body in bodies.items():
        assert requests.put(f"{kiln.url}/v1/objects/{bucket}/{name}", data=body,
                            timeout=10).status_code == 200
    before = perf_counters(ais)
    for name in bodies:
        assert requests.get(f"{kiln.url}/v1/objects/{bucket}/{name}", timeout=10).content \
            == bodies[name]
    after = perf_counters(ais)
    assert sorted(after) == cluster["tids"]
    # The CLI shows what the test did: 7 GETs of known sizes, spread over the owners.
    assert column_sum(after, "GET(n)") - column_sum(before, "GET(n)") == len(bodies)
    assert column_sum(after, "GET(size)") - column_sum(before, "GET(size)") \
        == sum(map(len, bodies.values()))
    assert column_sum(after, "PUT(n)") >= len(bodies)
    # And each target's cell is that target's own Prometheus counter.
    for tid in cluster["tids"]:
        url = cluster["smap"]["tmap"][tid]["public_net"]["direct_url"]
        text = requests.get(f"{url}/metrics", timeout=10).text
        got = re.search(r"^ais_target_get_count(?:\{[^}]*\})? (\d+)", text, re.M)
        assert int(got.group(1)) == after[tid].get("GET(n)", 0), tid
