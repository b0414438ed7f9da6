"""The stock ais-etl images without Kubernetes (issue #10): every image of kilnd's catalogue is
initialised from the aistore SDK's own pod-spec template and from `init(image=..., command=...)`,
and its inline output is checked against an independent computation (hashlib, the xxhash
package, gzip/bz2). Then a user mapping from kilnd's config runs a user script as an image,
`kilnd images` lists the catalogue, and an image nothing can run is refused with the ways out.

The targets run with a config of this module (etl.images; etl.containers: off, so the result
does not depend on a container engine; test_etl_containers.py covers that path).
"""

import base64
import bz2
import gzip
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests
import xxhash
import yaml
from aistore.sdk import Client
from aistore.sdk.etl import ETLConfig
from aistore.sdk.etl import etl_templates as templates

import kilnharness as kh
from etlharness import (
    STOP_DEADLINE,
    EtlCluster,
    etl_procs,
    message,
    put_object,
    wait_instances,
)

MIB = 1024 * 1024

# A user's own "image": a script the config maps team/upper to, with $(PORT) substitution.
UPPER_SCRIPT = textwrap.dedent('''\
    import os, sys
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def reply(self, body):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            self.reply(b"Running")
        def do_PUT(self):
            n = int(self.headers.get("Content-Length", "0"))
            self.reply(os.environ.get("PREFIX", "").encode() + self.rfile.read(n).upper())
        do_POST = do_PUT

    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
''')


def write_config(base: Path, marker: str) -> Path:
    script = base / "upper_server.py"
    script.write_text(UPPER_SCRIPT)
    config = base / "kilnd.yaml"
    config.write_text(yaml.safe_dump({"etl": {
        "containers": "off",
        "images": [{"image": "team/upper",
                    "command": [sys.executable, str(script), "$(PORT)", marker]}],
    }}))
    return config


@pytest.fixture(scope="module")
def etl_cluster(tmp_path_factory):
    base = tmp_path_factory.mktemp("etlimg")
    config = write_config(base, "kiln-etl-user-image")
    c = EtlCluster(base / "cluster", 3, base / "venvs", config)
    try:
        yield c
    finally:
        c.close()
        # Instances are children of their targets (their files live in the targets' folders):
        # none may outlive the cluster.
        kh.wait_until(lambda: not etl_procs(str(base), "kiln-etl-user-image"), STOP_DEADLINE,
                      "every ETL instance gone after the cluster stopped")


@pytest.fixture(scope="module")
def sdk(etl_cluster):
    return Client(etl_cluster.url, timeout=(3, 60))


@pytest.fixture(scope="module")
def objects(etl_cluster):
    bucket = kh.create_bucket(etl_cluster.url, "etlimg")
    objs = {
        "empty": b"",
        "seed/shard.in": b"some text :)\n",
        "bin/256x300": bytes(range(256)) * 300,
        "big/1MiB": os.urandom(MIB),
    }
    for name, data in objs.items():
        put_object(etl_cluster.url, bucket, name, data)
    return bucket, objs


def xxh(data: bytes, seed: int) -> bytes:
    return xxhash.xxh64(data, seed=seed).hexdigest().encode()


# image -> (SDK template, the template's format arguments, expected output of data)
STOCK = {
    "aistorage/transformer_echo:latest": (templates.ECHO, {}, lambda d: d),
    "aistorage/transformer_echo_go:latest": (templates.GO_ECHO, {}, lambda d: d),
    "aistorage/transformer_hello_world:latest": (templates.HELLO_WORLD, {"arg_type": ""},
                                                 lambda d: b"Hello World!"),
    "aistorage/transformer_hello_world_go:latest": (templates.GO_HELLO_WORLD, {},
                                                    lambda d: b"Hello World!"),
    "aistorage/transformer_md5:latest": (templates.MD5, {},
                                         lambda d: hashlib.md5(d).hexdigest().encode()),
    "aistorage/transformer_hash_with_args:latest": (templates.HASH, {}, lambda d: xxh(d, 0)),
    "aistorage/transformer_compress:latest": (
        templates.COMPRESS, {"compress_options": json.dumps({"mode": "compress",
                                                             "compression": "gzip"})},
        None),  # gzip output carries a timestamp: checked by round trip
}

# The command a user gives `init(image=..., command=...)`, as the images' own entrypoints say.
UVICORN = ["uvicorn", "fastapi_server:fastapi_app", "--host", "0.0.0.0", "--port", "8000",
           "--workers", "2"]
GO = ["./echo", "-l", "0.0.0.0", "-p", "8000"]


def etl_name(image: str, form: str, comm: str) -> str:
    short = image.split("/")[1].split(":")[0].replace("transformer_", "").replace("_", "")
    return f"{short[:12]}-{form[0]}-{comm}"  # AIS names: at most 20 characters


def check_output(image, got: bytes, data: bytes, what: str):
    expect = STOCK[image][2]
    if expect is None:
        assert got[:2] == b"\x1f\x8b", f"{what}: not gzip: {got[:20]!r}"
        assert gzip.decompress(got) == data, f"{what}: gzip round trip differs"
    else:
        assert got == expect(data), f"{what}: {got[:64]!r}"


@pytest.mark.parametrize("comm", ["hpush", "hpull"])
@pytest.mark.parametrize("image", list(STOCK))
def test_stock_image_from_the_sdk_template(etl_cluster, etls, objects, sdk, image, comm):
    bucket, objs = objects
    template, args, _ = STOCK[image]
    spec = template.format(communication_type=comm, **args)
    name = etl_name(image, "pod", comm)
    sdk.etl(name).init_spec(template=spec, communication_type=comm, init_timeout="60s")
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, name)
        assert r.status_code == 200, f"{obj}: {r.status_code} {r.text[:300]}"
        check_output(image, r.content, data, f"{name} {obj}")
    got = sdk.bucket(bucket).object("seed/shard.in").get_reader(etl=ETLConfig(name)).read_all()
    check_output(image, got, objs["seed/shard.in"], f"{name} via the SDK")
    # Details give back what the user sent: the template, so the image and its command.
    details = etls.details(name).json()["init_msg"]
    sent = yaml.safe_load(base64.b64decode(details["spec"]))
    container = sent["spec"]["containers"][0]
    assert container["image"] == image
    assert container["command"] == yaml.safe_load(spec)["spec"]["containers"][0]["command"]


@pytest.mark.parametrize("image", list(STOCK))
def test_stock_image_from_init_with_image_and_command(etl_cluster, etls, objects, sdk, image):
    bucket, objs = objects
    command = GO if image.endswith("_go:latest") else UVICORN
    name = etl_name(image, "init", "hpush")
    env = {}
    if "compress" in image:
        env["COMPRESS_OPTIONS"] = json.dumps({"mode": "compress", "compression": "gzip"})
    sdk.etl(name).init(image=image, command=command, comm_type="hpush", init_timeout="60s", **env)
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, name)
        assert r.status_code == 200, f"{obj}: {r.status_code} {r.text[:300]}"
        check_output(image, r.content, data, f"{name} {obj}")
    details = etls.details(name).json()["init_msg"]
    assert details["runtime"]["image"] == image
    assert details["runtime"]["command"] == command


@pytest.mark.parametrize("image", ["aistorage/transformer_echo:latest",
                                   "aistorage/transformer_md5:latest",
                                   "aistorage/transformer_hash_with_args:latest"])
def test_stock_image_over_websocket(etl_cluster, etls, objects, sdk, image):
    """ws:// (which AIS allows only with direct put): the image's /ws session."""
    bucket, objs = objects
    name = etl_name(image, "ws", "ws")
    sdk.etl(name).init(image=image, command=UVICORN, comm_type="ws", direct_put=True)
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, name)
        assert r.status_code == 200, f"{obj}: {r.status_code} {r.text[:300]}"
        check_output(image, r.content, data, f"{name} {obj}")
    if "hash" in image:
        r = requests.get(etl_cluster.url + kh.obj_path(bucket, "big/1MiB"),
                         params={"provider": "ais", "etl_name": name, "etl_args": "99"},
                         timeout=60)
        assert (r.status_code, r.content) == (200, xxh(objs["big/1MiB"], 99))


def test_hash_with_args_default_seed_and_per_request_seed(etl_cluster, etls, objects, sdk):
    bucket, objs = objects
    name = "hash-seeds"
    sdk.etl(name).init(image="aistorage/transformer_hash_with_args:v1.2", command=UVICORN,
                       comm_type="hpush", SEED_DEFAULT="1234")
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, name)
        assert (r.status_code, r.content) == (200, xxh(data, 1234)), obj
        for seed in (0, 42, 2**63 + 11):
            r = requests.get(etl_cluster.url + kh.obj_path(bucket, obj),
                             params={"provider": "ais", "etl_name": name, "etl_args": str(seed)},
                             timeout=60)
            assert (r.status_code, r.content) == (200, xxh(data, seed)), (obj, seed)
    got = sdk.bucket(bucket).object("big/1MiB").get_reader(
        etl=ETLConfig(name, args="42")).read_all()
    assert got == xxh(objs["big/1MiB"], 42)
    # A seed that is not a number falls back to the default, as the real image does.
    r = requests.get(etl_cluster.url + kh.obj_path(bucket, "seed/shard.in"),
                     params={"provider": "ais", "etl_name": name, "etl_args": "not-a-seed"},
                     timeout=60)
    assert r.content == xxh(objs["seed/shard.in"], 1234)


@pytest.mark.parametrize("algo", ["gzip", "bz2"])
def test_compress_round_trip_with_options_and_args(etl_cluster, etls, objects, sdk, algo):
    bucket, objs = objects
    sdk.etl("zip-" + algo).init(
        image="aistorage/transformer_compress", command=UVICORN, comm_type="hpush",
        COMPRESS_OPTIONS=json.dumps({"mode": "compress", "compression": algo}))
    packed = {}
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, "zip-" + algo)
        assert r.status_code == 200, r.text[:300]
        unpack = gzip.decompress if algo == "gzip" else bz2.decompress
        assert unpack(r.content) == data, obj
        packed[obj] = r.content
    # The same image decompresses when etl_args say so: the round trip gives the bytes back.
    put_object(etl_cluster.url, bucket, "packed/obj", packed["bin/256x300"])
    args = json.dumps({"mode": "decompress", "compression": algo})
    r = requests.get(etl_cluster.url + kh.obj_path(bucket, "packed/obj"),
                     params={"provider": "ais", "etl_name": "zip-" + algo, "etl_args": args},
                     timeout=60)
    assert (r.status_code, r.content) == (200, objs["bin/256x300"])
    # Decompressing what is not compressed is the image's 500 with its reason.
    r = requests.get(etl_cluster.url + kh.obj_path(bucket, "seed/shard.in"),
                     params={"provider": "ais", "etl_name": "zip-" + algo, "etl_args": args},
                     timeout=60)
    assert r.status_code == 500 and f"not in {algo} format" in r.text, r.text


def test_workers_of_the_command_become_processes(etl_cluster, etls, objects, sdk):
    sdk.etl("md5-workers").init(image="aistorage/transformer_md5", comm_type="hpush",
                                command=UVICORN[:-1] + ["3"])
    # Three processes per target share the instance's socket, as uvicorn --workers 3 does.
    for t in etl_cluster.targets:
        wait_instances(str(t.data / "etl" / "md5-workers") + "/", 3)
    bucket, objs = objects
    r = etls.inline(bucket, "seed/shard.in", "md5-workers")
    assert r.content == b"393c6706efb128fbc442d3f7d084a426"


def test_stock_image_without_a_command_runs_its_entrypoint(etl_cluster, etls, objects, sdk):
    """The compat suite's form: init(image=...) alone, as the image's ENTRYPOINT would serve."""
    bucket, objs = objects
    sdk.etl("md5-entry").init(image="aistorage/transformer_md5:latest", comm_type="hpush")
    for obj, data in objs.items():
        got = sdk.bucket(bucket).object(obj).get_reader(etl=ETLConfig("md5-entry")).read_all()
        assert got == hashlib.md5(data).hexdigest().encode(), obj


def test_stock_image_with_a_foreign_command_is_400(etl_cluster, etls):
    r = etls.init({"name": "md5-nginx", "communication": "hpush://", "init_timeout": "30s",
                   "runtime": {"image": "aistorage/transformer_md5:latest",
                               "command": ["nginx", "-g", "daemon off;"]}})
    assert r.status_code == 400, r.text
    assert "nginx" in message(r) and "aistorage/transformer_md5" in message(r), message(r)


def test_user_mapping_runs_a_user_script_as_an_image(etl_cluster, etls, objects, sdk):
    bucket, objs = objects
    sdk.etl("team-upper").init(image="team/upper:2.1", comm_type="hpush", PREFIX="up:")
    for obj, data in objs.items():
        r = etls.inline(bucket, obj, "team-upper")
        assert (r.status_code, r.content) == (200, b"up:" + data.upper()), obj
    # The mapped command runs, with $(PORT) replaced by the port kilnd picked.
    procs = wait_instances("kiln-etl-user-image", 3)
    ports = {p.cmdline()[-2] for p in procs}
    assert all(p.isdigit() and p != "8000" for p in ports), ports
    assert etls.details("team-upper").json()["init_msg"]["runtime"]["image"] == "team/upper:2.1"


def test_unmapped_image_is_400_naming_the_ways(etl_cluster, etls):
    r = etls.init({"name": "unmapped", "communication": "hpush://", "init_timeout": "30s",
                   "runtime": {"image": "team/unknown:1", "command": ["/srv/run"]}})
    assert r.status_code == 400, r.text
    text = message(r)
    for part in ("team/unknown:1", "etl.images", "kilnd images", "etl.containers is off"):
        assert part in text, text


def test_kilnd_images_lists_catalogue_mappings_and_engine(etl_cluster):
    out = subprocess.run([str(kh.KILND), "images", "--config", str(etl_cluster.config)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for image in ["aistorage/transformer_" + n for n in
                  ("echo", "echo_go", "hello_world", "hello_world_go", "md5", "hash_with_args",
                   "compress")]:
        assert any(line.split()[:2] == [image, "stock"] for line in lines), (image, out.stdout)
    assert any(line.startswith("team/upper") and "config" in line and "$(PORT)" in line
               for line in lines), out.stdout
    assert "etl.containers is off" in out.stdout, out.stdout
    # The catalogue comes first for a mapping that names a stock image too (user first).
    assert lines[1].startswith("team/upper"), out.stdout
