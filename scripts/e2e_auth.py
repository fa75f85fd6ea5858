"""Access control with real clients: the registry jar with auth.enabled, on H2.

skopeo, buildah and podman push and pull with --creds user:password and user:PAT (the Docker token
flow: 401 challenge, GET /token with Basic credentials, bearer token); anonymous pulls of a public
image work and of a private image fail; podman login --authfile then push; pushing into another
account's namespace, with a pull-only PAT or with a revoked PAT fails; the docker CLI logs in with a
password and with a PAT, pushes and pulls, and is refused a private image after docker logout.
Org mode (O1-O6): an organization with a read team and a robot made through /api/v1; `podman login`
as the robot (org+ci) and skopeo pushes into the organization with its authfile; a non-member is
refused; a member of the read team pulls but cannot push; the robot's secret never reaches the log;
once deleted, the robot can neither push nor pull. Secrets never reach the log.
Imported by e2e.py (run through scripts/e2e).
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from e2e import PULL, PUSH, SKOPEO, Failure, Registry, check, dir_manifest, run
from e2e_docker import build_context

ADMIN, ADMIN_PASSWORD = "admin", "e2e-admin-password"
SCENARIO_IDS = [f"A{i}" for i in range(1, 12)] + [f"O{i}" for i in range(1, 7)]
DOCKER_SCENARIOS = {"A8", "A9", "A10"}  # they need e2e_docker's daemon


def with_prerequisites(ids):
    """The scenarios to run for a choice of them: A1 makes the accounts, A8 the docker image, O1 the
    organization, its team and robot (and O2 the image the others pull)."""
    ids = set(ids)
    org = {"O1", "O2"} if ids & {f"O{i}" for i in range(2, 7)} else set()
    return ids | {"A1"} | ({"A8"} if ids & {"A9", "A10"} else set()) | org


class Api:
    """The account API over urllib."""

    def __init__(self, reg):
        self.reg = reg

    def call(self, method, path, body=None, user=None, password=None):
        headers = {"Content-Type": "application/json"}
        if user:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://{self.reg.host}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def sign_up(self, user, password):
        status, body = self.call("POST", "/auth/signup", {"username": user, "password": password})
        check(status == 201, f"sign-up {user}: {status} {body}")

    def pat(self, user, password, actions):
        status, body = self.call("POST", "/auth/tokens", {"name": "e2e", "actions": actions}, user, password)
        check(status == 201, f"create PAT: {status} {body}")
        return body["id"], body["token"]


def fails(*cmd):
    """Runs a command that must fail; returns its output."""
    try:
        run(*cmd)
    except Failure as e:
        return str(e)
    raise Failure(f"expected to fail but succeeded: {' '.join(cmd)}")


def scenarios(reg, src, work, docker=None):
    """(name, fn) pairs; each fn returns a note or raises Failure. The docker ones need `docker`, an
    e2e_docker.DockerDaemon."""
    api = Api(reg)
    alice, alice_pw = "alice", "alice-e2e-password"
    bob, bob_pw = "bob", "bob-e2e-password-2"
    state = {}
    host = reg.host

    def a1_accounts():
        status, body = api.call("GET", "/v2/")
        check(status == 401, f"GET /v2/ without a token -> {status}")
        api.sign_up(alice, alice_pw)
        api.sign_up(bob, bob_pw)
        state["pat_id"], state["pat"] = api.pat(alice, alice_pw, ["pull", "push"])
        state["pull_pat_id"], state["pull_pat"] = api.pat(alice, alice_pw, ["pull"])
        status, body = api.call("GET", "/auth/account", user=ADMIN, password=ADMIN_PASSWORD)
        check(status == 200 and body["admin"] is True, f"bootstrap admin: {status} {body}")
        return "alice, bob signed up; 2 PATs; admin from config"

    def a2_skopeo_password_and_pat():
        ref = f"docker://{host}/{alice}/app:v1"
        run(*PUSH, "--dest-creds", f"{alice}:{alice_pw}", f"oci:{src.path}:app", ref)
        digest, layers, _ = dir_manifest(_pull(ref, work, "a2", "--src-creds", f"{alice}:{state['pat']}"))
        check(digest == src.manifest_digest("app") and layers == src.layer_digests("app"), "pulled image differs")
        run(*PUSH, "--dest-creds", f"{alice}:{state['pat']}", f"oci:{src.path}:app", f"docker://{host}/{alice}/app:v2")
        return "push with password, pull with PAT, push with PAT"

    def a3_anonymous_private_fails():
        out = fails(*PULL, f"docker://{host}/{alice}/app:v1", f"dir:{os.path.join(work, 'a3')}")
        check("unauthorized" in out.lower() or "denied" in out.lower() or "authentication required" in out.lower(),
              f"anonymous pull of a private image failed, but not for lack of access:\n{out[-800:]}")
        # and a wrong password is refused at the token endpoint
        fails(*PULL, "--src-creds", f"{alice}:wrong-password", f"docker://{host}/{alice}/app:v1",
              f"dir:{os.path.join(work, 'a3b')}")
        return "anonymous and wrong-password pulls of a private image refused"

    def a4_anonymous_public():
        status, body = api.call("PATCH", f"/auth/repositories/{alice}/app", {"visibility": "public"}, alice, alice_pw)
        check(status == 200, f"make public: {status} {body}")
        state["public"] = True
        digest, layers, _ = dir_manifest(_pull(f"docker://{host}/{alice}/app:v1", work, "a4"))
        check(digest == src.manifest_digest("app"), "anonymous pull of the public image differs")
        tags = json.loads(run(*SKOPEO, "list-tags", "--tls-verify=false", f"docker://{host}/{alice}/app"))
        check(sorted(tags["Tags"]) == ["v1", "v2"], f"anonymous list-tags gave {tags}")
        return "public after PATCH: anonymous pull and list-tags work"

    def a5_buildah_pat():
        storage = os.path.join(work, "buildah-auth")
        b = ["buildah", "--storage-driver", "vfs", "--root", os.path.join(storage, "root"),
             "--runroot", os.path.join(storage, "run")]
        hello = os.path.join(work, "auth-hello.txt")
        with open(hello, "w") as f:
            f.write("hello with credentials")
        container = run(*b, "from", "scratch").strip()
        run(*b, "copy", container, hello, "/hello.txt")
        run(*b, "commit", "-q", container, "localhost/e2e-auth:v1")
        remote = f"docker://{host}/{alice}/buildah:v1"
        fails(*b, "push", "--tls-verify=false", "localhost/e2e-auth:v1", remote)
        digest_file = os.path.join(work, "auth-buildah.digest")
        run(*b, "push", "--tls-verify=false", "--creds", f"{alice}:{state['pat']}", "--digestfile", digest_file,
            "localhost/e2e-auth:v1", remote)
        run(*b, "rmi", "--all", "--force")
        run(*b, "pull", "--tls-verify=false", "--creds", f"{alice}:{alice_pw}", remote)
        with open(digest_file) as f:
            pushed = f.read().strip()
        local = run(*b, "images", "--digests", "--format", "{{.Digest}}").split()
        check(local == [pushed], f"buildah pulled {local}, pushed {pushed}")
        return "anonymous push refused; push with PAT, pull with password"

    def a6_podman_login():
        storage = os.path.join(work, "podman-auth")
        runroot = tempfile.mkdtemp(prefix="e2e-pa-", dir="/tmp")
        authfile = os.path.join(work, "auth.json")
        p = ["podman", "--storage-driver", "vfs", "--root", os.path.join(storage, "root"), "--runroot", runroot]
        try:
            done = subprocess.run([*p, "login", "--tls-verify=false", "--authfile", authfile, "-u", alice,
                                   "--password-stdin", host], input=state["pat"], capture_output=True, text=True,
                                  timeout=120)
            check(done.returncode == 0, f"podman login failed: {done.stderr[-800:]}")
            run(*p, "pull", "--tls-verify=false", "--authfile", authfile, f"{host}/{alice}/app:v1")
            run(*p, "tag", f"{host}/{alice}/app:v1", f"{host}/{alice}/podman:v1")
            run(*p, "push", "--tls-verify=false", "--authfile", authfile, f"{host}/{alice}/podman:v1")
            status, _, raw = reg.http("GET", f"/v2/{alice}/podman/manifests/v1")
            check(status == 401, f"private podman repo readable without a token: {status}")
            digest, layers, _ = dir_manifest(_pull(f"docker://{host}/{alice}/podman:v1", work, "a6",
                                                   "--authfile", authfile))
            check(layers == src.layer_digests("app"), "podman-pushed layers differ")
            # bob's credentials cannot push into alice's namespace
            out = fails(*p, "push", "--tls-verify=false", "--creds", f"{bob}:{bob_pw}", f"{host}/{alice}/podman:v1",
                        f"docker://{host}/{alice}/by-bob:v1")
            check("denied" in out.lower() or "unauthorized" in out.lower() or "authentication required" in out.lower(),
                  f"bob's push failed for another reason:\n{out[-800:]}")
        finally:
            shutil.rmtree(runroot, ignore_errors=True)
        return "podman login --authfile, pull, push; bob's push into alice/ refused"

    def a7_limited_and_revoked():
        fails(*PUSH, "--dest-creds", f"{alice}:{state['pull_pat']}", f"oci:{src.path}:app",
              f"docker://{host}/{alice}/pull-only:v1")
        _pull(f"docker://{host}/{alice}/podman:v1", work, "a7", "--src-creds", f"{alice}:{state['pull_pat']}")
        status, body = api.call("DELETE", f"/auth/tokens/{state['pull_pat_id']}", user=alice, password=alice_pw)
        check(status == 204, f"revoke: {status} {body}")
        fails(*PULL, "--src-creds", f"{alice}:{state['pull_pat']}", f"docker://{host}/{alice}/podman:v1",
              f"dir:{os.path.join(work, 'a7b')}")
        return "pull-only PAT cannot push; revoked PAT refused at once"

    def a8_docker_password():
        image = f"{host}/{alice}/docker:v1"
        files = {"hello.txt": f"hello from docker, logged in {time.time()}\n".encode()}
        state["docker_id"] = built = docker.build(build_context(work, "a8-context", files), image)
        docker.refused("push", image)
        docker.fails("login", "-u", alice, "--password-stdin", host, input="wrong-password")
        check(host not in docker.auths(), "a refused docker login stored credentials")
        docker.login(host, alice, alice_pw)
        state["docker_digest"] = digest = docker.push(image)
        docker.rmi(image)
        docker("pull", image)
        pulled = docker.inspect(image)
        check(pulled["Id"] == built and f"{host}/{alice}/docker@{digest}" in pulled["RepoDigests"],
              f"docker pulled {pulled['Id']} {pulled['RepoDigests']}, pushed {built} as {digest}")
        docker.rmi(image)
        docker.logout(host)
        return "wrong password refused; login with password, push, pull back the same image ID"

    def a9_docker_pat():
        image = f"{host}/{alice}/docker:v1"
        docker.login(host, alice, state["pat"])
        docker("pull", image)
        check(docker.inspect(image)["Id"] == state["docker_id"], "docker pulled another image with the PAT")
        docker("tag", image, f"{host}/{alice}/docker:v2")
        digest = docker.push(f"{host}/{alice}/docker:v2")
        check(digest == state["docker_digest"], f"v2 pushed as {digest}, v1 was {state['docker_digest']}")
        docker.rmi(image, f"{host}/{alice}/docker:v2")
        docker.logout(host)
        return "login --password-stdin with a PAT, pull, tag and push"

    def a10_docker_logout():
        docker.refused("pull", f"{host}/{alice}/docker:v1")
        docker.fails("image", "inspect", f"{host}/{alice}/docker:v1")
        check(docker.auths() == {}, f"credentials left in DOCKER_CONFIG: {list(docker.auths())}")
        if not state.get("public"):
            return "after logout the private image is refused"
        docker("pull", f"{host}/{alice}/app:v1")  # made public by A4
        docker.rmi(f"{host}/{alice}/app:v1")
        return "after logout the private image is refused, the public one pulls"

    def a11_no_secrets_in_log():
        log = reg.read_log()
        for secret in (alice_pw, bob_pw, ADMIN_PASSWORD, state["pat"], state["pull_pat"]):
            check(secret not in log, "a secret appears in the registry log")
        check("v4.public." not in log, "an access token appears in the registry log")
        check("authentication failed" in log, "failed sign-ins were not logged")
        return "no password, PAT or token in the DEBUG log; failures logged"

    # --- Org mode: an organization with a team and a robot (O1-O6) ---
    carol, carol_pw = "carol", "carol-e2e-password-3"
    org = "acme"

    def o1_organization():
        api.sign_up(carol, carol_pw)
        status, body = api.call("POST", "/api/v1/orgs", {"name": org}, alice, alice_pw)
        check(status == 201 and body["role"] == "owner", f"create organization: {status} {body}")
        status, body = api.call("POST", f"/api/v1/orgs/{org}/teams",
                                {"name": "readers", "role": "read", "all_repositories": True}, alice, alice_pw)
        check(status == 201, f"create team: {status} {body}")
        status, body = api.call("PUT", f"/api/v1/orgs/{org}/teams/readers/members/{bob}", None, alice, alice_pw)
        check(status == 204, f"add bob to the team: {status} {body}")
        status, body = api.call("POST", f"/api/v1/namespaces/{org}/robots",
                                {"name": "ci", "role": "write", "all_repositories": True, "may_create": True},
                                alice, alice_pw)
        check(status == 201 and body["name"] == f"{org}+ci" and body["secret"].startswith("orrobot_"),
              f"create robot: {status} {body}")
        state["robot"] = body["secret"]
        status, body = api.call("GET", f"/api/v1/namespaces/{org}/robots/ci", user=alice, password=alice_pw)
        check(status == 200 and "secret" not in body, f"a robot read back shows its secret or fails: {status} {body}")
        return f"{org}: owner {alice}, team readers (read, all repositories) with {bob}, robot {org}+ci (write, may create)"

    def o2_robot_podman_login_skopeo_push():
        runroot = tempfile.mkdtemp(prefix="e2e-or-", dir="/tmp")
        authfile = os.path.join(work, "robot-auth.json")
        p = ["podman", "--storage-driver", "vfs", "--root", os.path.join(work, "podman-robot"), "--runroot", runroot]
        try:
            done = subprocess.run([*p, "login", "--tls-verify=false", "--authfile", authfile, "-u", f"{org}+ci",
                                   "--password-stdin", host], input=state["robot"], capture_output=True, text=True,
                                  timeout=120)
            check(done.returncode == 0, f"podman login as the robot failed: {done.stderr[-800:]}")
        finally:
            shutil.rmtree(runroot, ignore_errors=True)
        ref = f"docker://{host}/{org}/app:v1"
        run(*PUSH, "--dest-authfile", authfile, f"oci:{src.path}:app", ref)
        digest, layers, _ = dir_manifest(_pull(ref, work, "o2", "--src-authfile", authfile))
        check(digest == src.manifest_digest("app") and layers == src.layer_digests("app"), "pulled image differs")
        state["robot_authfile"] = authfile
        return f"podman login -u {org}+ci; skopeo push into {org}/app (created by the robot) and pull back"

    def o3_non_member_refused():
        out = fails(*PULL, "--src-creds", f"{carol}:{carol_pw}", f"docker://{host}/{org}/app:v1",
                    f"dir:{os.path.join(work, 'o3')}")
        check("unauthorized" in out.lower() or "denied" in out.lower() or "authentication required" in out.lower(),
              f"carol's pull failed for another reason:\n{out[-800:]}")
        fails(*PUSH, "--dest-creds", f"{carol}:{carol_pw}", f"oci:{src.path}:app", f"docker://{host}/{org}/carol:v1")
        status, body = api.call("GET", f"/api/v1/orgs/{org}", user=carol, password=carol_pw)
        check(status == 404, f"a non-member sees the organization: {status} {body}")
        return "a non-member can neither pull nor push, and the organization answers 404 to it"

    def o4_read_team_member():
        digest, _, _ = dir_manifest(_pull(f"docker://{host}/{org}/app:v1", work, "o4", "--src-creds", f"{bob}:{bob_pw}"))
        check(digest == src.manifest_digest("app"), "bob pulled another image")
        fails(*PUSH, "--dest-creds", f"{bob}:{bob_pw}", f"oci:{src.path}:app", f"docker://{host}/{org}/app:bob")
        return "a member of the read team pulls, cannot push"

    def o5_robot_secret_not_logged():
        log = reg.read_log()
        check(state["robot"] not in log, "the robot's secret appears in the registry log")
        check(state["robot"][len("orrobot_"):] not in log, "the random part of the robot's secret is in the log")
        return "the robot's secret is nowhere in the DEBUG log"

    def o6_removed_robot_stops():
        status, body = api.call("DELETE", f"/api/v1/namespaces/{org}/robots/ci", user=alice, password=alice_pw)
        check(status == 204, f"delete robot: {status} {body}")
        out = fails(*PUSH, "--dest-authfile", state["robot_authfile"], f"oci:{src.path}:app",
                    f"docker://{host}/{org}/app:v2")
        check("unauthorized" in out.lower() or "denied" in out.lower() or "authentication required" in out.lower(),
              f"the removed robot's push failed for another reason:\n{out[-800:]}")
        fails(*PULL, "--src-authfile", state["robot_authfile"], f"docker://{host}/{org}/app:v1",
              f"dir:{os.path.join(work, 'o6')}")
        return "after DELETE the robot can neither push nor pull"

    return [("A1 accounts and PATs", a1_accounts), ("A2 skopeo password/PAT", a2_skopeo_password_and_pat),
            ("A3 private: anon refused", a3_anonymous_private_fails), ("A4 public: anon pull", a4_anonymous_public),
            ("A5 buildah --creds PAT", a5_buildah_pat), ("A6 podman login+push", a6_podman_login),
            ("A7 pull-only, revoked PAT", a7_limited_and_revoked), ("A8 docker login password", a8_docker_password),
            ("A9 docker login PAT", a9_docker_pat), ("A10 docker logout: refused", a10_docker_logout),
            ("A11 no secrets in log", a11_no_secrets_in_log),
            ("O1 org, team, robot", o1_organization), ("O2 robot: podman+skopeo", o2_robot_podman_login_skopeo_push),
            ("O3 non-member refused", o3_non_member_refused), ("O4 read team: pull only", o4_read_team_member),
            ("O5 robot secret not logged", o5_robot_secret_not_logged), ("O6 robot removed: refused", o6_removed_robot_stops)]


def _pull(ref, work, name, *extra):
    out = os.path.join(work, name + "-pull")
    shutil.rmtree(out, ignore_errors=True)
    run(*SKOPEO, "copy", "--src-tls-verify=false", *extra, ref, f"dir:{out}")
    return out


def start(jar, work):
    return Registry(jar, work, None, {"OPENREGISTRY_AUTH_ENABLED": "true",
                                      "OPENREGISTRY_AUTH_ADMIN_USERNAME": ADMIN,
                                      "OPENREGISTRY_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD})
