"""kilnd targets run ETL instances as pods of a real kube-apiserver (KWOK plays the kubelet):
create with labels, env and node affinity, Ready by watch, health/logs/metrics, stop deletes,
an image that cannot be pulled fails init at once, RBAC denials are explained."""

import base64
import re
import time

import requests

import kilnharness as kh

INIT_TIMEOUT = 120


def etl_msg(name: str, image="aistorage/transformer_echo:latest", init_timeout="60s") -> dict:
    return {"name": name, "communication": "hpush://", "init_timeout": init_timeout,
            "obj_timeout": "30s", "runtime": {"image": image},
            "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}}


def selector(name: str) -> str:
    return f"app.kubernetes.io/managed-by=kiln,kiln/etl={name}"


def env_of(pod: dict) -> dict:
    return {e["name"]: e.get("value") for e in pod["spec"]["containers"][0].get("env", [])}


def test_init_runs_one_ready_pod_per_target_on_its_node(cluster, kube):
    t0 = time.monotonic()
    r = requests.put(f"{cluster.url}/v1/etl", json=etl_msg("echo-k8s"), timeout=INIT_TIMEOUT)
    assert r.status_code == 200, f"{r.status_code} {r.text}\n{cluster.log_tails()}"
    print(f"init of 2 pods answered in {time.monotonic() - t0:.1f} s")

    pods = kube.pods(selector("echo-k8s"))
    assert len(pods) == len(cluster.targets), [p["metadata"]["name"] for p in pods]
    target_urls = {t.node_id(): t.url for t in cluster.targets}
    for pod in pods:
        labels = pod["metadata"]["labels"]
        tid = labels["kiln/target"]
        node = cluster.node_of[tid]
        assert pod["metadata"]["name"] == re.sub(r"[^a-z0-9-]", "-", f"echo-k8s-{tid}".lower())
        assert labels["kiln/node"] == node
        # The scheduler bound it where the required affinity says: the target's node.
        assert pod["spec"]["nodeName"] == node
        term = pod["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
        assert term["matchExpressions"] == [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]
        env = env_of(pod)
        assert env["AIS_TARGET_URL"].startswith(f"{target_urls[tid]}/v1/etl/_object/echo-k8s/")
        assert env["DIRECT_PUT"] == "false"
        c = pod["spec"]["containers"][0]
        assert c["image"] == "aistorage/transformer_echo:latest"
        assert c["readinessProbe"]["httpGet"] == {"path": "/health", "port": "default",
                                                  "scheme": "HTTP"}
        assert c["terminationMessagePolicy"] == "FallbackToLogsOnError"
        ready = {x["type"]: x["status"] for x in pod["status"]["conditions"]}
        assert ready["Ready"] == "True" and pod["status"]["podIP"]

    r = requests.get(f"{cluster.url}/v1/etl/echo-k8s/health", timeout=30)
    assert r.status_code == 200, r.text
    assert {e["health_status"] for e in r.json()} == {"Running"}


def test_logs_and_metrics_come_from_the_api(cluster, kube):
    r = requests.get(f"{cluster.url}/v1/etl/echo-k8s/logs", timeout=30)
    assert r.status_code == 200, f"{r.status_code} {r.text}"
    logs = [base64.b64decode(e["logs"]).decode(errors="replace") for e in r.json()]
    assert len(logs) == len(cluster.targets)
    assert all("kiln e2e log line 2" in text for text in logs), r.text
    assert all("error" not in e for e in r.json()), r.text
    # No metrics-server in this cluster: each target's entry says which API is missing.
    r = requests.get(f"{cluster.url}/v1/etl/echo-k8s/metrics", timeout=30)
    assert r.status_code == 200, r.text
    assert len(r.json()) == len(cluster.targets), r.text
    for entry in r.json():
        assert "metrics.k8s.io has no CPU/memory figures" in entry["error"], r.text
        assert "404" in entry["error"], r.text


def test_stop_deletes_the_pods(cluster, kube):
    r = requests.post(f"{cluster.url}/v1/etl/echo-k8s/stop", timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text
    kh.wait_until(lambda: kube.pods(selector("echo-k8s")) == [], 30, "echo pods gone")
    r = requests.delete(f"{cluster.url}/v1/etl/echo-k8s", timeout=INIT_TIMEOUT)
    assert r.status_code == 200, r.text


def test_an_image_that_cannot_be_pulled_fails_init_at_once(cluster, kube):
    # The KWOK stage in tests/k8s/kwok.yaml.in puts this image into ImagePullBackOff.
    t0 = time.monotonic()
    r = requests.put(f"{cluster.url}/v1/etl",
                     json=etl_msg("nopull", image="kiln-e2e/image-pull-backoff:latest",
                                  init_timeout="90s"),
                     timeout=INIT_TIMEOUT)
    took = time.monotonic() - t0
    assert r.status_code >= 400, r.text
    assert "ImagePullBackOff" in r.text, r.text
    assert took < 30, f"init failed only after {took:.1f} s"
    print(f"ImagePullBackOff failed the init after {took:.2f} s")
    kh.wait_until(lambda: kube.pods(selector("nopull")) == [], 30, "nopull pods gone")
    requests.delete(f"{cluster.url}/v1/etl/nopull", timeout=INIT_TIMEOUT)


def test_a_missing_rbac_rule_is_named(cluster, kube):
    # Take "create pods" away from the role, try, and put it back.
    role_path = "/apis/rbac.authorization.k8s.io/v1/namespaces/kiln/roles/kiln-etl"
    role = kube.get(role_path).json()
    reduced = dict(role)
    reduced["rules"] = [dict(rule, verbs=[v for v in rule["verbs"] if v != "create"])
                        for rule in role["rules"]]
    put = lambda body: kube.http.put(kube.server + role_path, json=body, timeout=10)  # noqa: E731
    assert put(reduced).status_code == 200
    try:
        r = requests.put(f"{cluster.url}/v1/etl", json=etl_msg("denied"), timeout=INIT_TIMEOUT)
        assert r.status_code >= 400, r.text
        assert 'verb \\"create\\" on resource \\"pods\\"' in r.text or \
            'verb "create" on resource "pods"' in r.text, r.text
    finally:
        fresh = kube.get(role_path).json()
        fresh["rules"] = role["rules"]
        assert put(fresh).status_code == 200
        requests.delete(f"{cluster.url}/v1/etl/denied", timeout=INIT_TIMEOUT)
