"""Bucket control through the proxy: create, duplicate, HEAD props, list, destroy (and what that
leaves on the targets' disks), name validation, unsupported providers.
"""

import json

import pytest
import requests

import kilnharness as kh

CREATE = {"action": "create-bck", "name": "", "value": None}
DESTROY = {"action": "destroy-bck", "name": "", "value": None}
LIST = {"action": "list", "name": "", "value": None}


def create(url, name, **params):
    return requests.post(f"{url}/v1/buckets/{name}", params={"provider": "ais", **params},
                         json=CREATE, timeout=30)


def destroy(url, name):
    return requests.delete(f"{url}/v1/buckets/{name}", params={"provider": "ais"}, json=DESTROY,
                           timeout=30)


def list_buckets(url):
    r = requests.get(f"{url}/v1/buckets", params={"provider": "ais"}, json=LIST, timeout=30)
    assert r.status_code == 200, r.text
    return r


def assert_ais_error(r, status, *fragments):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    err = r.json()
    assert isinstance(err["message"], str) and err["message"], err
    assert err["status"] == status, err
    for f in fragments:
        assert f in err["message"], (f, err["message"])
    return err


def test_list_buckets_is_an_empty_array_when_there_are_none(cluster):
    r = list_buckets(cluster.url)
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.text.strip() == "[]"  # never `null`: the SDK iterates the answer
    # A bodyless GET lists buckets too.
    r = requests.get(f"{cluster.url}/v1/buckets", params={"provider": "ais"}, timeout=30)
    assert r.status_code == 200 and r.json() == []


def test_create_then_list_and_head(cluster):
    for name in ("alpha", "Beta.2", "gamma_3-x"):
        r = create(cluster.url, name)
        assert r.status_code == 200, r.text
    got = list_buckets(cluster.url).json()
    assert sorted(b["name"] for b in got) == ["Beta.2", "alpha", "gamma_3-x"]
    for b in got:
        assert b["provider"] == "ais"
        assert b["namespace"] == {"uuid": "", "name": ""}

    r = requests.head(f"{cluster.url}/v1/buckets/alpha", params={"provider": "ais"}, timeout=30)
    assert r.status_code == 200
    props = json.loads(r.headers["Ais-Bucket-Props"])  # the Go client parses it as JSON
    assert isinstance(props, dict)
    assert props["provider"] == "ais"
    # Go's `,string` fields.
    for key in ("bid", "created"):
        assert isinstance(props.get(key), str) and props[key].isdigit(), (key, props)


def test_duplicate_create_is_409(cluster):
    assert create(cluster.url, "b").status_code == 200
    err = assert_ais_error(create(cluster.url, "b"), 409, 'bucket "ais://b" already exists')
    assert err.get("tcode") == "ErrBucketAlreadyExists"
    assert [b["name"] for b in list_buckets(cluster.url).json()] == ["b"]


def test_head_missing_bucket_is_404(cluster):
    r = requests.head(f"{cluster.url}/v1/buckets/nope", params={"provider": "ais"}, timeout=30)
    assert r.status_code == 404
    assert not r.content
    assert 'ais://nope' in json.loads(r.headers["Hdr-Error"])["message"]


def test_destroy_removes_objects_from_every_target(cluster):
    assert create(cluster.url, "doomed").status_code == 200
    assert create(cluster.url, "kept").status_code == 200
    names = [f"d{i % 5}/o{i}" for i in range(60)]
    with requests.Session() as s:
        for bucket in ("doomed", "kept"):
            for n in names:
                r = s.put(cluster.url + kh.obj_path(bucket, n), data=n.encode(), timeout=30)
                assert r.status_code == 200, r.text
    for bucket in ("doomed", "kept"):
        on_disk = {t.name: sum(1 for p in t.bucket_dir(bucket).rglob("*") if p.is_file())
                   for t in cluster.targets}
        assert sum(on_disk.values()) == len(names) and all(on_disk.values()), on_disk

    r = destroy(cluster.url, "doomed")
    assert r.status_code == 200, r.text

    for t in cluster.targets:
        left = [p for p in t.bucket_dir("doomed").rglob("*") if p.is_file()]
        assert not left, f"{t.name} still has {left[:3]}"
        assert len(list(t.bucket_dir("kept").rglob("o*"))) > 0
    assert [b["name"] for b in list_buckets(cluster.url).json()] == ["kept"]
    r = requests.get(cluster.url + kh.obj_path("doomed", names[0]), timeout=30)
    assert_ais_error(r, 404, 'ais://doomed')
    r = requests.get(cluster.url + kh.obj_path("kept", names[0]), timeout=30)
    assert r.status_code == 200 and r.content == names[0].encode()

    # Re-created, the bucket starts empty.
    assert create(cluster.url, "doomed").status_code == 200
    r = requests.get(f"{cluster.url}/v1/buckets/doomed", params={"provider": "ais"},
                     json={"action": "list", "name": "", "value": {"props": "name"}}, timeout=30)
    assert r.status_code == 200 and not r.json()["entries"], r.text


def test_destroy_missing_bucket_is_404(cluster):
    assert_ais_error(destroy(cluster.url, "ghost"), 404, 'bucket "ais://ghost" does not exist')


# As they appear in the request path (percent-encoded where a client would encode them).
@pytest.mark.parametrize("name", [
    "has%20space", "slash%2Fin", "%C3%BCn%C3%AF", "star*", "x" * 65, "..", ".", "%2E%2E",
    "semi;colon", "at@", "%00nul", "tab%09",
])
def test_bad_bucket_name_is_400(cluster, name):
    r = kh.raw_request(cluster.url, "POST", f"/v1/buckets/{name}?provider=ais",
                       body=json.dumps(CREATE).encode(),
                       headers={"Content-Type": "application/json"})
    assert_ais_error(r, 400)
    assert list_buckets(cluster.url).json() == []


def test_longest_valid_bucket_name(cluster):
    name = "n" * 64
    assert create(cluster.url, name).status_code == 200
    assert [b["name"] for b in list_buckets(cluster.url).json()] == [name]


@pytest.mark.parametrize("provider", ["gcp", "aws", "azure", "ht"])
def test_other_providers_are_refused_with_a_json_error(cluster, provider):
    r = requests.post(f"{cluster.url}/v1/buckets/b", params={"provider": provider}, json=CREATE,
                      timeout=30)
    assert 400 <= r.status_code < 600
    err = assert_ais_error(r, r.status_code, provider)
    # Never 5xx-retryable: the SDK would replay a 500/502/503/504 for ~90 s.
    assert r.status_code not in (500, 502, 503, 504), err
    r = requests.get(f"{cluster.url}/v1/buckets", params={"provider": provider}, json=LIST,
                     timeout=30)
    assert_ais_error(r, r.status_code, provider)
    assert list_buckets(cluster.url).json() == []


def test_unknown_bucket_action_is_400(cluster):
    r = requests.post(f"{cluster.url}/v1/buckets/b", params={"provider": "ais"},
                      json={"action": "frobnicate", "name": "", "value": None}, timeout=30)
    assert_ais_error(r, 400, "frobnicate")
    assert list_buckets(cluster.url).json() == []


def test_buckets_survive_a_proxy_restart(cluster):
    """The proxy keeps the bucket metadata on disk; the targets come back to it."""
    assert create(cluster.url, "persist").status_code == 200
    url = cluster.url + kh.obj_path("persist", "o")
    assert requests.put(url, data=b"kept", timeout=30).status_code == 200
    port = cluster.proxy.port
    assert cluster.proxy.stop() == 0
    cluster.start_proxy(port=port)
    cluster.wait_targets(3)
    assert [b["name"] for b in list_buckets(cluster.url).json()] == ["persist"]
    r = requests.get(url, timeout=30)
    assert r.status_code == 200 and r.content == b"kept"
