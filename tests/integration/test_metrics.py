"""GET /metrics on the proxy and the targets of a real cluster: the text parses with the
Prometheus reference parser (prometheus_client), and after a known workload of PUTs, GETs, a
failed GET, a DELETE and inline GETs through an ETL each counter moved by exactly what the
workload did (summed over the nodes, since HRW spreads the objects)."""

import hashlib
import json
import os
import re
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import kilnharness as kh
import offlinejobs as oj
from etlharness import MD5_CODE, code_msg, put_object

DASHBOARD = Path(__file__).resolve().parents[2] / "packaging" / "grafana" / "kiln.json"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape_text(url: str) -> str:
    r = requests.get(url + "/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == CONTENT_TYPE
    return r.text


def families(url: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(scrape_text(url))}


def total(urls, name: str, **labels) -> float:
    """The sum over the nodes of the samples called name whose labels include the given ones.
    (The parser reads a counter in the OpenMetrics way: a sample not ending in _total gets
    that suffix, so AIS's ais_target_get_count is read as ais_target_get_count_total.)"""
    s = 0.0
    for url in urls:
        for family in text_string_to_metric_families(scrape_text(url)):
            for sample in family.samples:
                if sample.name in (name, name + "_total") and labels.items() <= sample.labels.items():
                    s += sample.value
    return s


def target_urls(cluster) -> list[str]:
    return [t.url for t in cluster.targets]


def test_every_node_exports_parseable_text_with_help_and_type(etl_cluster):
    for url in [etl_cluster.url, *target_urls(etl_cluster)]:
        text = scrape_text(url)
        fams = {f.name: f for f in text_string_to_metric_families(text)}
        assert fams, url
        for name, family in fams.items():
            assert family.documentation, f"{url}: {name} has no HELP"
            assert family.type in ("counter", "gauge", "histogram"), (name, family.type)
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                assert line.split()[2] in text, line
        # Every sample carries the node's id, as AIS labels its metrics.
        ids = {s.labels.get("node_id") for f in fams.values() for s in f.samples}
        assert len(ids) == 1 and None not in ids, (url, ids)
        assert fams["process_resident_memory_bytes"].samples[0].value > 1e6
        assert fams["process_open_fds"].samples[0].value >= 3


def test_histograms_end_with_inf_bucket_equal_to_count(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "metrics-hist")
    put_object(etl_cluster.url, bucket, "o", b"x" * 100)
    assert requests.get(etl_cluster.url + kh.obj_path(bucket, "o"), timeout=30).ok
    for url in target_urls(etl_cluster):
        fam = families(url)["kiln_target_op_duration_seconds"]
        for op in ("get", "put"):
            buckets = [s for s in fam.samples
                       if s.name.endswith("_bucket") and s.labels["op"] == op]
            count = [s.value for s in fam.samples
                     if s.name.endswith("_count") and s.labels["op"] == op]
            assert buckets[-1].labels["le"] == "+Inf"
            assert [b.value for b in buckets] == sorted(b.value for b in buckets)
            assert buckets[-1].value == count[0]


def test_object_counters_move_by_the_workload(etl_cluster):
    url = etl_cluster.url
    targets = target_urls(etl_cluster)
    bucket = kh.create_bucket(url, "metrics-objs")
    sizes = [0, 1, 1000, 16 * 1024, 200 * 1024]
    names = [f"obj-{i}" for i in range(len(sizes))]

    names_t = ["put", "get", "del", "err_get", "lst"]
    before = {n: total(targets, f"ais_target_{n}_count") for n in names_t}
    before_bytes = {n: total(targets, f"ais_target_{n}_bytes") for n in ("get", "put")}
    before_proxy = {n: total([url], f"ais_proxy_{n}_count")
                    for n in ("get", "put", "del", "lst")}

    for name, size in zip(names, sizes):
        put_object(url, bucket, name, os.urandom(size))
    for _ in range(2):
        for name, size in zip(names, sizes):
            r = requests.get(url + kh.obj_path(bucket, name), timeout=30)
            assert r.status_code == 200 and len(r.content) == size
    assert requests.get(url + kh.obj_path(bucket, "missing"), timeout=30).status_code == 404
    assert requests.delete(url + kh.obj_path(bucket, names[0]), timeout=30).status_code == 200
    listed = requests.get(f"{url}/v1/buckets/{bucket}", json={"action": "list", "value": {}},
                          timeout=30)
    assert listed.status_code == 200 and len(listed.json()["entries"]) == len(sizes) - 1

    # The proxy asks each of the three targets for its part of the listing.
    want = {"put": len(sizes), "get": 2 * len(sizes), "del": 1, "err_get": 1, "lst": 3}
    got = {n: total(targets, f"ais_target_{n}_count") - before[n] for n in names_t}
    assert got == want
    got_bytes = {n: total(targets, f"ais_target_{n}_bytes") - before_bytes[n]
                 for n in ("get", "put")}
    assert got_bytes == {"put": sum(sizes), "get": 2 * sum(sizes)}
    # The proxy redirects every one of them (the missing object's GET too).
    got_proxy = {n: total([url], f"ais_proxy_{n}_count") - before_proxy[n]
                 for n in ("get", "put", "del", "lst")}
    assert got_proxy == {"put": len(sizes), "get": 2 * len(sizes) + 1, "del": 1, "lst": 1}


def test_inline_etl_counters_move_by_the_workload(etl_cluster, etls):
    url = etl_cluster.url
    targets = target_urls(etl_cluster)
    bucket = kh.create_bucket(url, "metrics-etl")
    data = os.urandom(3000)
    put_object(url, bucket, "src", data)
    etls.init_ok(code_msg("metrics-x", MD5_CODE, "hpush://"))
    labels = {"etl": "metrics-x", "comm": "hpush"}
    inline_before = total(targets, "ais_target_etl_inline_count")

    for _ in range(10):
        r = etls.inline(bucket, "src", "metrics-x")
        assert r.status_code == 200 and r.content == hashlib.md5(data).hexdigest().encode()

    def figures():
        return (total(targets, "kiln_etl_objects_total", **labels),
                total(targets, "kiln_etl_bytes_in_total", **labels),
                total(targets, "kiln_etl_bytes_out_total", **labels),
                total(targets, "kiln_etl_transform_duration_seconds_count", **labels),
                total(targets, "kiln_etl_errors_total", **labels))

    # Objects are counted once their result has been streamed to its end.
    kh.wait_until(lambda: figures() == (10, 10 * len(data), 10 * 32, 10, 0), 10,
                  "ETL counters after 10 inline GETs", on_fail=lambda: str(figures()))
    assert total(targets, "ais_target_etl_inline_count") - inline_before == 10
    # One instance per target, each with its resident memory.
    mem = [s.value for u in targets for f in text_string_to_metric_families(scrape_text(u))
           for s in f.samples
           if s.name == "kiln_etl_instance_memory_bytes" and s.labels["etl"] == "metrics-x"]
    assert len(mem) == 3 and all(m > 1e6 for m in mem), mem


def test_offline_job_counters_move_by_the_workload(etl_cluster, etls):
    url = etl_cluster.url
    targets = target_urls(etl_cluster)
    src = kh.create_bucket(url, "metrics-src")
    objs = {f"o-{i}": os.urandom(100 + i) for i in range(12)}
    oj.put_all(url, src, objs)
    etls.init_ok(code_msg("metrics-job", MD5_CODE, "hpush://"))
    names = ["kiln_job_objects_total", "kiln_job_errors_total", "kiln_job_started_total"]
    before = {n: total(targets, n, kind="etl-bck") for n in names}
    finished_before = total(targets, "kiln_job_finished_total", kind="etl-bck", outcome="ok")
    offline_before = total(targets, "ais_target_etl_offline_count")

    jid = oj.start_ok(url, src, {"id": "metrics-job"}, dst="metrics-dst")
    oj.assert_finished_ok(oj.wait_job(etl_cluster, jid), jid, "etl-bck")

    got = {n: total(targets, n, kind="etl-bck") - before[n] for n in names}
    # Each of the three targets runs its part of the job.
    assert got == {"kiln_job_objects_total": len(objs), "kiln_job_errors_total": 0,
                   "kiln_job_started_total": 3}
    assert total(targets, "kiln_job_finished_total", kind="etl-bck", outcome="ok") \
        - finished_before == 3
    assert total(targets, "kiln_job_running", kind="etl-bck") == 0
    assert total(targets, "ais_target_etl_offline_count") - offline_before == len(objs)


def test_metrics_off_serves_no_metrics(tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_METRICS", "off")
    proxy = kh.Proxy(tmp_path / "proxy", tmp_path, kh.free_port())
    try:
        proxy.wait_ready()
        assert requests.get(proxy.url + "/metrics", timeout=30).status_code == 404
        assert requests.get(proxy.url + "/v1/health", timeout=30).status_code == 200
    finally:
        proxy.stop()


def dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dash["panels"] for t in p["targets"]]


def test_every_metric_the_dashboard_queries_is_exported(etl_cluster):
    """Each name in an expr of packaging/grafana/kiln.json is a family some node declares in a
    # TYPE line (a histogram's _bucket, _sum and _count included), on a fresh node too: the
    ETL and job families are declared before their first series."""
    exported = set()
    for url in [etl_cluster.url, *target_urls(etl_cluster)]:
        for family in text_string_to_metric_families(scrape_text(url)):
            exported.add(family.name)
            if family.type == "histogram":
                exported |= {family.name + s for s in ("_bucket", "_sum", "_count")}
            if family.type == "counter":
                exported.add(family.name + "_total")  # the parser's name for a counter
        for line in scrape_text(url).splitlines():
            if line.startswith("# TYPE "):
                exported.add(line.split()[2])
    exprs = dashboard_exprs()
    assert len(exprs) >= 20
    used = set()
    for expr in exprs:
        names = re.findall(r"\b((?:ais|kiln|process)_[a-z0-9_]+)\b", expr)
        assert names, f"no Kiln metric in {expr!r}"
        used |= set(names)
    missing = sorted(used - exported)
    assert not missing, f"the dashboard queries metrics no node exports: {missing}"
    # The panels the issue asks for are there.
    titles = " | ".join(p["title"] for p in json.loads(DASHBOARD.read_text())["panels"])
    for word in ("Cluster throughput", "per target", "ETL throughput", "ETL error rate",
                 "latency percentiles"):
        assert word in titles, titles


def test_rebalance_gauges_match_what_moved(launcher):
    import rebalanceharness as rh
    cluster = launcher.cluster(2)
    objects = rh.setup_bucket(cluster, "rebm", count=300, size=4096)
    cluster.start_target(cluster.base / "target-3", name="target-3")
    states = rh.wait_rebalanced(cluster)
    moved = [n for n, ts in rh.files_on_disk(cluster, "rebm").items() if ts == ["target-3"]]
    assert moved and len(moved) < len(objects)
    urls = target_urls(cluster)
    version = int(cluster.smap()["version"])
    assert total(urls, "kiln_rebalance_running") == 0
    for url in urls:
        assert total([url], "kiln_rebalance_smap_version") == version
    assert total(urls, "kiln_rebalance_received_objects") == len(moved)
    assert total(urls, "kiln_rebalance_sent_objects") == len(moved)
    assert total(urls, "kiln_rebalance_received_bytes") == 4096 * len(moved)
    assert total(urls, "kiln_rebalance_errors") == 0
    assert len(states) == 3
