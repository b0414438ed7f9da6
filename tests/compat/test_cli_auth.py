"""The real `ais auth ...` CLI against `kilnd authn` and a `kilnd cluster --auth` that share a
secret (issue #21): log in, register the cluster, add a read-only role and a user, show them;
the user reads and is refused writes, bucket creation and ETLs; logout revokes the token on the
cluster too. The CLI keeps its token in AIS_AUTHN_TOKEN_FILE, a file of this test's own."""

import json
import os
import secrets
import uuid

import pytest
import requests

import aiscli
import kilnharness as kh

SECRET = secrets.token_hex(16)
ADMIN_PASS = "adm-" + secrets.token_hex(4)


@pytest.fixture(scope="module")
def env(tmp_path_factory, ais_binary):
    base = tmp_path_factory.mktemp("cli-auth")
    os.environ["KILN_AUTH_SECRET"] = SECRET
    os.environ["AIS_AUTHN_SU_PASS"] = ADMIN_PASS
    port = kh.free_port()
    sup = kh.Supervisor(base / "cluster", base, targets=2, extra=["--auth"])
    authn = kh.KilndProcess(["authn", "--data", base / "authn", "--port", port, "--host", kh.HOST],
                            base, "authn")
    try:
        url = sup.wait_ready()
        authn_url = f"http://{kh.HOST}:{port}"
        kh.wait_until(lambda: authn.check_alive() or _healthy(authn_url), kh.START_TIMEOUT,
                      "authn healthy", on_fail=authn.log_tail)
        cli = aiscli.Cli(ais_binary, url, base / "ais-home")
        cli.env.update(AIS_AUTHN_URL=authn_url, AIS_AUTHN_TOKEN_FILE=str(base / "token"))
        yield {"url": url, "cli": cli, "base": base}
    finally:
        del os.environ["KILN_AUTH_SECRET"]
        del os.environ["AIS_AUTHN_SU_PASS"]
        authn.stop()
        sup.close()


def _healthy(url: str) -> bool:
    try:
        return requests.get(f"{url}/v1/health", timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def ok(cli, *args):
    r = cli.run(*args)
    assert r.rc == 0, f"ais {' '.join(args)}: {r}"
    return r.out


def refused(cli, *args, needs: str):
    r = cli.run(*args)
    assert r.rc != 0, f"ais {' '.join(args)} was not refused: {r}"
    assert f"{needs} needed" in r.err + r.out, r
    return r


@pytest.mark.cli("ais auth login", "ais auth add cluster", "ais auth show cluster",
                 "ais auth add role", "ais auth show role", "ais auth add user",
                 "ais auth show user", "ais auth logout", "ais auth set user", "ais auth rm user")
def test_admin_sets_up_a_reader_who_reads_only(env):
    cli, url = env["cli"], env["url"]
    r = cli.run("ls")
    assert r.rc != 0 and "token required" in r.err, r
    assert "Logged in" in ok(cli, "auth", "login", "admin", "-p", ADMIN_PASS)

    ok(cli, "auth", "add", "cluster", "kiln", url)
    assert url in ok(cli, "auth", "show", "cluster")
    ok(cli, "auth", "add", "role", "readers", "ro", "--cluster", "kiln", "--description", "ro")
    role = ok(cli, "auth", "show", "role", "readers")
    assert "GET,HEAD-OBJECT,HEAD-BUCKET,LIST-OBJECTS" in role, role
    ok(cli, "auth", "add", "user", "bob", "-p", "bob-pass", "readers")
    users = ok(cli, "auth", "show", "user")
    assert "bob" in users and "readers" in users, users

    bucket = "ais://cli-auth-" + uuid.uuid4().hex[:6]
    data = env["base"] / "f.txt"
    data.write_bytes(b"hello")
    ok(cli, "bucket", "create", bucket)
    ok(cli, "put", str(data), f"{bucket}/f.txt")

    ok(cli, "auth", "login", "bob", "-p", "bob-pass")
    assert cli.raw("get", f"{bucket}/f.txt", "-") == b"hello"
    assert "f.txt" in ok(cli, "ls", bucket)
    refused(cli, "put", str(data), f"{bucket}/g.txt", needs="PUT")
    refused(cli, "bucket", "create", "ais://nope-" + uuid.uuid4().hex[:6], needs="CREATE-BUCKET")
    refused(cli, "etl", "show", needs="ADMIN")
    refused(cli, "bucket", "rm", bucket, "-y", needs="DESTROY-BUCKET")

    token = (env["base"] / "token").read_text()
    ok(cli, "auth", "logout")
    raw = json.loads(token)["token"]
    kh.wait_until(lambda: requests.get(f"{url}/v1/objects/{bucket[6:]}/f.txt",
                                       headers={"Authorization": f"Bearer {raw}"},
                                       timeout=5).status_code == 401,
                  10, "the logged-out token refused by the cluster")


def test_a_password_change_keeps_the_roles_and_rm_user_ends_logins(env):
    cli = env["cli"]
    ok(cli, "auth", "login", "admin", "-p", ADMIN_PASS)
    ok(cli, "auth", "add", "user", "carol", "-p", "old-pass", "Admin")
    ok(cli, "auth", "set", "user", "carol", "-p", "new-pass")
    assert "Admin" in ok(cli, "auth", "show", "user", "carol")
    r = cli.run("auth", "login", "carol", "-p", "old-pass")
    assert r.rc != 0 and "invalid credentials" in r.err + r.out, r
    ok(cli, "auth", "login", "carol", "-p", "new-pass")
    ok(cli, "auth", "login", "admin", "-p", ADMIN_PASS)
    ok(cli, "auth", "rm", "user", "carol")
    r = cli.run("auth", "login", "carol", "-p", "new-pass")
    assert r.rc != 0, r
