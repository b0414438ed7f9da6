"""A 1 GiB object through an echo ETL of each communication type, read as a stream and hashed,
while every target's RSS is sampled every 100 ms: a target passes the object on in constant
memory (growth under 64 MiB) for hpush://, hpull://, hrev://, io:// and ws://.

The instances are etl_servers/comm_server.py (spec) and etl_servers/comm_io.py (code); the object
is written once for the module, streamed in two steps as the SDK does (test_streaming.py).
"""

import time

import pytest
import requests
import xxhash

import kilnharness as kh
from test_streaming import MAX_GROWTH, MIB, SIZE, RssSampler, SizedStream
from etlharness import (
    SERVERS,
    STOP_DEADLINE,
    b64,
    check_nodes_alive,
    pod,
    spec_msg,
    wait_instances,
)

OBJ_TIMEOUT = "45s"  # ~10 s are enough; a stalled transform fails after this
READ_TIMEOUT = 60  # seconds without a byte before the client gives up (after OBJ_TIMEOUT)
OBJECT = "one-gib.bin"


@pytest.fixture(scope="module")
def big_object(etl_cluster):
    """ais://big/one-gib.bin: (bucket, xxh64). Headers first to the proxy, then the body to
    the target it redirects to; removed from disk at the end of the module."""
    bucket = kh.create_bucket(etl_cluster.url, "big")
    path = kh.obj_path(bucket, OBJECT) + "?provider=ais"
    first = kh.raw_request(etl_cluster.url, "PUT", path, headers={"Content-Length": str(SIZE)},
                           timeout=10)
    assert first.status_code == 307, first.text
    target = etl_cluster.target_for_url(first.headers["Location"])
    body = SizedStream()
    r = requests.put(first.headers["Location"], data=body, timeout=(5, 120))
    assert r.status_code == 200, r.text
    stored = target.bucket_dir(bucket) / OBJECT
    assert stored.stat().st_size == SIZE
    yield bucket, body.digest.hexdigest()
    stored.unlink(missing_ok=True)


CASES = {
    "hpull": ("hpull", ""),
    "hrev": ("hrev", ""),
    # The instance answers only once it has the whole object (not a streaming transform).
    "hpush, answer after the whole object": ("hpush", "buffered"),
    "io": ("io", ""),
    # A streaming transform: the instance answers while the object still arrives.
    "hpush": ("hpush", ""),
    # The instance (a standard-library server) holds the whole message; the target streams both
    # ways: the object out in frames, the answer on to the client as its frames arrive.
    "ws": ("ws", ""),
}


@pytest.mark.parametrize("comm,args", CASES.values(), ids=CASES.keys())
def test_one_gib_through_an_echo_etl(etl_cluster, api, big_object, comm, args):
    bucket, expected = big_object
    name = f"big-{comm}"
    marker = None
    if comm == "io":
        msg = {"name": name, "communication": "io://", "runtime": "python3",
               "code": b64((SERVERS / "comm_io.py").read_text()), "obj_timeout": OBJ_TIMEOUT}
    else:
        marker = etl_cluster.marker(comm)
        server = "ws_echo_server.py" if comm == "ws" else "comm_server.py"
        command = ["python3", str(SERVERS / server), "--port", "8000", "--marker", marker]
        msg = spec_msg(name, pod(name, command), comm=f"{comm}://")
        msg["obj_timeout"] = OBJ_TIMEOUT
        msg["support_direct_put"] = comm == "ws"  # AIS allows ws:// only with direct put
    api.init_ok(msg)
    try:
        targets = {t.name: t.ps for t in etl_cluster.targets}
        sampler = RssSampler(targets)
        digest, received = xxhash.xxh64(), 0
        params = {"provider": "ais", "etl_name": name}
        if args:
            params["etl_args"] = args
        t0 = time.monotonic()
        try:
            with requests.get(etl_cluster.url + kh.obj_path(bucket, OBJECT), params=params,
                              stream=True, timeout=(5, READ_TIMEOUT)) as r:
                assert r.status_code == 200, f"{comm}: {r.status_code} {r.text[:300]}"
                for chunk in r.iter_content(MIB):
                    digest.update(chunk)
                    received += len(chunk)
        finally:
            took = time.monotonic() - t0
            growth = sampler.stop()
            print(f"\n{comm}{', ' + args if args else ''}: {received / MIB:.0f} MiB in "
                  f"{took:.1f} s; target RSS growth: "
                  + ", ".join(f"{k} {v / MIB:.1f} MiB" for k, v in sorted(growth.items())))
        assert received == SIZE, f"{comm}: {received} of {SIZE} bytes in {took:.1f} s"
        assert digest.hexdigest() == expected, comm
        assert sampler.samples > 5
        worst = max(growth, key=growth.get)
        assert growth[worst] < MAX_GROWTH, \
            f"{comm}: {worst} grew {growth[worst] / MIB:.0f} MiB (all: {growth})"
    finally:
        check_nodes_alive(etl_cluster)
        r = api.delete(name)
        assert r.status_code == 200, f"DELETE {name}: {r.status_code} {r.text}"
        if marker:
            wait_instances(marker, 0, STOP_DEADLINE)
