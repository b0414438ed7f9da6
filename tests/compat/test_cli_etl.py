"""The real `ais` CLI (1.32) managing ETLs on `kilnd cluster`: init (runtime specs, overrides,
several documents, duplicates, ws://), show (list, details, several, unknown), view-logs, stop,
start and rm. Every output is compared byte for byte with what the test computes from values it
reads itself (the job ids and counters from the REST API, the logs from /v1/etl/<n>/logs).
"""

import base64
from pathlib import Path

import pytest
import requests

from aiscli import etl_table, expect, runtime_details, tabwrite

STOCK = Path(__file__).resolve().parents[1] / "data" / "ais-etl"
SERVERS = Path(__file__).resolve().parent / "etl_servers"
DEPRECATED = ("Warning: Kubernetes Pod spec ETL initialization is deprecated and will be removed "
              "in v5.1; use an ETL runtime spec instead\n")


def etls(url: str) -> list[dict]:
    r = requests.get(f"{url}/v1/etl", timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def xid(url: str, name: str) -> str:
    return next(e["xaction_id"] for e in etls(url) if e["id"] == name)


def primary_tag(url: str) -> str:
    r = requests.get(f"{url}/v1/daemon", params={"what": "smap"}, timeout=10)
    return f"p[{r.json()['proxy_si']['daemon_id']}]"


def rm_all(ais) -> None:
    r = ais.run("etl", "rm", "--all")
    assert r.rc == 0, r


@pytest.fixture
def clean(ais):
    yield
    rm_all(ais)


def reverse_spec(tmp_path: Path, name: str, comm: str = "hpush://", extra: str = "") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\ncommunication: {comm}\n{extra}runtime:\n"
                    f"  image: python:3.11\n"
                    f"  command: ['python3', '{SERVERS / 'reverse_server.py'}', '--port', '8000']\n")
    return path


@pytest.mark.cli("ais etl init -f etl_spec.yaml", "ais etl show")
def test_init_from_a_runtime_spec(kiln, ais, clean):
    r = ais.run("etl", "init", "-f", str(STOCK / "md5" / "etl_spec.yaml"))
    job = xid(kiln.url, "md5-transformer-etl")
    expect(r, f'ETL[md5-transformer-etl]: job "{job}"\n'
           + runtime_details("md5-transformer-etl", "hpush://", "aistorage/transformer_md5:latest"))
    expect(ais.run("etl", "show"), etl_table([("md5-transformer-etl", "Running", job, 0)]))


@pytest.mark.cli("ais etl init spec -f FILE --name --comm-type --object-timeout --init-timeout")
def test_init_flags_override_the_spec(kiln, ais, clean):
    r = ais.run("etl", "init", "spec", "-f", str(STOCK / "hello_world" / "etl_spec.yaml"),
                "--name", "hello-two", "--comm-type", "hpull://", "--object-timeout", "20s",
                "--init-timeout", "2m")
    expect(r, f'ETL[hello-two]: job "{xid(kiln.url, "hello-two")}"\n'
           + runtime_details("hello-two", "hpull://", "aistorage/transformer_hello_world:latest"))
    msg = requests.get(f"{kiln.url}/v1/etl/hello-two", timeout=30).json()["init_msg"]
    assert (msg["communication"], msg["obj_timeout"], msg["init_timeout"]) == (
        "hpull://", "20s", "2m"), msg


@pytest.mark.cli("ais etl init -f multi.yaml (two documents)",
                 "ais etl init -f multi.yaml --name (refused)")
def test_init_several_documents(kiln, ais, clean, tmp_path):
    multi = tmp_path / "multi.yaml"
    multi.write_text(reverse_spec(tmp_path, "rev-one").read_text() + "---\n"
                     + reverse_spec(tmp_path, "rev-two").read_text())
    r = ais.run("etl", "init", "-f", str(multi))
    cmd = ["python3", str(SERVERS / "reverse_server.py"), "--port", "8000"]
    expect(r, f'ETL[rev-one]: job "{xid(kiln.url, "rev-one")}"\n'
           + runtime_details("rev-one", "hpush://", "python:3.11", cmd) + "---\n"
           + f'ETL[rev-two]: job "{xid(kiln.url, "rev-two")}"\n'
           + runtime_details("rev-two", "hpush://", "python:3.11", cmd))
    expect(ais.run("etl", "init", "-f", str(multi), "--name", "other-name"),
           err="Error: cannot use override flags [--name] with a multi-ETL file; remove these flags "
               "or split into separate files\n", rc=1)


@pytest.mark.cli("ais etl init -f FILE (name taken)")
def test_init_with_a_taken_name_is_skipped(kiln, ais, clean, tmp_path):
    spec = reverse_spec(tmp_path, "rev-taken")
    assert ais.run("etl", "init", "-f", str(spec)).rc == 0
    expect(ais.run("etl", "init", "-f", str(spec)),
           err='Skipping document: duplicate ETL name "rev-taken": ETL[rev-taken] already '
               'exists\n')


@pytest.mark.cli("ais etl init -f spec.yaml --comm-type ws:// (support_direct_put)",
                 "ais etl object (ws://)")
def test_websocket_etl_through_the_cli(kiln, ais, clean):
    # The stock echo spec says support_direct_put: true, which ws:// needs (in AIS too).
    r = ais.run("etl", "init", "-f", str(STOCK / "echo" / "etl_spec.yaml"), "--comm-type", "ws://")
    expect(r, f'ETL[echo-transformer-etl]: job "{xid(kiln.url, "echo-transformer-etl")}"\n'
           + runtime_details("echo-transformer-etl", "ws://", "aistorage/transformer_echo:latest"))
    data = bytes(range(256)) * 4000
    assert ais.run("bucket", "create", "ais://wsb").rc == 0
    assert ais.run("put", "-", "ais://wsb/blob.bin", stdin=data).rc == 0
    assert ais.raw("etl", "object", "echo-transformer-etl", "ais://wsb/blob.bin", "-") == data


@pytest.mark.cli("ais etl init -f spec.yaml (ws:// without direct put: refused)")
def test_websocket_without_direct_put_is_refused(kiln, ais, clean, tmp_path):
    spec = reverse_spec(tmp_path, "ws-nodp", comm="ws://")
    r = ais.run("etl", "init", "-f", str(spec))
    # The CLI checks the message as AIS's server does (InitMsgBase.Validate) and skips it.
    assert r.rc == 0 and r.out == "", r
    assert r.err.startswith("Skipping document: validation failed: WebSocket without direct put "
                            "is not supported yet."), r
    # Kiln's server says the same, with AIS's status (501), to a client that does not check.
    msg = {"name": "ws-nodp", "communication": "ws://",
           "runtime": {"image": "python:3.11", "command": ["true"]}}
    reply = requests.put(f"{kiln.url}/v1/etl", json=msg, timeout=30)
    assert reply.status_code == 501, reply.text
    assert reply.json()["message"] == r.err.split("validation failed: ", 1)[1].strip()


@pytest.mark.cli("ais etl show NAME", "ais etl show NAME NAME", "ais etl show UNKNOWN")
def test_show_details(kiln, ais, clean, tmp_path):
    assert ais.run("etl", "init", "-f", str(STOCK / "hash_with_args" / "etl_spec.yaml")).rc == 0
    assert ais.run("etl", "init", "-f", str(reverse_spec(tmp_path, "rev-show"))).rc == 0
    hashing = runtime_details("hash-with-args-etl", "hpush://",
                              "aistorage/transformer_hash_with_args:latest",
                              env={"SEED_DEFAULT": "0"})
    rev = runtime_details("rev-show", "hpush://", "python:3.11",
                          ["python3", str(SERVERS / "reverse_server.py"), "--port", "8000"])
    expect(ais.run("etl", "show", "hash-with-args-etl"), hashing)
    expect(ais.run("etl", "show", "hash-with-args-etl", "rev-show"), hashing + "---\n" + rev)
    expect(ais.run("etl", "show", "no-such-etl"),
           err=f"ErrNotFound: {primary_tag(kiln.url)}: etl job no-such-etl does not exist\n")


@pytest.mark.cli("ais etl show (pod spec)")
def test_show_a_pod_spec_etl(kiln, ais, clean):
    spec = STOCK / "md5" / "pod.yaml"
    r = ais.run("etl", "init", "-f", str(spec), "--comm-type", "hpush://")
    job = xid(kiln.url, "transformer-md5")
    head = f'ETL[transformer-md5]: job "{job}"\nname:  transformer-md5\n' \
           "communication_type:  hpush://\nspec: \n"
    assert r.rc == 0 and r.err == DEPRECATED and r.out.startswith(head), r
    # The spec is printed as the CLI sent it (its YAML encoder re-indents the file).
    import yaml
    assert yaml.safe_load(r.out[len(head):]) == yaml.safe_load(spec.read_text())
    shown = ais.run("etl", "show", "transformer-md5")
    assert shown.rc == 0 and shown.out == r.out[r.out.index("\n") + 1:], shown


@pytest.mark.cli("ais etl view-logs NAME", "ais etl view-logs NAME TARGET")
def test_view_logs(kiln, ais, clean, tmp_path):
    assert ais.run("etl", "init", "-f", str(reverse_spec(tmp_path, "rev-logs"))).rc == 0
    logs = requests.get(f"{kiln.url}/v1/etl/rev-logs/logs", timeout=30).json()
    assert len(logs) == 3
    text = "\n".join(f"{e['target_id']}:\n{base64.b64decode(e['logs']).decode()}\n" for e in logs)
    expect(ais.run("etl", "view-logs", "rev-logs"), text)
    one = logs[1]
    expect(ais.run("etl", "view-logs", "rev-logs", one["target_id"]),
           base64.b64decode(one["logs"]).decode() + "\n")


@pytest.mark.cli("ais etl stop NAME", "ais etl start NAME", "ais etl start (running)",
                 "ais etl stop --all", "ais etl rm NAME", "ais etl rm --all")
def test_stop_start_remove(kiln, ais, clean, tmp_path):
    for name in ("rev-life-a", "rev-life-b"):
        assert ais.run("etl", "init", "-f", str(reverse_spec(tmp_path, name))).rc == 0
    expect(ais.run("etl", "stop", "rev-life-a"), "ETL[rev-life-a] stopped\n")
    expect(ais.run("etl", "show"), etl_table([
        ("rev-life-a", "Aborted", xid(kiln.url, "rev-life-a"), 0),
        ("rev-life-b", "Running", xid(kiln.url, "rev-life-b"), 0)]))
    expect(ais.run("etl", "start", "rev-life-a"), "ETL[rev-life-a] started successfully\n")
    expect(ais.run("etl", "start", "rev-life-a"),
           err="invalid action \"can't start ETL[rev-life-a] during Running stage\"\n")
    expect(ais.run("etl", "stop", "--all"), "ETL[rev-life-a] stopped\nETL[rev-life-b] stopped\n")
    expect(ais.run("etl", "rm", "rev-life-a"), "ETL[rev-life-a] successfully deleted\n")
    expect(ais.run("etl", "rm", "rev-life-a"),
           err="Warning: ETL[rev-life-a] not found, nothing to do\n")
    expect(ais.run("etl", "stop", "rev-life-a"),
           err="Warning: ETL[rev-life-a] not found, nothing to do\n")
    expect(ais.run("etl", "rm", "--all"), "ETL[rev-life-b] successfully deleted\n")
    expect(ais.run("etl", "rm", "--all"), "No ETL jobs found to remove\n")
    expect(ais.run("etl", "show"), "")


@pytest.mark.cli("ais etl show (list, counters)")
def test_list_counts_transformed_objects(kiln, ais, clean, tmp_path):
    assert ais.run("etl", "init", "-f", str(reverse_spec(tmp_path, "rev-count"))).rc == 0
    assert ais.run("bucket", "create", "ais://cnt").rc == 0
    for i in range(3):
        assert ais.run("put", "-", f"ais://cnt/o{i}", stdin=f"object {i}".encode()).rc == 0
        assert ais.raw("etl", "object", "rev-count", f"ais://cnt/o{i}", "-") == \
            f"object {i}".encode()[::-1]
    entry = next(e for e in etls(kiln.url) if e["id"] == "rev-count")
    assert entry["obj_count"] == 3
    expect(ais.run("etl", "show"), tabwrite(
        "NAME\t STAGE\t XACTION\t OBJECTS\n" f"rev-count\t Running\t {entry['xaction_id']}\t 3\n"))
