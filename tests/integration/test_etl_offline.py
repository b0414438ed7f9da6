"""Offline transforms on a real cluster (a proxy and three targets, ETL instances as local child
processes): `etl-bck` (bucket to bucket, with prefix, ext remap, prepend, num-workers, dry run,
the seed-era `etlbck` form), `etl-listrange` (a list of names, a template), the job API on the
proxy (`GET /v1/cluster?what=status|qryxstats|status_all|running_all`, `PUT /v1/cluster` stop),
aborts that land mid-job (`PUT /v1/cluster` stop, the ETL stopped), transforms that fail one
object in ten with and without continue-on-error, answers cut short, `request_timeout`, requests
refused with 400, and the official SDK's `bucket.transform()`, `objects(...).transform()`,
`job.wait()` / `wait_for_idle()` and `etl.view(job_id)`.

Every job runs over 1000 objects spread over the three targets, so each target transforms some
objects for itself and sends others to their owners. A destination is checked object by object
(byte-exact for echo, MD5 hex for md5) and as a whole (nothing else in it); the source is
checked unchanged at the end. The ETL instances are etl_servers/offline_server.py (threaded,
keep-alive; md5 mode, a 500 on names whose number ends in 7, half an answer and a hang-up on
names whose number ends in 3, a per-object delay in the middle of each answer) and the seed's
POST-only md5_server.py. The data set, the job API helpers and the offline message are in
offlinejobs.py, the `etl_cluster` / `api` / `sdk` fixtures in conftest.py.
"""

import time

import pytest
import requests

import kilnharness as kh
from etlharness import (
    MD5_SERVER,
    check_nodes_alive,
    message,
    pod,
    spec_msg,
    wait_instances,
)
from offlinejobs import (
    ABORT_DEADLINE,
    COUNT,
    CUT_DIGIT,
    FAIL_DIGIT,
    JOB_DEADLINE,
    JOB_ID_RE,
    MIB,
    all_snaps,
    assert_destination,
    assert_finished_ok,
    assert_no_temp_files,
    bucket_exists,
    cluster_get,
    dest_name,
    done_count,
    fails,
    init_offline,
    last_digit,
    list_names,
    make_dataset,
    md5hex,
    put_all,
    sizes,
    snaps,
    start,
    start_ok,
    status,
    stop_job,
    totals,
    wait_job,
)


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(etl_cluster):
    objs = make_dataset()
    kh.create_bucket(etl_cluster.url, "src")
    put_all(etl_cluster.url, "src", objs)
    return objs


@pytest.fixture(scope="module")
def echo_etl(etl_cluster, api):
    return init_offline(etl_cluster, api, "echo-off")


@pytest.fixture(scope="module")
def md5_etl(etl_cluster, api):
    return init_offline(etl_cluster, api, "md5-off", "--transform", "md5")


@pytest.fixture(scope="module")
def failing_etl(etl_cluster, api):
    return init_offline(etl_cluster, api, "fail-off", "--fail-digit", FAIL_DIGIT)


@pytest.fixture
def own_etl(etl_cluster, api):
    """ETLs a test starts (and may stop); deleted afterwards."""
    names = []

    def init(name, *args):
        names.append(init_offline(etl_cluster, api, name, *args))
        return name

    yield init
    for name in names:
        r = api.delete(name)
        assert r.status_code == 200, f"DELETE {name}: {r.status_code} {r.text}"


# --- etl-bck --------------------------------------------------------------------------------------


def test_etl_bck_echo_with_prefix_ext_prepend_and_workers(etl_cluster, dataset, echo_etl):
    url = etl_cluster.url
    assert not bucket_exists(url, "echo-dst")
    ext = {"txt": "bin"}
    jid = start_ok(url, "src", {"id": echo_etl, "prefix": "a/", "prepend": "x/", "ext": ext,
                                "num-workers": 3}, dst="echo-dst")
    st = wait_job(etl_cluster, jid)
    assert_finished_ok(st, jid, "etl-bck")
    assert_no_temp_files(etl_cluster)

    selected = [n for n in dataset if n.startswith("a/")]
    assert len(selected) == 800
    assert bucket_exists(url, "echo-dst"), "a missing destination is created"
    assert_destination(url, "echo-dst", {dest_name(n, "x/", ext): dataset[n] for n in selected})

    by_target = snaps(url, jid)
    assert set(by_target) == set(etl_cluster.smap()["tmap"]), by_target.keys()
    for tid, lst in by_target.items():
        assert len(lst) == 1, (tid, lst)
        s = lst[0]
        assert s["id"] == jid and s["kind"] == "etl-bck", s
        assert s["src-bck"]["name"] == "src" and s["dst-bck"]["name"] == "echo-dst", s
        assert s["src-bck"]["provider"] == "ais" and s["bck"]["name"] == "src", s
        assert s["aborted"] is False and s["is_idle"] is True, s
        assert s["err"] == "" and s["abort-err"] == "" and s["obj_errors"] == [], s
        assert s["start-time"] <= s["end-time"] and not s["end-time"].startswith("0001-"), s
        assert (int(s["glob.id"]) >> 10) & 0x3FF == 3, f"num-workers 3 in glob.id: {s}"
        # Each target transformed objects it owns the destination of and sent others.
        assert int(s["stats"]["loc-objs"]) > 0 and int(s["stats"]["out-objs"]) > 0, s
        assert int(s["stats"]["in-objs"]) > 0, s
    t = totals(by_target)
    assert t["loc-objs"] + t["out-objs"] == 800, t
    assert t["in-objs"] == t["out-objs"] and t["in-bytes"] == t["out-bytes"], t
    assert t["loc-bytes"] + t["out-bytes"] == sizes(dataset, selected), t


def test_etl_bck_md5_of_a_whole_bucket_into_an_existing_bucket(etl_cluster, dataset, md5_etl):
    """The destination already holds stale objects under some of the names: they are replaced."""
    url = etl_cluster.url
    kh.create_bucket(url, "md5-dst")
    put_all(url, "md5-dst", {n: b"stale " + n.encode() for n in sorted(dataset)[::20]})
    jid = start_ok(url, "src", {"id": md5_etl}, dst="md5-dst")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
    assert_no_temp_files(etl_cluster)
    assert_destination(url, "md5-dst", {n: md5hex(d) for n, d in dataset.items()})
    t = totals(snaps(url, jid))
    assert t["loc-objs"] + t["out-objs"] == COUNT, t
    assert t["loc-bytes"] + t["out-bytes"] == 32 * COUNT, t


def test_two_jobs_at_once_over_the_same_source(etl_cluster, dataset, echo_etl, md5_etl):
    url = etl_cluster.url
    echo_job = start_ok(url, "src", {"id": echo_etl, "prefix": "a/"}, dst="both-echo")
    md5_job = start_ok(url, "src", {"id": md5_etl, "prefix": "a/", "ext": {"jpg": "md5"}},
                       dst="both-md5")
    assert echo_job != md5_job
    assert_finished_ok(wait_job(etl_cluster, echo_job), echo_job, "etl-bck")
    assert_finished_ok(wait_job(etl_cluster, md5_job), md5_job, "etl-bck")
    assert_no_temp_files(etl_cluster)
    selected = [n for n in dataset if n.startswith("a/")]
    assert_destination(url, "both-echo", {n: dataset[n] for n in selected})
    assert_destination(url, "both-md5",
                       {dest_name(n, "", {"jpg": "md5"}): md5hex(dataset[n]) for n in selected})


def test_a_prefix_that_selects_nothing_finishes_with_an_empty_destination(etl_cluster, dataset,
                                                                            echo_etl):
    url = etl_cluster.url
    jid = start_ok(url, "src", {"id": echo_etl, "prefix": "nothing/here/"}, dst="empty-dst")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
    assert bucket_exists(url, "empty-dst") and list_names(url, "empty-dst") == []
    assert set(totals(snaps(url, jid)).values()) == {0}


def test_seed_etlbck_action_with_a_post_only_md5_server(etl_cluster, dataset, api):
    """Seed 001's form: action `etlbck`, destination in the action's name, one destination
    extension for every object, `suffix`; the ETL is the seed's md5 server (POST only)."""
    url = etl_cluster.url
    marker = etl_cluster.marker("seedmd5")
    command = ["python3", str(MD5_SERVER), "--listen", "127.0.0.1", "--port", "8000",
               "--marker", marker]
    api.init_ok(spec_msg("seed-md5", pod("seed-md5", command)))
    try:
        jid = start_ok(url, "src", {"id": "seed-md5", "prefix": "b/", "suffix": ".txt",
                                    "ext": "md5"},
                       action="etlbck", name="seed-dst")
        assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
        selected = [n for n in dataset if n.startswith("b/") and n.endswith(".txt")]
        assert 100 < len(selected) < 200
        assert_destination(url, "seed-dst",
                           {n[: -len("txt")] + "md5": md5hex(dataset[n]) for n in selected})
    finally:
        r = api.delete("seed-md5")
        assert r.status_code == 200, r.text
    wait_instances(marker, 0)


# --- etl-listrange --------------------------------------------------------------------------------


def test_etl_listrange_with_object_names(etl_cluster, dataset, echo_etl):
    url = etl_cluster.url
    names = sorted(dataset)
    picked = names[::25] + [n for n in names if "sub dir" in n][:3] \
        + [n for n in names if len(dataset[n]) > MIB][:3]
    picked = sorted(set(picked))
    assert len(picked) >= 40 and any(len(dataset[n]) == 0 for n in picked)
    ext = {"txt": "out", "jpg": "png"}
    value = {"id": echo_etl, "prepend": "n/", "ext": ext, "objnames": picked,
             "tobck": {"name": "lr-names", "provider": "ais", "namespace": None}, "coer": False}
    jid = start_ok(url, "src", value, action="etl-listrange")
    st = wait_job(etl_cluster, jid)
    assert_finished_ok(st, jid, "etl-listrange")
    assert st.get("is_idle") is True, st
    assert_no_temp_files(etl_cluster)
    assert_destination(url, "lr-names", {dest_name(n, "n/", ext): dataset[n] for n in picked})
    by_target = snaps(url, jid)
    assert {s["kind"] for s in all_snaps(by_target)} == {"etl-listrange"}
    assert all(s["is_idle"] for s in all_snaps(by_target)), by_target
    t = totals(by_target)
    assert t["loc-objs"] + t["out-objs"] == len(picked), t


def test_etl_listrange_with_a_template(etl_cluster, dataset, md5_etl):
    """A range names objects that do not exist (.jpg, no extension, the spaced names): skipped."""
    url = etl_cluster.url
    template = "a/o{0100..0199}.txt"
    expanded = [f"a/o{i:04d}.txt" for i in range(100, 200)]
    existing = [n for n in expanded if n in dataset]
    assert 60 < len(existing) < 100
    value = {"id": md5_etl, "template": template,
             "tobck": {"name": "lr-range", "provider": "ais"}, "num-workers": 2}
    jid = start_ok(url, "src", value, action="etl-listrange")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-listrange")
    assert_destination(url, "lr-range", {n: md5hex(dataset[n]) for n in existing})
    t = totals(snaps(url, jid))
    assert t["loc-objs"] + t["out-objs"] == len(existing), t


def test_etl_listrange_with_a_missing_name(etl_cluster, dataset, echo_etl):
    """Without continue-on-error a listed name that does not exist aborts the job, naming it;
    with it, the job transforms the others and lists the missing one (404)."""
    url = etl_cluster.url
    names = ["b/o0800.txt", "b/no-such-object.txt", "b/o0801.txt"]
    value = {"id": echo_etl, "objnames": names, "tobck": {"name": "lr-missing", "provider": "ais"}}
    jid = start_ok(url, "src", value, action="etl-listrange")
    st = wait_job(etl_cluster, jid)
    assert st["aborted"] is True and "ais://src/b/no-such-object.txt" in st["err"], st

    jid = start_ok(url, "src", {**value, "coer": True, "tobck": {"name": "lr-missing2"}},
                   action="etl-listrange")
    st = wait_job(etl_cluster, jid)
    assert st["aborted"] is False, st
    assert_destination(url, "lr-missing2", {n: dataset[n] for n in names if n in dataset})
    errors = [e for s in all_snaps(snaps(url, jid)) for e in s["obj_errors"]]
    assert [(e["obj_name"], e["ecode"]) for e in errors] == [
        ("ais://src/b/no-such-object.txt", 404)], errors


# --- dry run --------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_counts_the_objects(etl_cluster, dataset, echo_etl):
    url = etl_cluster.url
    selected = [n for n in dataset if n.startswith("b/")]
    jid = start_ok(url, "src", {"id": echo_etl, "prefix": "b/", "dry_run": True}, dst="dry-dst")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
    assert not bucket_exists(url, "dry-dst"), "a dry run must not create the destination"
    t = totals(snaps(url, jid))
    assert t["loc-objs"] + t["out-objs"] == len(selected), t
    assert t["loc-bytes"] + t["out-bytes"] == sizes(dataset, selected), t

    # Into an existing (empty) bucket: it stays empty.
    kh.create_bucket(url, "dry-existing")
    jid = start_ok(url, "src", {"id": echo_etl, "dry_run": True, "ext": {"txt": "bin"}},
                   dst="dry-existing")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
    assert list_names(url, "dry-existing") == []
    t = totals(snaps(url, jid))
    assert t["loc-objs"] + t["out-objs"] == COUNT, t

    # Onto itself is allowed as a dry run (AIS "inspect"); the source keeps its 1000 objects.
    jid = start_ok(url, "src", {"id": echo_etl, "dry_run": True, "coer": True}, dst="src")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-bck")
    assert totals(snaps(url, jid))["loc-objs"] == COUNT
    assert sorted(list_names(url, "src")) == sorted(dataset)

    # A list/range dry run does not create its destination either.
    jid = start_ok(url, "src", {"id": echo_etl, "template": "b/o{0800..0899}.txt",
                                "dry_run": True, "tobck": {"name": "dry-lr", "provider": "ais"}},
                   action="etl-listrange")
    assert_finished_ok(wait_job(etl_cluster, jid), jid, "etl-listrange")
    assert not bucket_exists(url, "dry-lr")
    existing = [f"b/o{i:04d}.txt" for i in range(800, 900) if f"b/o{i:04d}.txt" in dataset]
    t = totals(snaps(url, jid))
    assert t["loc-objs"] + t["out-objs"] == len(existing), t
    assert_no_temp_files(etl_cluster)


# --- aborts ---------------------------------------------------------------------------------------


def test_stop_mid_job_leaves_only_whole_objects(etl_cluster, dataset, own_etl):
    """A slow ETL (half of each answer, 0.2 s, the rest); PUT /v1/cluster stop once some objects
    are done: the job ends aborted, every destination object present is the whole transform,
    nothing is written after the job ended, no temporary file is left."""
    url = etl_cluster.url
    slow = own_etl("slow-echo", "--delay", "0.2")
    selected = [n for n in dataset if n.startswith("a/")]
    ext = {"txt": "bin"}
    jid = start_ok(url, "src", {"id": slow, "prefix": "a/", "ext": ext, "num-workers": 4},
                   dst="abort-dst")
    kh.wait_until(lambda: done_count(url, jid) >= 40, JOB_DEADLINE,
                  f"job {jid} transformed 40 objects", interval=0.1)

    st = status(url, jid)
    assert st["end_time"] == 0 and st["aborted"] is False, st
    r = cluster_get(url, "running_all", {"kind": "", "node": "", "show_active": True})
    assert r.status_code == 200 and f"etl-bck[{jid}]" in r.json(), r.text
    r = cluster_get(url, "status_all", {"kind": "etl-bck", "node": "", "show_active": False})
    assert r.status_code == 200, r.text
    assert [s for s in r.json() if s["uuid"] == jid and s["end_time"] == 0], r.text

    t0 = time.monotonic()
    r = stop_job(url, jid)
    assert r.status_code == 200, f"stop: {r.status_code} {r.text}"
    st = wait_job(etl_cluster, jid, ABORT_DEADLINE)
    assert st["aborted"] is True, st
    assert time.monotonic() - t0 < 10, "an abort must not wait for the remaining objects"
    assert_no_temp_files(etl_cluster)
    for s in all_snaps(snaps(url, jid)):
        assert s["aborted"] is True and s["is_idle"] is True, s
        assert not s["end-time"].startswith("0001-"), s

    present = list_names(url, "abort-dst")
    expected = {dest_name(n, "", ext): dataset[n] for n in selected}
    assert 40 <= len(present) < len(selected), f"{len(present)} objects written"
    assert set(present) <= set(expected), sorted(set(present) - set(expected))[:5]
    assert_destination(url, "abort-dst", {n: expected[n] for n in present})
    # Nothing lands after the job said it ended (the instances still send the halves they owed,
    # 0.2 s late each): the destination stays as it is for five times that delay.
    kh.holds_for(lambda: sorted(list_names(url, "abort-dst")) == sorted(present), 1.0,
                 f"destination of the aborted job {jid} unchanged", interval=0.2)
    assert_no_temp_files(etl_cluster)

    r = cluster_get(url, "running_all", {"kind": "", "node": "", "show_active": True})
    assert r.status_code == 200 and f"etl-bck[{jid}]" not in (r.json() or []), r.text


# --- failing transforms ---------------------------------------------------------------------------


def test_a_failing_object_aborts_the_job_without_continue_on_error(etl_cluster, dataset,
                                                                   failing_etl, sdk):
    url = etl_cluster.url
    jid = start_ok(url, "src", {"id": failing_etl}, dst="fail-dst")
    st = wait_job(etl_cluster, jid)
    assert st["aborted"] is True, st
    named = [n for n in dataset if f"ais://src/{n}" in st["err"]]
    assert len(named) == 1 and fails(named[0]), f"err must name one failing object: {st}"
    assert_no_temp_files(etl_cluster)
    by_target = snaps(url, jid)
    assert all(s["aborted"] for s in all_snaps(by_target)), by_target
    result = sdk.job(jid).wait(timeout=int(JOB_DEADLINE), verbose=False)
    assert not result.success and f"ais://src/{named[0]}" in result.error, result
    # The job stopped early everywhere, and what it wrote is whole.
    present = list_names(url, "fail-dst")
    assert len(present) < COUNT - COUNT // 10, f"{len(present)} objects written"
    assert not [n for n in present if fails(n)]
    assert_destination(url, "fail-dst", {n: dataset[n] for n in present})


def test_continue_on_error_finishes_and_lists_the_failed_objects(etl_cluster, dataset,
                                                                 failing_etl, api, sdk):
    url = etl_cluster.url
    jid = start_ok(url, "src", {"id": failing_etl, "coer": True, "prepend": "c/"},
                   dst="coer-dst")
    st = wait_job(etl_cluster, jid)
    assert st["aborted"] is False, st
    failing = sorted(n for n in dataset if fails(n))
    assert len(failing) == COUNT // 10
    assert_no_temp_files(etl_cluster)
    assert_destination(url, "coer-dst", {"c/" + n: d for n, d in dataset.items() if not fails(n)})

    by_target = snaps(url, jid)
    errors = [e for s in all_snaps(by_target) for e in s["obj_errors"]]
    assert sorted(e["obj_name"] for e in errors) == sorted(f"ais://src/{n}" for n in failing)
    for e in errors:
        assert e["ecode"] == 500 and "planned failure" in e["msg"], e
    t = totals(by_target)
    assert t["loc-objs"] + t["out-objs"] == COUNT - len(failing), t

    r = requests.get(f"{url}/v1/etl/{failing_etl}", params={"uuid": jid}, timeout=30)
    assert r.status_code == 200, r.text
    details = r.json()
    assert details["init_msg"]["name"] == failing_etl, details["init_msg"]
    listed = details.get("obj_errors") or []
    assert sorted(e["obj_name"] for e in listed) == sorted(f"ais://src/{n}" for n in failing)
    view = sdk.etl(failing_etl).view(job_id=jid)
    assert len(view.obj_errors) == len(failing)
    assert {e.ecode for e in view.obj_errors} == {500}
    # Without uuid the details list inline-transform errors only (reference section 8).
    r = requests.get(f"{url}/v1/etl/{failing_etl}", timeout=30)
    assert r.status_code == 200, r.text
    inline = [e["obj_name"] for e in r.json().get("obj_errors") or []]
    assert not [n for n in inline if n.startswith("ais://src/")], (
        f"{len(inline)} offline-job errors listed as inline errors, first {inline[:3]}")


def test_request_timeout_limits_each_object(etl_cluster, dataset, own_etl):
    """TCBMsg `request_timeout` is the per-object timeout of the job (the SDK sends its `timeout`
    argument there): an instance that takes 2 s per object fails every object of a job that
    allows 500 ms, although the ETL's own object timeout is 30 s."""
    url = etl_cluster.url
    slow = own_etl("slow-timeout", "--delay", "2")
    names = ["b/o0801.txt", "b/o0802.txt", "b/o0805.txt"]
    value = {"id": slow, "objnames": names, "request_timeout": "500ms", "coer": True,
             "tobck": {"name": "timeout-dst", "provider": "ais"}}
    t0 = time.monotonic()
    jid = start_ok(url, "src", value, action="etl-listrange")
    st = wait_job(etl_cluster, jid)
    took = time.monotonic() - t0
    assert st["aborted"] is False, st
    errors = sorted(e["obj_name"] for s in all_snaps(snaps(url, jid)) for e in s["obj_errors"])
    assert list_names(url, "timeout-dst") == [] and errors == [f"ais://src/{n}" for n in names], (
        f"request_timeout 500ms, 2 s per object: {errors} failed, "
        f"{list_names(url, 'timeout-dst')} written in {took:.1f} s")
    assert_no_temp_files(etl_cluster)


def test_an_answer_cut_short_is_an_error_not_a_short_object(etl_cluster, dataset, own_etl):
    """The instance announces the whole length, sends half and hangs up on one object in ten
    (among them the 1-2 MiB ones, cut after several reads): those objects fail and are absent
    from the destination, the others are whole."""
    url = etl_cluster.url
    cut = own_etl("cut-echo", "--cut-digit", CUT_DIGIT)
    jid = start_ok(url, "src", {"id": cut, "coer": True}, dst="cut-dst")
    st = wait_job(etl_cluster, jid)
    assert st["aborted"] is False, st
    assert_no_temp_files(etl_cluster)
    is_cut = {n for n in dataset if last_digit(n) == CUT_DIGIT}
    assert len(is_cut) == COUNT // 10 and any(len(dataset[n]) > MIB for n in is_cut)
    assert_destination(url, "cut-dst", {n: d for n, d in dataset.items() if n not in is_cut})
    errors = [e for s in all_snaps(snaps(url, jid)) for e in s["obj_errors"]]
    assert sorted(e["obj_name"] for e in errors) == sorted(f"ais://src/{n}" for n in is_cut)


# --- requests refused -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["missing etl", "onto itself", "bad bck_to provider",
                                  "bad bck_to shape", "bad bucket name", "names and template"])
def test_bad_transform_requests_are_refused(etl_cluster, dataset, echo_etl, case):
    url = etl_cluster.url
    status = 400
    if case == "missing etl":
        status = 404  # AIS: etlExists, answered 404
        r = start(url, "src", {"id": "no-such-etl"}, dst="never-1")
        want = "ETL no-such-etl doesn't exist"
    elif case == "onto itself":
        r = start(url, "src", {"id": echo_etl}, dst="src")
        want = 'cannot etl-bck bucket "ais://src" onto itself'
    elif case == "bad bck_to provider":
        r = start(url, "src", {"id": echo_etl}, bck_to="gcp/@#/never-1/")
        want = "never-1"
    elif case == "bad bck_to shape":
        r = start(url, "src", {"id": echo_etl}, bck_to="ais/x/y/never-1/")
        want = "never-1"
    elif case == "bad bucket name":
        r = start(url, "src", {"id": echo_etl}, bck_to="ais/@#/no such bucket!/")
        want = ""
    else:
        r = start(url, "src", {"id": echo_etl, "objnames": ["a/o0000.txt"],
                               "template": "a/o{0000..0009}.txt",
                               "tobck": {"name": "never-1", "provider": "ais"}},
                  action="etl-listrange")
        want = ""
    assert r.status_code == status, f"{case}: {r.status_code} {r.text}"
    assert want in message(r), r.text
    assert r.json()["status"] == status, r.text
    assert not bucket_exists(url, "never-1"), "a refused request must not create a bucket"
    assert sorted(list_names(url, "src")) == sorted(dataset)


def test_job_api_errors(etl_cluster, echo_etl):
    url = etl_cluster.url
    jid = start_ok(url, "src", {"id": echo_etl, "dry_run": True}, dst="never-2")
    wait_job(etl_cluster, jid)
    r = cluster_get(url, "status", {"ID": jid, "Kind": "etl-listrange"})
    assert r.status_code == 400, f"status with the wrong kind: {r.status_code} {r.text}"
    r = start(url, "no-such-src", {"id": echo_etl}, dst="never-2")
    assert r.status_code == 404 and "ais://no-such-src" in r.text, f"{r.status_code} {r.text}"
    assert not bucket_exists(url, "never-2")
    for what in ("status", "qryxstats"):
        r = cluster_get(url, what, {"ID": "NoSuchJob1", "Kind": ""})
        assert r.status_code == 404, f"{what}: {r.status_code} {r.text}"
    r = stop_job(url, "NoSuchJob1")
    assert r.status_code == 404, f"stop: {r.status_code} {r.text}"


# --- the SDK --------------------------------------------------------------------------------------


def test_sdk_bucket_transform_and_job_wait(etl_cluster, dataset, echo_etl, sdk):
    ext = {"txt": "bin"}
    job_id = sdk.bucket("src").transform(etl_name=echo_etl, to_bck=sdk.bucket("sdk-dst"),
                                         prefix_filter="b/", prepend="p-", ext=ext, num_workers=2)
    assert JOB_ID_RE.match(job_id), job_id
    job = sdk.job(job_id)
    result = job.wait(timeout=int(JOB_DEADLINE), verbose=False)
    assert result.success, result
    assert result.job_id == job_id and result.end_time is not None, result
    details = job.get_details()
    assert details.get_num_workers() == 2
    assert {s.kind for s in details.list_snapshots()} == {"etl-bck"}
    assert sum(s.stats.objects + s.stats.out_objects for s in details.list_snapshots()) == 200
    selected = [n for n in dataset if n.startswith("b/")]
    assert_destination(etl_cluster.url, "sdk-dst",
                       {dest_name(n, "p-", ext): dataset[n] for n in selected})
    statuses = sdk.cluster().list_jobs_status(job_kind="etl-bck")
    assert [s for s in statuses if s.uuid == job_id and s.end_time > 0], statuses
    assert f"etl-bck[{job_id}]" not in sdk.cluster().list_running_jobs()


def test_sdk_multi_object_transform(etl_cluster, dataset, md5_etl, echo_etl, sdk):
    src = sdk.bucket("src")
    names = sorted(n for n in dataset if n.startswith("b/"))[::7]
    job_id = src.objects(obj_names=names).transform(to_bck=sdk.bucket("sdk-list"),
                                                    etl_name=md5_etl, ext={"jpg": "md5"})
    result = sdk.job(job_id).wait_for_idle(timeout=int(JOB_DEADLINE), verbose=False)
    assert result.success, result
    assert_destination(etl_cluster.url, "sdk-list",
                       {dest_name(n, "", {"jpg": "md5"}): md5hex(dataset[n]) for n in names})

    job_id = src.objects(obj_template="a/o{0300..0349}.txt").transform(
        to_bck=sdk.bucket("sdk-range"), etl_name=echo_etl, prepend="t/", num_workers=1)
    result = sdk.job(job_id).wait(timeout=int(JOB_DEADLINE), verbose=False)
    assert result.success, result
    existing = [f"a/o{i:04d}.txt" for i in range(300, 350) if f"a/o{i:04d}.txt" in dataset]
    assert_destination(etl_cluster.url, "sdk-range", {"t/" + n: dataset[n] for n in existing})


# --- the ETL stopped under a running job ----------------------------------------------------------
# Last but one: should it take a target down, every test above has run on the whole cluster.


def test_stopping_the_etl_aborts_its_running_jobs(etl_cluster, dataset, api, own_etl):
    url = etl_cluster.url
    slow = own_etl("slow-stop", "--delay", "0.2")
    jid = start_ok(url, "src", {"id": slow, "num-workers": 2}, dst="etlstop-dst")
    kh.wait_until(lambda: done_count(url, jid) >= 10, JOB_DEADLINE,
                  f"job {jid} transformed 10 objects", interval=0.1)
    r = api.post(slow, "stop")
    assert r.status_code == 200, r.text
    st = wait_job(etl_cluster, jid, ABORT_DEADLINE)
    assert st["aborted"] is True, st
    assert_no_temp_files(etl_cluster)
    present = list_names(url, "etlstop-dst")
    assert len(present) < COUNT
    assert_destination(url, "etlstop-dst", {n: dataset[n] for n in present})

    r = start(url, "src", {"id": slow}, dst="etlstop-dst2")
    assert r.status_code == 400, f"{r.status_code} {r.text}"
    assert f"ETL {slow} is not running" in message(r), r.text
    assert not bucket_exists(url, "etlstop-dst2")


# --- last: the source -----------------------------------------------------------------------------


def test_the_source_is_unchanged_after_every_job(etl_cluster, dataset):
    assert_destination(etl_cluster.url, "src", dataset)
    assert_no_temp_files(etl_cluster)
    check_nodes_alive(etl_cluster)
