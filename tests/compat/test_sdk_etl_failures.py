"""ETL failures as the official SDK meets them, with AIS's semantics:

- offline jobs with per-object transform failures and continue-on-error finish, and report
  themselves failed (`job.wait()`: success False with the error), every failed object listed
  under `etl.view(job_id=...).obj_errors` as `ais://bck/obj` with the ETL's status;
- an ETL server answering 503 + `Ais-Etl-Retry-Reason: direct-put-transient` is sent the object
  again up to AIS's soft-error budget (10 more tries, ~32 s of backoff), then the object fails;
- `inspect` (Bucket/ObjectGroup.inspect in SDK 2.x; a dry run with continue-on-error onto the
  source bucket, which is what inspect sends, in 1.x) reports per-object errors the same way;
- `obj_timeout` shorter than the transform: one try, then an error naming the timeout, with the
  status AIS uses (400, which the SDK does not retry);
- an ETL server that dies mid-transform: the client gets its error (400) at once, not a 5xx the
  SDK would retry into a RetryError, and the ETL is Aborted.

The SDK's default client (its retry policy as users get it) makes the reads that must fail fast.
Expected bytes and names are computed here from the objects written.
"""

import time

import pytest
from aistore.sdk.errors import AISError
from aistore.sdk.etl import ETLConfig
from aistore.sdk.etl.etl_const import ETL_STAGE_ABORTED

import kilnharness as kh

from etl_common import (  # noqa: F401 (fixtures)
    PY,
    SDK2,
    check_transformed,
    client,
    default_client,
    delete_quietly,
    fresh_bucket,
    reverse,
    reverse_command,
    src,
)

GOOD = {f"good/{i:02d}.txt": f"object {i}\n".encode() * (i + 1) for i in range(9)}
BAD = {f"bad/{i:02d}.txt": f"FAIL {i}\n".encode() for i in range(3)}
BUSY = {f"busy/{i}.txt": f"BUSY {i}\n".encode() for i in range(2)}
# AIS's soft-error budget per object: the first try and 10 more (ext/etl retryConnSoftErr).
TRIES = 11
# Its backoff between them: 1 s, then 0.5 s more each time up to 5 s.
BACKOFF = sum(min(1.0 + 0.5 * i, 5.0) for i in range(TRIES - 1))


def cnames(bucket, names) -> list[str]:
    return sorted(f"ais://{bucket.name}/{n}" for n in names)


def job_wait(client, job_id: str, timeout: int = 120):
    return client.job(job_id).wait(timeout=timeout, verbose=False)


def log_count(etl, needle: str) -> int:
    return sum(log.logs.count(needle) for log in etl.logs())


def make_bucket(client, name: str, objects: dict[str, bytes]):
    b = client.bucket(name)
    b.create(exist_ok=True)
    for obj, data in objects.items():
        b.object(obj).get_writer().put_content(data)
    return b


@pytest.fixture(scope="module")
def mixed(client):
    """Nine objects the ETL transforms and three it refuses (500), spread over the targets."""
    return make_bucket(client, "compat-mixed", {**GOOD, **BAD})


@pytest.fixture(scope="module")
def faulty(client):
    """The reverse server: 500 for objects starting with FAIL, 503 direct-put-transient for
    objects starting with BUSY."""
    etl = client.etl("compat-faulty")
    etl.init(image=f"aistorage/runtime_python:{PY}",
             command=reverse_command("--fail-on", "FAIL", "--busy-on", "BUSY"),
             comm_type="hpush", init_timeout="2m")
    yield etl
    delete_quietly(etl)


def check_obj_errors(etl, job_id: str, bucket, names, status: int, text: str):
    errors = etl.view(job_id=job_id).obj_errors or []
    assert sorted(e.obj_name for e in errors) == cnames(bucket, names), errors
    for e in errors:
        assert e.ecode == status and text in e.msg, e


@pytest.mark.covers("Bucket.transform (cont_on_err, failing objects)",
                    "Job.wait (failed job)", "Job.status (err)", "Etl.view (job_id)")
def test_bucket_job_with_failures_finishes_as_a_failed_job(client, mixed, faulty,
                                                           fresh_bucket):
    job_id = mixed.transform(etl_name=faulty.name, to_bck=fresh_bucket, cont_on_err=True)
    result = job_wait(client, job_id)
    assert not result.success and result.error, result
    status = client.job(job_id).status()
    assert status.err and not status.aborted and status.end_time > 0, status
    check_transformed(fresh_bucket, {n: reverse(d) for n, d in GOOD.items()})
    check_obj_errors(faulty, job_id, mixed, BAD, 500, "refusing this object")
    # The job's errors are its own: the ETL's inline error list does not show them.
    inline = faulty.view().obj_errors or []
    assert not [e for e in inline if e.obj_name.startswith(f"ais://{mixed.name}/bad/")], inline


@pytest.mark.covers("ObjectGroup.transform (continue_on_error, failing objects)",
                    "Etl.view (job_id)")
def test_multi_object_job_lists_every_failed_object(client, mixed, faulty, fresh_bucket):
    names = sorted(GOOD)[:4] + sorted(BAD)
    job_id = mixed.objects(obj_names=names).transform(
        to_bck=fresh_bucket, etl_name=faulty.name, continue_on_error=True)
    result = job_wait(client, job_id)
    status = client.job(job_id).status()
    assert status.err and not status.aborted, status
    # SDK 1.x waits for the job's status (failed, as above). SDK 2.x waits for a list/range job
    # (an idle kind) by its snapshots, and counts only an abort as failure: against AIS too, such
    # a job with object errors "succeeds" there.
    assert result.success == SDK2, result
    check_transformed(fresh_bucket, {n: reverse(GOOD[n]) for n in sorted(GOOD)[:4]})
    check_obj_errors(faulty, job_id, mixed, BAD, 500, "refusing this object")


@pytest.mark.covers("Bucket.transform (ETL answers 503 direct-put-transient)",
                    "Job.wait (failed job)")
def test_direct_put_transient_503_is_retried_then_fails_the_object(client, faulty,
                                                                   fresh_bucket):
    busy = make_bucket(client, "compat-busy", {**BUSY, "ok.txt": b"fine"})
    before = {n: log_count(faulty, f"busy /{busy.name}/{n}") for n in BUSY}
    t0 = time.monotonic()
    job_id = busy.transform(etl_name=faulty.name, to_bck=fresh_bucket, cont_on_err=True)
    result = job_wait(client, job_id, timeout=180)
    took = time.monotonic() - t0
    assert not result.success and result.error, result
    assert took >= BACKOFF - 1, f"gave up after {took:.1f} s, AIS's backoff is {BACKOFF} s"
    check_transformed(fresh_bucket, {"ok.txt": reverse(b"fine")})
    check_obj_errors(faulty, job_id, busy, BUSY, 503, "direct-put-transient")
    for name in BUSY:
        tries = log_count(faulty, f"busy /{busy.name}/{name}") - before[name]
        assert tries == TRIES, f"{name}: {tries} tries"


@pytest.mark.covers("Bucket.inspect / dry run + cont_on_err (per-object errors)",
                    "ObjectGroup.inspect (per-object errors)")
def test_inspect_reports_per_object_errors(client, mixed, faulty):
    before = sorted(e.name for e in mixed.list_all_objects())
    if SDK2:
        job_id = mixed.inspect(faulty.name)
    else:  # what inspect sends: a dry run onto the bucket itself, continuing on errors
        job_id = mixed.transform(etl_name=faulty.name, to_bck=mixed, dry_run=True,
                                 cont_on_err=True)
    result = job_wait(client, job_id)
    assert not result.success and result.error, result
    check_obj_errors(faulty, job_id, mixed, BAD, 500, "refusing this object")
    assert sorted(e.name for e in mixed.list_all_objects()) == before
    for name, data in GOOD.items():
        assert mixed.object(name).get_reader().read_all() == data, name

    names = [sorted(BAD)[0], sorted(GOOD)[0]]
    group = mixed.objects(obj_names=names)
    if SDK2:
        job_id = group.inspect(faulty.name)
    else:
        job_id = group.transform(to_bck=mixed, etl_name=faulty.name, dry_run=True,
                                 continue_on_error=True)
    job_wait(client, job_id)
    assert client.job(job_id).status().err
    check_obj_errors(faulty, job_id, mixed, [sorted(BAD)[0]], 500, "refusing this object")
    assert sorted(e.name for e in mixed.list_all_objects()) == before


@pytest.mark.covers("ObjectReader.read_all (etl, obj_timeout exceeded -> AISError 400)")
def test_obj_timeout_fails_after_one_try_naming_the_timeout(client, default_client, src):
    etl = client.etl("compat-slow")
    etl.init(image=f"aistorage/runtime_python:{PY}", command=reverse_command(),
             comm_type="hpush", obj_timeout="1s", init_timeout="2m")
    try:
        obj = default_client.bucket(src.name).object("a/one.txt")
        needle = f"got PUT /{src.name}/a/one.txt"
        t0 = time.monotonic()
        with pytest.raises(AISError) as e:
            obj.get_reader(etl=ETLConfig(etl.name, args="sleep=4")).read_all()
        took = time.monotonic() - t0
        assert e.value.status_code == 400, e.value
        assert "obj_timeout 1s" in e.value.message and "deadline exceeded" in e.value.message, \
            e.value.message
        assert 0.9 <= took < 3.5, f"the error came after {took:.1f} s"
        assert log_count(etl, needle) == 1, "the target must give up after one try"
        errors = etl.view().obj_errors or []
        assert [e.obj_name for e in errors] == [f"ais://{src.name}/a/one.txt"], errors
        # The ETL keeps serving.
        assert obj.get_reader(etl=ETLConfig(etl.name)).read_all() == reverse(b"some text :)\n")
    finally:
        etl.delete()


@pytest.mark.covers("ObjectReader.read_all (etl server dies mid-transform)",
                    "Cluster.list_etls (stages=[Aborted])")
def test_an_etl_server_that_dies_mid_transform(client, default_client, src):
    etl = client.etl("compat-dies")
    etl.init(image=f"aistorage/runtime_python:{PY}", command=reverse_command(),
             comm_type="hpush", init_timeout="2m")
    try:
        obj = default_client.bucket(src.name).object("a/two.txt")
        t0 = time.monotonic()
        # It dies before any answer: AIS answers such an object 400 (an error without a status
        # from the ETL). Not requests' RetryError, which a 5xx replayed for ~90 s ends in, nor
        # the 404 of a replay that finds the ETL aborted.
        with pytest.raises(AISError) as e:
            obj.get_reader(etl=ETLConfig(etl.name, args="exit=3")).read_all()
        took = time.monotonic() - t0
        assert took < 15, f"the error came after {took:.1f} s: {e.value!r}"
        assert e.value.status_code == 400 and etl.name in e.value.message, e.value

        aborted = kh.wait_until(
            lambda: [x for x in client.cluster().list_etls(stages=[ETL_STAGE_ABORTED])
                     if x.id == etl.name], 30, f"{etl.name} in list_etls(stages=[Aborted])",
            interval=0.2)
        assert aborted[0].stage == ETL_STAGE_ABORTED
        assert etl.name not in [x.id for x in client.cluster().list_etls()]  # Running only
        with pytest.raises(AISError) as e:
            obj.get_reader(etl=ETLConfig(etl.name)).read_all()
        assert e.value.status_code == 404, e.value
    finally:
        delete_quietly(etl)
