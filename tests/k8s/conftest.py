"""Fixtures of the Kubernetes end-to-end suite: the API server that scripts/k8s-e2e started,
the packaged namespace and RBAC applied to it, and kilnd targets whose ETL runtime is it."""

import os
import sys
from pathlib import Path

import pytest
import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))

import kilnharness as kh  # noqa: E402

NAMESPACE = "kiln"


def need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run this suite through scripts/k8s-e2e", returncode=2)
    return value


class KubeApi:
    """The test's own view of the cluster, as cluster admin (Kiln itself gets far less)."""

    def __init__(self):
        self.server = need("KILN_K8S_SERVER")
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the cluster CA
        self.http.verify = need("KILN_K8S_CA")
        self.http.headers["Authorization"] = f"Bearer {need('KILN_K8S_ADMIN_TOKEN')}"

    def get(self, path: str, **params):
        return self.http.get(self.server + path, params=params, timeout=10)

    def pods(self, selector: str) -> list[dict]:
        r = self.get(f"/api/v1/namespaces/{NAMESPACE}/pods", labelSelector=selector)
        r.raise_for_status()
        return r.json()["items"]

    def apply(self, doc: dict) -> None:
        """Creates one object of the packaged manifests (an existing one is left as it is)."""
        kind, api = doc["kind"], doc["apiVersion"]
        plural = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Role": "roles",
                  "RoleBinding": "rolebindings"}[kind]
        base = "/api/v1" if api == "v1" else f"/apis/{api}"
        ns = doc["metadata"].get("namespace")
        path = f"{base}/namespaces/{ns}/{plural}" if ns else f"{base}/{plural}"
        r = self.http.post(self.server + path, json=doc, timeout=10)
        assert r.status_code in (201, 409), f"create {kind}: {r.status_code} {r.text}"


@pytest.fixture(scope="session")
def kube():
    api = KubeApi()
    for name in ("namespace.yaml", "rbac.yaml"):
        for doc in yaml.safe_load_all((REPO / "packaging" / "k8s" / name).read_text()):
            api.apply(doc)
    # Pods run as the namespace's default account; the controller that makes it is not running.
    api.apply({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "default", "namespace": NAMESPACE}})
    return api


class K8sCluster:
    """A kilnd proxy and one target per simulated node; target i authenticates with the i-th
    kubeconfig (bearer token, client certificate) as the packaged `kiln` service account."""

    def __init__(self, base: Path):
        self.base = base
        self.nodes = need("KILN_K8S_NODES").split(",")
        kubeconfigs = need("KILN_K8S_KUBECONFIGS").split(",")
        self.proxy = kh.Proxy(base / "proxy", base, kh.free_port())
        self.all = [self.proxy]
        self.targets: list[kh.Target] = []
        self.node_of: dict[str, str] = {}
        try:
            self.proxy.wait_ready()
            for i, (node, kubeconfig) in enumerate(zip(self.nodes, kubeconfigs), start=1):
                config = base / f"target-{i}.yaml"
                config.write_text(yaml.safe_dump({"etl": {
                    "runtime": "kubernetes", "kubeconfig": kubeconfig,
                    "namespace": NAMESPACE, "node_name": node}}))
                t = kh.Target(base / f"target-{i}", base, self.proxy.url,
                              extra=["--config", config], name=f"target-{i}")
                self.all.append(t)
                self.targets.append(t)
            for t in self.targets:
                self.node_of[t.node_id()] = self.nodes[self.targets.index(t)]
            kh.wait_until(lambda: len(kh.get_smap(self.url)["tmap"]) == len(self.targets),
                          kh.START_TIMEOUT, "all targets joined", on_fail=self.log_tails)
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return self.proxy.url

    def log_tails(self) -> str:
        return "\n".join(p.log_tail() for p in self.all)

    def close(self) -> None:
        for p in reversed(self.all):
            p.stop()


@pytest.fixture(scope="module")
def cluster(kube, tmp_path_factory):
    c = K8sCluster(tmp_path_factory.mktemp("k8s"))
    yield c
    c.close()
