"""`kilnd authn` (issue #21) driven by the official SDK's AuthNClient, next to a
`kilnd cluster --auth` with the same secret: the admin logs in, registers the cluster, makes a
read-only role and a user; the user's token reads but cannot write; logout revokes the token on
the cluster too; users survive a restart and no password hash ever leaves the service."""

import os
import secrets
import uuid

import pytest
import requests
from aistore.sdk import Client
from aistore.sdk.authn import AuthNClient
from aistore.sdk.authn.access_attr import AccessAttr
from aistore.sdk.authn.errors import ErrUserInvalidCredentials
from aistore.sdk.errors import AISError

import kilnharness as kh

SECRET = secrets.token_hex(16)
ADMIN_PASS = "adm-" + secrets.token_hex(4)


class Authn(kh.KilndProcess):
    def __init__(self, data, logdir, port):
        self.url = f"http://{kh.HOST}:{port}"
        super().__init__(["authn", "--data", data, "--port", port, "--host", kh.HOST], logdir,
                         f"authn-{port}")

    def wait_ready(self):
        def healthy():
            self.check_alive()
            try:
                return requests.get(f"{self.url}/v1/health", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        kh.wait_until(healthy, kh.START_TIMEOUT, "authn healthy", on_fail=self.log_tail)
        return self


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    base = tmp_path_factory.mktemp("authn")
    os.environ["KILN_AUTH_SECRET"] = SECRET
    os.environ["AIS_AUTHN_SU_PASS"] = ADMIN_PASS
    sup = kh.Supervisor(base / "cluster", base, targets=1, extra=["--auth"])
    authn = Authn(base / "authn", base, kh.free_port())
    state = {"base": base, "process": authn}
    try:
        state.update(cluster=sup.wait_ready(), authn=authn.wait_ready().url)
        yield state
    finally:
        del os.environ["KILN_AUTH_SECRET"]
        del os.environ["AIS_AUTHN_SU_PASS"]
        state["process"].stop()
        authn.stop()
        sup.close()


def test_login_role_user_and_access(env):
    admin = AuthNClient(env["authn"])
    admin_token = admin.login("admin", ADMIN_PASS)
    with pytest.raises(ErrUserInvalidCredentials):
        AuthNClient(env["authn"]).login("admin", "wrong")

    alias = "kiln-" + uuid.uuid4().hex[:6]
    admin.cluster_manager().register(alias, [env["cluster"]])
    bucket = "authn-" + uuid.uuid4().hex[:6]
    cluster_admin = Client(env["cluster"], token=admin_token)
    cluster_admin.bucket(bucket).create()
    cluster_admin.bucket(bucket).object("o").get_writer().put_content(b"data")

    readonly = [AccessAttr.GET, AccessAttr.OBJ_HEAD, AccessAttr.OBJ_LIST, AccessAttr.BCK_HEAD]
    admin.role_manager().create("readers", "read only", alias, readonly)
    admin.user_manager().create("bob", ["readers"], "bob-pass")
    users = requests.get(f"{env['authn']}/v1/users",
                         headers={"Authorization": f"Bearer {admin_token}"}, timeout=5).json()
    assert set(users) == {"admin", "bob"}
    assert "pbkdf2" not in str(users) and "pass" not in str(users)

    bob = AuthNClient(env["authn"])
    bob_token = bob.login("bob", "bob-pass")
    reader = Client(env["cluster"], token=bob_token)
    assert reader.bucket(bucket).object("o").get_reader().read_all() == b"data"
    with pytest.raises(AISError) as denied:
        reader.bucket(bucket).object("p").get_writer().put_content(b"x")
    assert denied.value.status_code == 403

    # A reader may not manage AuthN either.
    r = requests.post(f"{env['authn']}/v1/roles", json={"name": "x"},
                      headers={"Authorization": f"Bearer {bob_token}"}, timeout=5)
    assert r.status_code == 403, r.text

    bob.logout()  # revokes on AuthN, which tells the registered cluster
    kh.wait_until(lambda: requests.get(
        f"{env['cluster']}/v1/objects/{bucket}/o",
        headers={"Authorization": f"Bearer {bob_token}"}, timeout=5).status_code == 401,
        10, "the revoked token refused by the cluster")


def test_users_survive_a_restart(env):
    env["process"].stop()
    port = int(env["authn"].rsplit(":", 1)[1])
    again = Authn(env["base"] / "authn", env["base"], port).wait_ready()
    env["process"] = again
    assert AuthNClient(again.url).login("bob", "bob-pass")
    saved = (env["base"] / "authn" / "authn.json").read_text()
    assert "bob-pass" not in saved and "pbkdf2-sha256$" in saved
