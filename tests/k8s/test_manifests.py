"""The packaged manifests (packaging/k8s) as an operator applies them: kubectl against the real
kube-apiserver, a server-side dry run first and then for real. The proxy Deployment and the target
StatefulSet must become Ready under KWOK, one target per node, each with its volume bound; and the
packaged RBAC must give the targets' service account exactly the verbs its rules list."""

import subprocess
import time

import pytest
import yaml

from conftest import NAMESPACE, REPO, need

MANIFESTS = REPO / "packaging" / "k8s"
READY_TIMEOUT = 120


def kubectl(*args: str, kubeconfig: str | None = None, check=True) -> subprocess.CompletedProcess:
    cmd = [need("KILN_K8S_KUBECTL"), "--kubeconfig", kubeconfig or need("KILN_K8S_ADMIN_KUBECONFIG"),
           *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, f"{' '.join(cmd)}: rc {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def manifest(kind: str, name: str) -> dict:
    for path in sorted(MANIFESTS.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == kind and doc["metadata"]["name"] == name:
                return doc
    raise AssertionError(f"no {kind} {name} in {MANIFESTS}")


def workload(kube, kind: str, name: str) -> dict | None:
    plural = {"StatefulSet": "statefulsets", "Deployment": "deployments"}[kind]
    r = kube.get(f"/apis/apps/v1/namespaces/{NAMESPACE}/{plural}/{name}")
    if r.status_code == 404:
        return None
    r.raise_for_status()
    return r.json()


def post(kube, path: str, doc: dict) -> None:
    r = kube.http.post(kube.server + path, json=doc, timeout=10)
    assert r.status_code in (201, 409), f"create {doc['kind']}: {r.status_code} {r.text}"


def delete(kube, path: str) -> None:
    r = kube.http.delete(kube.server + path, timeout=10)
    assert r.status_code in (200, 202, 404), f"delete {path}: {r.status_code} {r.text}"


@pytest.fixture(scope="module")
def room(kube):
    """What the target StatefulSet needs from a cluster and the e2e one lacks: as many KWOK nodes as
    replicas (the targets' anti-affinity is required), and a volume per replica of the size its
    claim template asks for (no provisioner runs)."""
    sts = manifest("StatefulSet", "kiln-target")
    replicas = sts["spec"]["replicas"]
    claim = sts["spec"]["volumeClaimTemplates"][0]["spec"]
    nodes = need("KILN_K8S_NODES").split(",")
    added_nodes = [f"kwok-manifest-{i}" for i in range(len(nodes) + 1, replicas + 1)]
    for name in added_nodes:
        capacity = {"cpu": "8", "memory": "32Gi", "pods": "110"}
        post(kube, "/api/v1/nodes", {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                    "type": "kwok"}},
            "status": {"allocatable": capacity, "capacity": capacity}})
    volumes = [f"kiln-manifest-pv-{i}" for i in range(replicas)]
    for i, name in enumerate(volumes):
        post(kube, "/api/v1/persistentvolumes", {
            "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": claim["resources"]["requests"]["storage"]},
                     "accessModes": claim["accessModes"], "storageClassName": "",
                     "persistentVolumeReclaimPolicy": "Delete",
                     "hostPath": {"path": f"/tmp/{name}"}}})
    yield replicas
    kubectl("delete", "--ignore-not-found", "--wait=false", "-n", NAMESPACE,
            "-f", str(MANIFESTS / "proxy.yaml"), "-f", str(MANIFESTS / "target.yaml"))
    for i in range(replicas):
        delete(kube, f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims/data-kiln-target-{i}")
    for name in volumes:
        delete(kube, f"/api/v1/persistentvolumes/{name}")
    for name in added_nodes:
        delete(kube, f"/api/v1/nodes/{name}")


def wait_ready(kube, kind: str, name: str, replicas: int) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        obj = workload(kube, kind, name)
        status = (obj or {}).get("status", {})
        if status.get("readyReplicas", 0) == replicas and \
                status.get("observedGeneration") == obj["metadata"]["generation"]:
            return obj
        if time.monotonic() > deadline:
            events = kube.get(f"/api/v1/namespaces/{NAMESPACE}/events").json()["items"]
            tail = "\n".join(f"{e['involvedObject']['name']}: {e['reason']} {e.get('message', '')}"
                             for e in events[-15:])
            raise AssertionError(f"{kind} {name} not Ready ({status}) in {READY_TIMEOUT}s\n{tail}")
        time.sleep(0.5)


def test_the_manifests_apply_and_their_workloads_become_ready(kube, room):
    replicas = room
    dry = kubectl("apply", "--dry-run=server", "-k", str(MANIFESTS))
    assert "statefulset.apps/kiln-target created (server dry run)" in dry.stdout, dry.stdout
    assert "deployment.apps/kiln-proxy created (server dry run)" in dry.stdout, dry.stdout
    assert workload(kube, "StatefulSet", "kiln-target") is None, "a dry run created the StatefulSet"

    applied = kubectl("apply", "-k", str(MANIFESTS))
    assert "statefulset.apps/kiln-target created" in applied.stdout, applied.stdout

    proxy = manifest("Deployment", "kiln-proxy")["spec"]["replicas"]
    wait_ready(kube, "Deployment", "kiln-proxy", proxy)
    wait_ready(kube, "StatefulSet", "kiln-target", replicas)

    pods = kube.pods("app.kubernetes.io/component=target")
    assert sorted(p["metadata"]["name"] for p in pods) == \
        [f"kiln-target-{i}" for i in range(replicas)]
    nodes = [p["spec"]["nodeName"] for p in pods]
    assert len(set(nodes)) == replicas, f"targets share a node: {nodes}"
    assert all(p["spec"]["serviceAccountName"] == "kiln" for p in pods)
    claims = kube.get(f"/api/v1/namespaces/{NAMESPACE}/persistentvolumeclaims").json()["items"]
    phases = {c["metadata"]["name"]: c["status"].get("phase") for c in claims
              if c["metadata"]["name"].startswith("data-kiln-target-")}
    assert phases == {f"data-kiln-target-{i}": "Bound" for i in range(replicas)}

    # Applied again, nothing changes: the server finds no difference, and no workload's spec
    # generation moves. (Client-side apply still prints "configured" for the StatefulSet: its
    # patch restates the claim template, which has no merge key, and the server defaults
    # fields in it; the patch changes nothing.)
    diff = kubectl("diff", "-k", str(MANIFESTS), check=False)
    assert diff.returncode == 0, f"a second apply would change:\n{diff.stdout}{diff.stderr}"
    generations = {k: workload(kube, k, n)["metadata"]["generation"]
                   for k, n in (("StatefulSet", "kiln-target"), ("Deployment", "kiln-proxy"))}
    kubectl("apply", "-k", str(MANIFESTS))
    assert {k: workload(kube, k, n)["metadata"]["generation"]
            for k, n in (("StatefulSet", "kiln-target"), ("Deployment", "kiln-proxy"))} \
        == generations


def granted() -> set[tuple[str, str]]:
    """(verb, resource) pairs the packaged Role grants; a resource is `pods`, `pods/log` or
    `pods.metrics.k8s.io` (kind.group/subresource)."""
    pairs = set()
    for rule in manifest("Role", "kiln-etl")["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                kind, _, sub = resource.partition("/")
                name = (f"{kind}.{group}" if group else kind) + (f"/{sub}" if sub else "")
                pairs.update((verb, name) for verb in rule["verbs"])
    return pairs


KILN_ACCOUNT = f"system:serviceaccount:{NAMESPACE}:kiln"


def can_i(kube, verb: str, resource: str, namespace: str = NAMESPACE) -> bool:
    """The API server's authorizer on the kiln service account, through a SubjectAccessReview.
    `kubectl auth can-i` cannot ask this for an API group the server does not serve (here
    metrics.k8s.io: there is no metrics server), it drops the group."""
    kind, _, sub = resource.partition("/")
    name, _, group = kind.partition(".")
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": KILN_ACCOUNT,
                       "groups": ["system:serviceaccounts", f"system:serviceaccounts:{NAMESPACE}",
                                  "system:authenticated"],
                       "resourceAttributes": {"namespace": namespace, "verb": verb,
                                              "group": group, "resource": name,
                                              "subresource": sub}}}
    r = kube.http.post(kube.server + "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                       json=review, timeout=10)
    assert r.status_code == 201, f"access review of {verb} {resource}: {r.status_code} {r.text}"
    return bool(r.json()["status"].get("allowed"))


def test_the_targets_account_has_the_role_verbs_and_no_others(kube):
    grants = granted()
    assert grants, "the packaged Role grants nothing"
    for verb, resource in sorted(grants):
        assert can_i(kube, verb, resource), f"the kiln account cannot {verb} {resource}"
    every_verb = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]
    resources = {r for _, r in grants} | {"services", "secrets", "configmaps", "nodes",
                                          "statefulsets.apps", "roles.rbac.authorization.k8s.io"}
    extra = [(v, r) for r in sorted(resources) for v in every_verb
             if (v, r) not in grants and can_i(kube, v, r)]
    assert extra == [], f"beyond the Role's rules: {extra}"
    assert not can_i(kube, "create", "pods", namespace="default"), \
        "pods outside the kiln namespace"
