"""Every ETL workflow of the official aistore Python SDK against `kilnd cluster`: init from a
runtime image, with `init_class` (the SDK's FastAPI transformer, with a dependency) and from a
pod spec; inline reads with ETLConfig; bucket and multi-object transforms and their jobs; list,
details, logs, stop, start, delete; and the error cases the SDK maps to its exception classes.

The same file runs under each pinned SDK release (CTest compat_sdk_etl_<version>); what a
release lacks (init_spec in 2.x) is skipped and shows as "n/a" in docs/compat.md. Expected
bytes are computed here from the objects written, never copied from a run.
"""

import hashlib
import json

import pytest
import yaml
from aistore.sdk.errors import AISError, ErrETLAlreadyExists, ErrETLNotFound
from aistore.sdk.etl import ETLConfig
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer

from etl_common import (  # noqa: F401 (fixtures)
    OBJECTS,
    PY,
    SDK2,
    check_transformed,
    client,
    fresh_bucket,
    reverse,
    reverse_command,
    src,
)


@pytest.fixture(scope="module")
def rev(client):
    """A reverse ETL from the runtime image aistorage/runtime_python:<py> with a command."""
    etl = client.etl("compat-rev")
    xid = etl.init(image=f"aistorage/runtime_python:{PY}", command=reverse_command(),
                   comm_type="hpush", init_timeout="2m")
    assert xid.startswith("etl-")
    yield etl
    try:
        etl.delete()
    except AISError:
        pass


@pytest.mark.covers("Cluster.is_ready", "Cluster.get_info", "Cluster.list_buckets",
                    "Bucket.create", "Bucket.list_all_objects", "ObjectWriter.put_content",
                    "ObjectReader.read_all", "Object.props")
def test_cluster_and_bucket_basics(client, src):
    assert client.cluster().is_ready()
    assert len(client.cluster().get_info().tmap) == 3
    assert "compat-src" in [b.name for b in client.cluster().list_buckets()]
    names = sorted(e.name for e in src.list_all_objects())
    assert names == sorted(OBJECTS)
    for name, data in OBJECTS.items():
        assert src.object(name).get_reader().read_all() == data
        assert src.object(name).props.size == len(data)


@pytest.mark.covers("Etl.init (runtime image + command)", "ETLConfig(name)",
                    "ObjectReader.read_all (etl)", "ObjectReader iteration (etl)",
                    "ObjectReader.raw (etl)")
def test_init_runtime_image_and_inline_reads(src, rev):
    for name, data in OBJECTS.items():
        obj = src.object(name)
        want = reverse(data)
        assert obj.get_reader(etl=ETLConfig(rev.name)).read_all() == want
        assert b"".join(obj.get_reader(etl=ETLConfig(rev.name))) == want
        assert obj.get_reader(etl=ETLConfig(rev.name)).raw().read() == want


@pytest.mark.covers("Etl.init (comm_type=hpull)", "ObjectReader.read_all (etl, hpull)",
                    "Bucket.transform (hpull)")
def test_init_hpull_inline_and_bucket(client, src, fresh_bucket):
    etl = client.etl("compat-hpull")
    etl.init(image=f"aistorage/runtime_python:{PY}", command=reverse_command(),
             comm_type="hpull", init_timeout="2m")
    try:
        for name, data in OBJECTS.items():
            got = src.object(name).get_reader(etl=ETLConfig(etl.name, args="p")).read_all()
            assert got == reverse(data, "p"), name
        client.job(src.transform(etl_name=etl.name, to_bck=fresh_bucket)).wait(timeout=120)
        check_transformed(fresh_bucket, {n: reverse(d) for n, d in OBJECTS.items()})
    finally:
        etl.delete()


@pytest.mark.covers("ETLConfig(name, args=str)", "ETLConfig(name, args=dict)")
def test_inline_args_reach_the_transformer(src, rev):
    obj = src.object("a/one.txt")
    data = OBJECTS["a/one.txt"]
    assert obj.get_reader(etl=ETLConfig(rev.name, args="suffix-1")).read_all() == \
        reverse(data, "suffix-1")
    args = {"k": "v", "n": 2}
    got = obj.get_reader(etl=ETLConfig(rev.name, args=args)).read_all()
    assert got[:len(data)] == data[::-1]
    assert json.loads(got[len(data):]) == args


@pytest.mark.covers("Etl.init (stock transformer image)")
def test_init_stock_transformer_image(client, src):
    etl = client.etl("compat-md5")
    # Kiln's image catalogue runs the stock image without Kubernetes or Docker (#10).
    etl.init(image="aistorage/transformer_md5:latest", comm_type="hpush", init_timeout="2m")
    try:
        for name, data in OBJECTS.items():
            got = src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
            assert got == hashlib.md5(data).hexdigest().encode()
    finally:
        etl.delete()


@pytest.mark.covers("Etl.init_class (FastAPIServer, dependencies)", "ETLConfig(name, args=str)")
def test_init_class_with_dependencies(client, src):
    etl = client.etl("compat-cls")

    # Defined here, so cloudpickle sends the class by value (the module is not on the server).
    @etl.init_class(dependencies=["six==1.16.0"], init_timeout="5m")
    class UpperServer(FastAPIServer):
        def transform(self, data, path, etl_args):
            import six  # the dependency, installed in the ETL's venv

            return six.ensure_binary(data).upper() + (etl_args or "").encode()

    try:
        for name, data in OBJECTS.items():
            got = src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all()
            assert got == data.upper(), name
        got = src.object("a/one.txt").get_reader(etl=ETLConfig(etl.name, args="!")).read_all()
        assert got == OBJECTS["a/one.txt"].upper() + b"!"
    finally:
        etl.delete()


@pytest.mark.skipif(SDK2, reason="init_spec is gone from this SDK release")
@pytest.mark.covers("Etl.init_spec (pod spec)")
def test_init_spec_pod(client, src):
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "compat-pod"},
        "spec": {"containers": [{
            "name": "server", "image": f"python:{PY}",
            "ports": [{"name": "default", "containerPort": 8000}],
            "command": reverse_command(),
            "readinessProbe": {"httpGet": {"path": "/health", "port": "default"}},
        }]},
    }
    etl = client.etl("compat-pod")
    xid = etl.init_spec(template=yaml.safe_dump(pod), communication_type="hpush",
                        init_timeout="2m")
    assert xid.startswith("etl-")
    try:
        for name, data in OBJECTS.items():
            assert src.object(name).get_reader(etl=ETLConfig(etl.name)).read_all() == \
                reverse(data)
        assert etl.view().init_msg.name == "compat-pod"
    finally:
        etl.delete()


@pytest.mark.covers("Bucket.transform (prefix_filter, ext)", "Job.wait")
def test_bucket_transform(client, src, rev, fresh_bucket):
    job = src.transform(etl_name=rev.name, to_bck=fresh_bucket, prefix_filter="a/",
                        ext={"txt": "rev"})
    client.job(job).wait(timeout=120)
    want = {n[:-3] + "rev": reverse(d) for n, d in OBJECTS.items() if n.startswith("a/")}
    check_transformed(fresh_bucket, want)


@pytest.mark.covers("Bucket.transform (dry_run)", "Job.wait")
def test_bucket_transform_dry_run(client, src, rev, fresh_bucket):
    job = src.transform(etl_name=rev.name, to_bck=fresh_bucket, dry_run=True)
    client.job(job).wait(timeout=120)
    assert fresh_bucket.name not in [b.name for b in client.cluster().list_buckets()]


@pytest.mark.covers("ObjectGroup.transform (obj_names)", "ObjectGroup.transform (obj_template)",
                    "Job.wait")
def test_multi_object_transform(client, src, rev, fresh_bucket):
    names = ["a/one.txt", "b/three.bin"]
    job = src.objects(obj_names=names).transform(to_bck=fresh_bucket, etl_name=rev.name)
    client.job(job).wait(timeout=120)
    check_transformed(fresh_bucket, {n: reverse(OBJECTS[n]) for n in names})
    job = src.objects(obj_template="a/{one,two}.txt").transform(
        to_bck=fresh_bucket, etl_name=rev.name, prepend="t-")
    client.job(job).wait(timeout=120)
    want = {n: reverse(OBJECTS[n]) for n in names}
    want.update({"t-" + n: reverse(OBJECTS[n]) for n in ("a/one.txt", "a/two.txt")})
    check_transformed(fresh_bucket, want)


@pytest.mark.covers("Cluster.list_etls", "Etl.view", "Etl.logs", "Etl.stop", "Etl.start",
                    "Etl.delete")
def test_manage_list_view_logs_stop_start_delete(client, src):
    etl = client.etl("compat-life")
    etl.init(image=f"python:{PY}", command=reverse_command(), comm_type="hpush")
    listed = {e.id: e for e in client.cluster().list_etls()}
    assert listed["compat-life"].stage == "Running"
    details = etl.view()
    assert details.init_msg.name == "compat-life"
    assert details.init_msg.communication.startswith("hpush")
    src.object("a/one.txt").get_reader(etl=ETLConfig(etl.name)).read_all()
    logs = etl.logs()
    assert len(logs) == 3 and all(log.target_id for log in logs)
    assert any("reverse-server" in log.logs for log in logs)
    one = etl.logs(target_id=logs[0].target_id)
    assert [log.target_id for log in one] == [logs[0].target_id]

    etl.stop()
    assert "compat-life" not in [e.id for e in client.cluster().list_etls()]  # Running only
    stages = {e.id: e.stage for e in client.cluster().list_etls(stages=["Aborted", "Running"])}
    assert stages["compat-life"] == "Aborted"
    with pytest.raises(AISError):
        src.object("a/one.txt").get_reader(etl=ETLConfig(etl.name)).read_all()
    etl.start()
    assert {e.id: e.stage for e in client.cluster().list_etls()}["compat-life"] == "Running"
    assert src.object("a/two.txt").get_reader(etl=ETLConfig(etl.name)).read_all() == \
        reverse(OBJECTS["a/two.txt"])
    etl.delete()
    everything = ["Initializing", "Running", "Aborted", "Unknown"]
    assert "compat-life" not in [e.id for e in client.cluster().list_etls(stages=everything)]


@pytest.mark.covers("Etl.init (name taken -> ErrETLAlreadyExists)")
def test_error_name_taken(client, rev):
    with pytest.raises(ErrETLAlreadyExists):
        client.etl(rev.name).init(image=f"python:{PY}", command=reverse_command())


@pytest.mark.covers("Etl.init (bad name -> ValueError)")
def test_error_bad_name(client):
    for bad in ("UPPER-case", "ab", "has_underscore", "-starts-with-dash"):
        with pytest.raises(ValueError):
            client.etl(bad).init(image=f"python:{PY}", command=reverse_command())


@pytest.mark.covers("Etl.init (name rule of AIS: digit first, 21-32 chars)")
def test_names_ais_accepts(client, src):
    # AIS and both SDKs take [a-z0-9-]{6,32} (alphanumeric at both ends); Kiln must too.
    for name in ("0etl-digit-first", "etl-with-a-long-name-of-32-chars"):
        assert len(name) <= 32
        etl = client.etl(name)
        etl.init(image=f"python:{PY}", command=reverse_command())
        try:
            got = src.object("a/one.txt").get_reader(etl=ETLConfig(name)).read_all()
            assert got == reverse(OBJECTS["a/one.txt"])
        finally:
            etl.delete()


@pytest.mark.covers("Etl.init (bad spec -> AISError 400)")
def test_error_bad_spec(client):
    etl = client.etl("compat-bad")
    with pytest.raises(AISError) as e:
        etl.init(image=f"python:{PY}", command=reverse_command(), obj_timeout="ten seconds")
    assert e.value.status_code == 400
    stages = ["Initializing", "Running", "Aborted", "Unknown"]
    assert "compat-bad" not in [x.id for x in client.cluster().list_etls(stages=stages)]


@pytest.mark.skipif(SDK2, reason="init_spec is gone from this SDK release")
@pytest.mark.covers("Etl.init_spec (bad pod spec -> AISError 400)")
def test_error_bad_pod_spec(client):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "compat-bad"},
           "spec": {"containers": [{"name": "a", "image": "python:3.11"},
                                   {"name": "b", "image": "python:3.11"}]}}
    with pytest.raises(AISError) as e:
        client.etl("compat-bad").init_spec(template=yaml.safe_dump(pod))
    assert e.value.status_code == 400


@pytest.mark.covers("Etl.view/stop/start/delete (unknown -> ErrETLNotFound)",
                    "ObjectReader.read_all (unknown ETL -> AISError 404)")
def test_error_unknown_etl(client, src):
    etl = client.etl("compat-nope")
    for call in (etl.view, etl.stop, etl.start, etl.delete, etl.logs):
        with pytest.raises(ErrETLNotFound):
            call()
    with pytest.raises(AISError) as e:
        src.object("a/one.txt").get_reader(etl=ETLConfig("compat-nope")).read_all()
    assert e.value.status_code == 404
