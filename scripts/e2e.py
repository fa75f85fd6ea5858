#!/usr/bin/env python3
"""Real clients (skopeo, buildah, podman, docker) against the registry jar, on H2 and on PostgreSQL,
and (L1) through haproxy in front of two replicas.

Every scenario pushes, pulls back and compares manifest and layer digests with the source. Test
images are built here without network (umoci, buildah from scratch, or written directly as an
OCI layout). Run through scripts/e2e, which installs the tools.
"""
import argparse
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

import e2e_auth  # noqa: E402  (imports this module back for its helpers)
import e2e_docker  # noqa: E402  (likewise)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCEPT = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST,
                    "application/vnd.docker.distribution.manifest.list.v2+json"])
GIB = 1024 ** 3


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(*cmd, env=None, timeout=900, input=None):
    """Runs a command (input, if given, on its stdin); raises Failure with its output when it fails."""
    started = time.time()
    proc = subprocess.run(list(cmd), capture_output=True, text=True, env=env, timeout=timeout, input=input)
    if proc.returncode != 0:
        raise Failure(f"command failed ({proc.returncode}): {' '.join(cmd)}\n"
                      f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
    if time.time() - started > 5:
        print(f"    ({time.time() - started:.1f}s) {' '.join(cmd)[:140]}", flush=True)
    return proc.stdout


def sha256_bytes(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- OCI layouts on disk

class Layout:
    """An OCI image layout directory: read manifests by tag, add blobs and tags."""

    def __init__(self, path):
        self.path = path

    def blob_path(self, digest):
        algorithm, hexpart = digest.split(":")
        return os.path.join(self.path, "blobs", algorithm, hexpart)

    def blob(self, digest):
        with open(self.blob_path(digest), "rb") as f:
            return f.read()

    def index(self):
        with open(os.path.join(self.path, "index.json")) as f:
            return json.load(f)

    def descriptor(self, tag):
        for d in self.index()["manifests"]:
            if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
                return d
        raise Failure(f"no tag {tag} in {self.path}")

    def manifest_digest(self, tag):
        return self.descriptor(tag)["digest"]

    def manifest(self, tag):
        return json.loads(self.blob(self.manifest_digest(tag)))

    def layer_digests(self, tag):
        return [layer["digest"] for layer in self.manifest(tag)["layers"]]

    def add_blob(self, data):
        digest = sha256_bytes(data)
        with open(self.blob_path(digest), "wb") as f:
            f.write(data)
        return digest

    def tag(self, tag, media_type, digest, size):
        index = self.index()
        index["manifests"] = [d for d in index["manifests"]
                              if d.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
        index["manifests"].append({"mediaType": media_type, "digest": digest, "size": size,
                                   "annotations": {"org.opencontainers.image.ref.name": tag}})
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(index, f)


def verify_layout_blobs(layout, digests):
    for digest in digests:
        check(sha256_file(layout.blob_path(digest)) == digest, f"blob {digest} in {layout.path} is corrupt")


def dir_manifest(path):
    """The manifest digest and layer digests of a skopeo dir: copy, blobs verified."""
    with open(os.path.join(path, "manifest.json"), "rb") as f:
        raw = f.read()
    manifest = json.loads(raw)
    layers = [layer["digest"] for layer in manifest["layers"]]
    for digest in layers + [manifest["config"]["digest"]]:
        check(sha256_file(os.path.join(path, digest.split(":")[1])) == digest, f"pulled blob {digest} is corrupt")
    return sha256_bytes(raw), layers, manifest


# ---------------------------------------------------------------- servers

class Postgres:
    """Debian's PostgreSQL server in a temp dir, run as the postgres user (initdb refuses root)."""

    def __init__(self, work):
        bins = sorted(d for d in os.listdir("/usr/lib/postgresql"))
        self.bin = f"/usr/lib/postgresql/{bins[-1]}/bin"
        self.dir = os.path.join(work, "pgdata")
        self.port = free_port()
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(work, 0o755)
        self.as_postgres(f"{self.bin}/initdb", "-D", self.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.as_postgres(f"{self.bin}/pg_ctl", "-D", self.dir, "-w", "-l", os.path.join(self.dir, "log"),
                         "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.as_postgres(f"{self.bin}/createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "registry")

    @staticmethod
    def as_postgres(*cmd):
        return run("runuser", "-u", "postgres", "--", *cmd)

    def url(self):
        return f"r2dbc:postgresql://postgres@127.0.0.1:{self.port}/registry"

    def query(self, sql):
        """Rows of a query as lists of strings (psql unaligned output)."""
        out = run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "registry",
                  "-At", "-F", "\t", "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def stop(self):
        try:
            self.as_postgres(f"{self.bin}/pg_ctl", "-D", self.dir, "-m", "fast", "-w", "stop")
        except Failure as e:
            print(f"warning: postgres stop: {e}", file=sys.stderr)


class IpfsNode:
    """A real (js-ipfs) node from scripts/ipfs-node, for storage.driver=ipfs."""

    def __init__(self, work):
        self.dir = os.path.join(work, "ipfs")
        os.makedirs(self.dir)
        self.api = run("bash", os.path.join(ROOT, "scripts", "ipfs-node"), "start", self.dir, timeout=1200).strip().splitlines()[-1]

    def env(self):
        return {"OPENREGISTRY_STORAGE_DRIVER": "ipfs", "OPENREGISTRY_STORAGE_IPFS_API": self.api}

    def fetch(self, location):
        request = urllib.request.Request(f"{self.api}/api/v0/cat?arg={location}", method="POST")
        with urllib.request.urlopen(request, timeout=300) as response:
            return response.read()

    def stop(self):
        run("bash", os.path.join(ROOT, "scripts", "ipfs-node"), "stop", self.dir)


class S3Proxy:
    """S3Proxy (the standalone jar from Maven Central, fetched by scripts/e2e) on a free port, for
    storage.driver=s3. Requests are not authenticated here so the test can read objects directly."""

    JAR = os.path.join(os.environ.get("OPENREGISTRY_CACHE", os.path.expanduser("~/.cache/openregistry")),
                       "s3proxy-2.6.0-jar-with-dependencies.jar")

    def __init__(self, work):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        data = os.path.join(work, "s3")
        os.makedirs(os.path.join(data, "layers"))  # the filesystem provider's bucket is a directory
        conf = os.path.join(work, "s3proxy.conf")
        with open(conf, "w") as f:
            f.write(f"s3proxy.endpoint={self.endpoint}\ns3proxy.authorization=none\n"
                    f"jclouds.provider=filesystem\njclouds.filesystem.basedir={data}\n")
        self.log = open(os.path.join(work, "s3proxy.log"), "w")
        self.proc = subprocess.Popen(["java", "-Xmx256m", "-jar", self.JAR, "--properties", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            check(self.proc.poll() is None and time.time() < deadline, "S3Proxy did not start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)

    def env(self):
        return {"OPENREGISTRY_STORAGE_DRIVER": "s3", "OPENREGISTRY_STORAGE_S3_ENDPOINT": self.endpoint,
                "OPENREGISTRY_STORAGE_S3_BUCKET": "layers", "OPENREGISTRY_STORAGE_S3_ACCESS_KEY": "e2e",
                "OPENREGISTRY_STORAGE_S3_SECRET_KEY": "e2e-secret", "OPENREGISTRY_STORAGE_S3_PART_SIZE": str(8 << 20)}

    def fetch(self, location):
        with urllib.request.urlopen(f"{self.endpoint}/layers/{location}", timeout=300) as response:
            return response.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def check_locations(postgres, store, src):
    """Each layer's row holds where the bytes are; fetching them there gives the layer's digest."""
    layers = src.layer_digests("app")
    rows = {r[0]: r for r in postgres.query("SELECT digest, backend, location FROM blobs")}
    for digest in layers:
        check(digest in rows, f"no blob row for layer {digest}")
        _, backend, location = rows[digest]
        check(backend == store.env()["OPENREGISTRY_STORAGE_DRIVER"], f"layer {digest} stored by {backend}")
        check(sha256_bytes(store.fetch(location)) == digest, f"{backend} object {location} does not hash to {digest}")
    return f"{len(layers)} layer rows point at {rows[layers[0]][1]} objects with the right digests"


class Registry:
    """The registry jar in a child JVM with a 128 MiB heap, on a free loopback port."""

    def __init__(self, jar, work, database_url=None, extra_env=None, name="registry", root=None):
        self.log_path = os.path.join(work, name + ".log")
        # what a second replica on the same database and storage needs
        self.jar, self.database_url, self.extra_env = jar, database_url, dict(extra_env or {})
        self.root = root or os.path.join(work, "data")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENREGISTRY_")}
        env.update(OPENREGISTRY_HTTP_ADDR="127.0.0.1:0", OPENREGISTRY_STORAGE_ROOT=self.root,
                   OPENREGISTRY_LOG_LEVEL="DEBUG", OPENREGISTRY_ADMIN_ADDR="127.0.0.1:0")
        if database_url:
            env["OPENREGISTRY_DATABASE_URL"] = database_url
        env.update(extra_env or {})
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(["java", "-Xmx128m", "-jar", jar], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        deadline = time.time() + 60
        self.port = None
        self.admin_port = None
        # the admin listener's line comes right after the API's: wait for both
        while self.port is None or self.admin_port is None:
            check(self.proc.poll() is None, f"registry exited: {self.read_log()[-3000:]}")
            check(time.time() < deadline, "registry did not start within 60 s")
            for line in self.read_log().splitlines():
                if "listening on 127.0.0.1:" in line:
                    self.port = int(line.split("listening on 127.0.0.1:")[1].split()[0])
                if "admin listener (metrics, health) on 127.0.0.1:" in line:
                    self.admin_port = int(line.split("on 127.0.0.1:")[1].split()[0])
            time.sleep(0.1)
        self.host = f"127.0.0.1:{self.port}"

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def proc_status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        raise Failure(f"no {field} for the registry process")

    def reset_peak_rss(self):
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def http(self, method, path, headers=None):
        request = urllib.request.Request(f"http://{self.host}{path}", method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def manifest(self, repo, reference):
        status, headers, body = self.http("GET", f"/v2/{repo}/manifests/{reference}", {"Accept": ACCEPT})
        check(status == 200, f"GET manifest {repo}:{reference} -> {status} {body[:300]}")
        check(headers.get("Docker-Content-Digest") == sha256_bytes(body), "Docker-Content-Digest differs from the body")
        return body

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        check(self.proc.returncode is not None, "registry did not stop")


class Haproxy:
    """haproxy (Debian's package) on a free loopback port: round robin per request, no affinity."""

    def __init__(self, work, ports):
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        conf = os.path.join(work, "haproxy.cfg")
        servers = "".join(f"  server r{i} 127.0.0.1:{port}\n" for i, port in enumerate(ports))
        with open(conf, "w") as f:
            # http-server-close: a new server connection per request, so a client's keep-alive
            # connection does not pin it to one replica and every request is balanced on its own
            f.write("defaults\n  mode http\n  timeout connect 5s\n  timeout client 300s\n  timeout server 300s\n"
                    "  option http-server-close\n"
                    f"frontend f\n  bind {self.host}\n  default_backend b\n"
                    f"backend b\n  balance roundrobin\n{servers}")
        self.log = open(os.path.join(work, "haproxy.log"), "w")
        self.proc = subprocess.Popen(["haproxy", "-f", conf, "-db"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while True:
            check(self.proc.poll() is None and time.time() < deadline, "haproxy did not start")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- test images

def build_sources(work):
    """The source images every scenario pushes, built without network."""
    src = Layout(os.path.join(work, "src"))
    files = os.path.join(work, "files")
    os.makedirs(files)
    run("umoci", "init", "--layout", src.path)
    run("umoci", "new", "--image", f"{src.path}:app")
    for i, (name, size) in enumerate([("one", 1000), ("two", 200_000), ("three", 3_000_000)]):
        path = os.path.join(files, name)
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        run("umoci", "insert", "--rootless", "--image", f"{src.path}:app", path, f"/data/{name}")
    run("umoci", "config", "--image", f"{src.path}:app", "--config.cmd", "/data/one", "--os", "linux",
        "--architecture", "amd64")
    check(len(src.layer_digests("app")) == 3, "the source image should have 3 layers")
    children = []
    for arch in ("amd64", "arm64"):
        run("umoci", "config", "--image", f"{src.path}:app", "--architecture", arch, "--tag", arch)
        d = src.descriptor(arch)
        children.append({"mediaType": OCI_MANIFEST, "digest": d["digest"], "size": d["size"],
                         "platform": {"architecture": arch, "os": "linux"}})
    index = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}).encode()
    src.tag("multi", OCI_INDEX, src.add_blob(index), len(index))
    for i in range(30):
        run("umoci", "config", "--image", f"{src.path}:app", "--config.label", f"e2e.tag=t{i:02d}", "--tag", f"t{i:02d}")
    return src


def build_big(work, size=GIB):
    """A one-layer image whose layer is an uncompressed tar of `size` pseudo-random bytes."""
    big = Layout(os.path.join(work, "big"))
    os.makedirs(os.path.join(big.path, "blobs", "sha256"))
    with open(os.path.join(big.path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(big.path, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": []}, f)
    payload = os.path.join(work, "big.bin")
    block = bytearray(os.urandom(1 << 20))
    with open(payload, "wb") as f:
        for i in range(size >> 20):
            block[0:8] = i.to_bytes(8, "little")
            f.write(block)
    tar_path = os.path.join(work, "big.tar")
    with tarfile.open(tar_path, "w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(payload, arcname="big.bin")
    os.remove(payload)
    layer_digest = sha256_file(tar_path)
    layer_size = os.path.getsize(tar_path)
    os.replace(tar_path, big.blob_path(layer_digest))
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
    manifest = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": sha256_bytes(config), "size": len(config)},
                           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                                       "digest": layer_digest, "size": layer_size}]}).encode()
    big.add_blob(config)
    big.tag("v1", OCI_MANIFEST, big.add_blob(manifest), len(manifest))
    return big


# ---------------------------------------------------------------- scenarios

SKOPEO = ["skopeo", "--insecure-policy"]
PUSH = SKOPEO + ["copy", "--dest-tls-verify=false"]
PULL = SKOPEO + ["copy", "--src-tls-verify=false"]


def layers_of(raw):
    return [layer["digest"] for layer in json.loads(raw)["layers"]]


def s1_skopeo_three_layers(reg, src, work):
    ref = f"docker://{reg.host}/s1/app:v1"
    run(*PUSH, f"oci:{src.path}:app", ref)
    raw = reg.manifest("s1/app", "v1")
    check(sha256_bytes(raw) == src.manifest_digest("app"), "pushed manifest digest differs from the source")
    inspect = json.loads(run(*SKOPEO, "inspect", "--tls-verify=false", ref))
    check(inspect["Digest"] == src.manifest_digest("app"), "skopeo inspect digest differs")
    check(inspect["Layers"] == src.layer_digests("app"), "skopeo inspect layers differ")
    tags = json.loads(run(*SKOPEO, "list-tags", "--tls-verify=false", f"docker://{reg.host}/s1/app"))
    check(tags["Tags"] == ["v1"], f"list-tags gave {tags['Tags']}")
    digest, layers, _ = dir_manifest(pull_dir(ref, work, "s1"))
    check(digest == src.manifest_digest("app") and layers == src.layer_digests("app"), "pulled image differs")
    return f"3 layers, manifest {digest[:19]}"


def pull_dir(ref, work, name, *extra):
    out = os.path.join(work, name + "-pull")
    shutil.rmtree(out, ignore_errors=True)
    run(*SKOPEO, *extra, "copy", "--src-tls-verify=false", ref, f"dir:{out}")
    return out


def s2_skopeo_formats(reg, src, work):
    run(*PUSH, "--format", "v2s2", f"oci:{src.path}:app", f"docker://{reg.host}/s2/app:v2s2")
    raw = reg.manifest("s2/app", "v2s2")
    check(json.loads(raw)["mediaType"] == DOCKER_MANIFEST, "v2s2 push did not store a Docker schema2 manifest")
    check(layers_of(raw) == src.layer_digests("app"), "v2s2 layers differ from the source")
    digest, layers, _ = dir_manifest(pull_dir(f"docker://{reg.host}/s2/app:v2s2", work, "s2-v2s2"))
    check(digest == sha256_bytes(raw) and layers == src.layer_digests("app"), "pulled v2s2 image differs")
    run(*PUSH, "--format", "oci", f"oci:{src.path}:app", f"docker://{reg.host}/s2/app:oci")
    raw = reg.manifest("s2/app", "oci")
    check(sha256_bytes(raw) == src.manifest_digest("app"), "OCI push changed the manifest")
    digest, layers, _ = dir_manifest(pull_dir(f"docker://{reg.host}/s2/app:oci", work, "s2-oci"))
    check(digest == src.manifest_digest("app") and layers == src.layer_digests("app"), "pulled OCI image differs")
    return "v2s2 and OCI"


def s3_multi_arch(reg, src, work):
    ref = f"docker://{reg.host}/s3/multi:v1"
    run(*PUSH, "--all", f"oci:{src.path}:multi", ref)
    raw = reg.manifest("s3/multi", "v1")
    check(sha256_bytes(raw) == src.manifest_digest("multi"), "pushed index digest differs")
    for child in json.loads(raw)["manifests"]:
        check(reg.manifest("s3/multi", child["digest"]) == src.blob(child["digest"]), "child manifest differs")
    digest, layers, _ = dir_manifest(pull_dir(ref, work, "s3-arm64", "--override-arch", "arm64"))
    check(digest == src.manifest_digest("arm64"), "--override-arch arm64 did not pull the arm64 manifest")
    out = os.path.join(work, "s3-all")
    run(*PULL, "--all", ref, f"oci:{out}:v1")
    check(Layout(out).manifest_digest("v1") == src.manifest_digest("multi"), "pulled index differs")
    return "amd64 + arm64 index, arm64 pulled alone"


def s4_encrypted(reg, src, work):
    priv, pub = os.path.join(work, "priv.pem"), os.path.join(work, "pub.pem")
    run("openssl", "genrsa", "-out", priv, "2048")
    run("openssl", "rsa", "-in", priv, "-pubout", "-out", pub)
    ref = f"docker://{reg.host}/s4/enc:v1"
    run(*PUSH, "--encryption-key", f"jwe:{pub}", f"oci:{src.path}:app", ref)
    manifest = json.loads(reg.manifest("s4/enc", "v1"))
    encrypted = [layer for layer in manifest["layers"]]
    check(all(l["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip+encrypted" for l in encrypted),
          f"layer media types: {[l['mediaType'] for l in encrypted]}")
    check(all("org.opencontainers.image.enc.keys.jwe" in l.get("annotations", {}) for l in encrypted),
          "encryption annotations missing")
    for layer in encrypted:
        status, _, body = reg.http("GET", f"/v2/s4/enc/blobs/{layer['digest']}")
        check(status == 200 and sha256_bytes(body) == layer["digest"] and len(body) == layer["size"],
              f"encrypted layer {layer['digest']} not served intact")
        check(layer["digest"] not in src.layer_digests("app"), "layer was not encrypted")
    out = os.path.join(work, "s4-dec")
    run(*PULL, "--decryption-key", priv, ref, f"oci:{out}:v1")
    pulled = Layout(out)
    check(pulled.layer_digests("v1") == src.layer_digests("app"),
          f"decrypted layers {pulled.layer_digests('v1')} differ from {src.layer_digests('app')}")
    verify_layout_blobs(pulled, pulled.layer_digests("v1"))
    return "3 encrypted layers served intact, decrypted to the originals"


def s5_buildah(reg, src, work):
    storage = os.path.join(work, "buildah")
    b = ["buildah", "--storage-driver", "vfs", "--root", os.path.join(storage, "root"),
         "--runroot", os.path.join(storage, "run")]
    hello = os.path.join(work, "hello.txt")
    with open(hello, "w") as f:
        f.write("hello from buildah " + str(time.time()))
    container = run(*b, "from", "scratch").strip()
    run(*b, "copy", container, hello, "/hello.txt")
    run(*b, "config", "--cmd", "/hello.txt", container)
    run(*b, "commit", "-q", container, "localhost/e2e-buildah:v1")
    digest_file = os.path.join(work, "buildah.digest")
    remote = f"{reg.host}/s5/buildah:v1"
    run(*b, "push", "--tls-verify=false", "--digestfile", digest_file, "localhost/e2e-buildah:v1", f"docker://{remote}")
    with open(digest_file) as f:
        pushed = f.read().strip()
    raw = reg.manifest("s5/buildah", "v1")
    check(sha256_bytes(raw) == pushed, f"registry has {sha256_bytes(raw)}, buildah pushed {pushed}")
    run(*b, "rm", "--all")
    run(*b, "rmi", "--all", "--force")
    check(run(*b, "images", "-q").strip() == "", "local images left after rmi")
    run(*b, "pull", "--tls-verify=false", f"docker://{remote}")
    local = run(*b, "images", "--digests", "--format", "{{.Digest}}").split()
    check(local == [pushed], f"pulled image digest {local} differs from pushed {pushed}")
    return f"manifest {pushed[:19]}"


def s6_podman(reg, src, work):
    storage = os.path.join(work, "podman")
    # podman refuses a runroot path longer than 50 characters
    runroot = tempfile.mkdtemp(prefix="e2e-podman-", dir="/tmp")
    p = ["podman", "--storage-driver", "vfs", "--root", os.path.join(storage, "root"), "--runroot", runroot]
    run(*PUSH, f"oci:{src.path}:app", f"docker://{reg.host}/s6/source:v1")
    run(*p, "pull", "--tls-verify=false", f"{reg.host}/s6/source:v1")
    local = run(*p, "image", "inspect", "--format", "{{.Digest}}", f"{reg.host}/s6/source:v1").strip()
    check(local == src.manifest_digest("app"), f"podman pulled {local}")
    run(*p, "tag", f"{reg.host}/s6/source:v1", f"{reg.host}/s6/copy:v1")
    run(*p, "push", "--tls-verify=false", f"{reg.host}/s6/copy:v1")
    copied = reg.manifest("s6/copy", "v1")
    check(layers_of(copied) == src.layer_digests("app"), "layers pushed by podman differ from the source")
    log = reg.read_log()
    for digest in src.layer_digests("app"):
        check(f"blob committed repository=s6/copy digest={digest}" not in log,
              f"layer {digest} was uploaded again instead of mounted")
        check(f"blob mounted repository=s6/copy digest={digest} from=s6/source" in log,
              f"layer {digest} was not mounted from s6/source")
    run(*p, "push", "--tls-verify=false", "--format", "v2s2", f"{reg.host}/s6/copy:v1",
        f"docker://{reg.host}/s6/v2s2:v1")
    raw = reg.manifest("s6/v2s2", "v1")
    check(json.loads(raw)["mediaType"] == DOCKER_MANIFEST, "podman --format v2s2 did not push schema2")
    check(layers_of(raw) == src.layer_digests("app"), "v2s2 layers differ from the source")
    shutil.rmtree(runroot, ignore_errors=True)
    return "pull, tag, push (3 layers mounted, none re-sent), push v2s2"


def s7_big(reg, big, work):
    ref = f"docker://{reg.host}/s7/big:v1"
    reg.reset_peak_rss()
    started = time.time()
    run(*PUSH, "--preserve-digests", f"oci:{big.path}:v1", ref)
    push_s = time.time() - started
    raw = reg.manifest("s7/big", "v1")
    check(sha256_bytes(raw) == big.manifest_digest("v1"), "big manifest digest differs")
    started = time.time()
    out = pull_dir(ref, work, "s7", )
    pull_s = time.time() - started
    digest, layers, _ = dir_manifest(out)
    shutil.rmtree(out)
    check(digest == big.manifest_digest("v1") and layers == big.layer_digests("v1"), "pulled big image differs")
    rss_mib = reg.proc_status_kib("VmHWM") / 1024
    return f"1 GiB push {push_s:.1f}s, pull {pull_s:.1f}s, registry peak RSS {rss_mib:.0f} MiB (-Xmx128m)"


def s8_tags(reg, src, work):
    names = [f"t{i:02d}" for i in range(30)]
    for name in names:
        run(*PUSH, f"oci:{src.path}:{name}", f"docker://{reg.host}/s8/tags:{name}")
    listed = json.loads(run(*SKOPEO, "list-tags", "--tls-verify=false", f"docker://{reg.host}/s8/tags"))["Tags"]
    check(listed == names, f"list-tags gave {listed}")
    deleted = names[:5]
    for name in deleted:
        run(*SKOPEO, "delete", "--tls-verify=false", f"docker://{reg.host}/s8/tags:{name}")
    status, _, _ = reg.http("DELETE", "/v2/s8/tags/manifests/t05")
    check(status == 202, f"DELETE tag t05 -> {status}")
    listed = json.loads(run(*SKOPEO, "list-tags", "--tls-verify=false", f"docker://{reg.host}/s8/tags"))["Tags"]
    check(listed == names[6:], f"after deletes list-tags gave {listed}")
    status, _, _ = reg.http("GET", f"/v2/s8/tags/manifests/{src.manifest_digest('t05')}")
    check(status == 200, "deleting tag t05 removed its manifest")
    status, _, _ = reg.http("GET", f"/v2/s8/tags/manifests/{src.manifest_digest('t00')}")
    check(status == 404, "skopeo delete t00 left its manifest")
    return "30 tags listed, 6 deleted, 24 left"


def g1_garbage_collection(reg, src, work):
    """Online GC on its own registry (H2, filesystem, zero grace): an image whose tag goes and one
    whose manifest goes are collected through the admin endpoint, the rest pulls byte-exact."""
    gc = Registry(reg.jar, work, None, {"OPENREGISTRY_GC_GRACE_SECONDS": "0",
                                        "OPENREGISTRY_GC_UNTAGGED_AFTER_SECONDS": "1",
                                        "OPENREGISTRY_GC_INTERVAL_SECONDS": "0"},
                  name="registry-gc", root=os.path.join(work, "data-gc"))
    try:
        admin = gc.admin_port

        def post(path):
            request = urllib.request.Request(f"http://127.0.0.1:{admin}{path}", method="POST")
            with urllib.request.urlopen(request, timeout=120) as response:
                check(response.status == 200, f"POST {path} -> {response.status}")
                return json.loads(response.read())

        def stored_bytes():
            total = 0
            for dirpath, _, files in os.walk(os.path.join(gc.root, "storage", "blobs")):
                total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
            return total

        untag = build_image(work, "g1-untag", [300_000, 40_000])
        gone = build_image(work, "g1-gone", [200_000])
        run(*PUSH, f"oci:{src.path}:app", f"docker://{gc.host}/g1/app:v1")
        run(*PUSH, f"oci:{src.path}:multi", f"docker://{gc.host}/g1/app:multi", "--all")
        run(*PUSH, f"oci:{untag.path}:app", f"docker://{gc.host}/g1/app:untag")
        run(*PUSH, f"oci:{gone.path}:app", f"docker://{gc.host}/g1/app:gone")
        status, _, _ = gc.http("DELETE", "/v2/g1/app/manifests/untag")
        check(status == 202, f"DELETE tag untag -> {status}")
        run(*SKOPEO, "delete", "--tls-verify=false", f"docker://{gc.host}/g1/app@{gone.manifest_digest('app')}")
        time.sleep(1.5)  # the untagged manifest is now older than gc.untaggedAfterSeconds
        before = stored_bytes()
        dry = post("/gc?dryRun=true")
        check(dry["dryRun"] and dry["manifests"]["deleted"] == 1, f"dry run: {dry}")
        check(stored_bytes() == before, "the dry run deleted bytes")
        report = post("/gc")
        freed = before - stored_bytes()
        check(report["manifests"]["deleted"] == 1, f"gc: {report}")
        unique = sum(os.path.getsize(untag.blob_path(d)) for d in untag.layer_digests("app")) \
            + sum(os.path.getsize(gone.blob_path(d)) for d in gone.layer_digests("app"))
        check(report["bytesFreed"] == freed and freed >= unique,
              f"gc freed {report['bytesFreed']} by its report, {freed} on disk, unique layers {unique}: {report}")
        for tag, digest in (("v1", src.manifest_digest("app")), ("multi", src.manifest_digest("multi"))):
            check(sha256_bytes(gc.manifest("g1/app", tag)) == digest, f"g1/app:{tag} changed")
        got, layers, _ = dir_manifest(pull_dir(f"docker://{gc.host}/g1/app:v1", work, "g1"))
        check(got == src.manifest_digest("app") and layers == src.layer_digests("app"), "pulled v1 differs")
        for arch in ("amd64", "arm64"):
            got, layers, _ = dir_manifest(pull_dir(f"docker://{gc.host}/g1/app:multi", work, "g1-" + arch,
                                                   "--override-arch", arch))
            check(got == src.manifest_digest(arch), f"pulled multi/{arch} differs")
        status, _, _ = gc.http("GET", f"/v2/g1/app/manifests/{untag.manifest_digest('app')}")
        check(status == 404, f"the untagged manifest is still there ({status})")
        check("ERROR" not in gc.read_log(), "the gc registry logged errors")
        return (f"freed {freed} bytes ({report['manifests']['deleted']} manifest, {report['links']['removed']} links,"
                f" {report['blobs']['deleted']} blobs) in {report['durationMillis']} ms; v1 and multi pull intact")
    finally:
        gc.stop()
        shutil.rmtree(gc.root, ignore_errors=True)


def build_image(work, name, sizes):
    """A fresh single-platform OCI image (random layers of `sizes` bytes) in its own layout."""
    layout = Layout(os.path.join(work, name))
    run("umoci", "init", "--layout", layout.path)
    run("umoci", "new", "--image", f"{layout.path}:app")
    for i, size in enumerate(sizes):
        path = os.path.join(work, f"{name}-{i}")
        with open(path, "wb") as f:
            f.write(os.urandom(size))
        run("umoci", "insert", "--rootless", "--image", f"{layout.path}:app", path, f"/data/{i}")
        os.remove(path)
    run("umoci", "config", "--image", f"{layout.path}:app", "--os", "linux", "--architecture", "amd64")
    return layout


def check_blobs_on(replicas, repo, raw):
    """Every blob of manifest `raw`, pulled from each replica directly, hashes to its digest."""
    manifest = json.loads(raw)
    for replica in replicas:
        check(sha256_bytes(replica.manifest(repo, sha256_bytes(raw))) == sha256_bytes(raw),
              f"{replica.host}: manifest {repo}@{sha256_bytes(raw)} differs")
        for blob in [manifest["config"]] + manifest["layers"]:
            status, _, body = replica.http("GET", f"/v2/{repo}/blobs/{blob['digest']}")
            check(status == 200 and sha256_bytes(body) == blob["digest"] and len(body) == blob["size"],
                  f"{replica.host}: blob {blob['digest']} of {repo} -> {status}, {len(body)} bytes")


def upload_requests(replica, prefix):
    """How many upload requests (POST, PATCH, PUT) of repositories under `prefix` the replica served."""
    count = 0
    for line in replica.read_log().splitlines():
        if '"route":"/v2/{name}/blobs/uploads/' in line and f'"repository":"{prefix}' in line:
            count += 1
    return count


def l1_load_balanced(reg, src, work):
    """Two replicas on one PostgreSQL and one storage behind haproxy (round robin per request, no
    affinity): every upload's requests are spread over both. The second replica shares the first's
    storage.root (filesystem, IPFS staging) or has its own (S3, as the production overlay runs it)."""
    lwork = os.path.join(work, "l1")
    os.makedirs(lwork)
    driver = reg.extra_env.get("OPENREGISTRY_STORAGE_DRIVER", "filesystem")
    root = os.path.join(work, "data-b") if driver == "s3" else reg.root
    second = Registry(reg.jar, work, reg.database_url, reg.extra_env, name="registry-b", root=root)
    replicas = [reg, second]
    lb = None
    try:
        lb = Haproxy(lwork, [reg.port, second.port])
        # skopeo: a fresh image (one layer spans several S3 parts), pushed and pulled through haproxy
        image = build_image(lwork, "skopeo-src", [1000, 300_000, 20_000_000])
        ref = f"docker://{lb.host}/l1/skopeo:v1"
        run(*PUSH, f"oci:{image.path}:app", ref)
        raw = reg.manifest("l1/skopeo", "v1")
        check(sha256_bytes(raw) == image.manifest_digest("app"), "skopeo: pushed manifest digest differs")
        check_blobs_on(replicas, "l1/skopeo", raw)
        digest, layers, _ = dir_manifest(pull_dir(ref, lwork, "l1-skopeo"))
        check(digest == image.manifest_digest("app") and layers == image.layer_digests("app"),
              "skopeo: image pulled through haproxy differs")

        # podman: a fresh image loaded from an OCI layout, pushed through haproxy (podman compresses
        # the layers itself), removed locally and pulled back through haproxy
        storage = os.path.join(lwork, "podman")
        runroot = tempfile.mkdtemp(prefix="e2e-l1-", dir="/tmp")  # podman wants a short runroot
        p = ["podman", "--storage-driver", "vfs", "--root", os.path.join(storage, "root"), "--runroot", runroot]
        try:
            image = build_image(lwork, "podman-src", [2000, 12_000_000])
            run(*p, "pull", f"oci:{image.path}:app")
            remote = f"{lb.host}/l1/podman:v1"
            run(*p, "tag", run(*p, "images", "-q").split()[0], remote)
            digest_file = os.path.join(lwork, "podman.digest")
            run(*p, "push", "--tls-verify=false", "--digestfile", digest_file, remote)
            with open(digest_file) as f:
                pushed = f.read().strip()
            raw = reg.manifest("l1/podman", "v1")
            check(sha256_bytes(raw) == pushed, f"podman pushed {pushed}, the registry has {sha256_bytes(raw)}")
            check_blobs_on(replicas, "l1/podman", raw)
            run(*p, "rmi", "--all", "--force")
            run(*p, "pull", "--tls-verify=false", remote)
            local = run(*p, "image", "inspect", "--format", "{{.Digest}}", remote).strip()
            check(local == pushed, f"podman pulled {local} through haproxy, pushed {pushed}")
        finally:
            shutil.rmtree(runroot, ignore_errors=True)

        # buildah: built from scratch, pushed and pulled back through haproxy
        b = ["buildah", "--storage-driver", "vfs", "--root", os.path.join(lwork, "buildah", "root"),
             "--runroot", os.path.join(lwork, "buildah", "run")]
        payload = os.path.join(lwork, "payload.bin")
        with open(payload, "wb") as f:
            f.write(os.urandom(9_000_000))
        container = run(*b, "from", "scratch").strip()
        run(*b, "copy", container, payload, "/payload.bin")
        run(*b, "commit", "-q", container, "localhost/e2e-l1:v1")
        remote = f"{lb.host}/l1/buildah:v1"
        digest_file = os.path.join(lwork, "buildah.digest")
        run(*b, "push", "--tls-verify=false", "--digestfile", digest_file, "localhost/e2e-l1:v1", f"docker://{remote}")
        with open(digest_file) as f:
            pushed = f.read().strip()
        raw = second.manifest("l1/buildah", "v1")
        check(sha256_bytes(raw) == pushed, f"buildah pushed {pushed}, the registry has {sha256_bytes(raw)}")
        check_blobs_on(replicas, "l1/buildah", raw)
        run(*b, "rm", "--all")
        run(*b, "rmi", "--all", "--force")
        run(*b, "pull", "--tls-verify=false", f"docker://{remote}")
        local = run(*b, "images", "--digests", "--format", "{{.Digest}}").split()
        check(local == [pushed], f"buildah pulled {local} through haproxy, pushed {pushed}")

        spread = [upload_requests(r, "l1/") for r in replicas]
        check(all(spread), f"upload requests per replica {spread}: haproxy did not spread them")
        check(second.proc.poll() is None, "the second replica died")
        errors = [l for l in second.read_log().splitlines() if "ERROR" in l]
        check(not errors, "the second replica logged errors:\n" + "\n".join(errors)[:3000])
        return f"skopeo, podman, buildah through haproxy; upload requests per replica {spread}"
    finally:
        if lb:
            lb.stop()
        second.stop()


SCENARIOS = [
    ("1 skopeo 3-layer image", s1_skopeo_three_layers),
    ("2 skopeo v2s2 and OCI", s2_skopeo_formats),
    ("3 skopeo multi-arch", s3_multi_arch),
    ("4 skopeo encrypted", s4_encrypted),
    ("5 buildah", s5_buildah),
    ("6 podman", s6_podman),
    ("7 1 GiB layer", s7_big),
    ("8 tags", s8_tags),
    ("G1 garbage collection", g1_garbage_collection),
    ("D1 docker build/push/pull", e2e_docker.d1_build_push_pull),
    ("D2 docker pull --platform", e2e_docker.d2_pull_by_platform),
    ("L1 haproxy, two replicas", l1_load_balanced),
]
# scenarios that run on some backends only: two replicas need a shared database (not H2)
ONLY_ON = {"L1": {"postgres", "postgres-ipfs", "postgres-s3"}, "G1": {"h2"}}
# scenarios that need the docker daemon (one for the whole run, started when any is chosen); with
# e2e_auth.DOCKER_SCENARIOS
DOCKER_SCENARIOS = {"D1", "D2"}


# name -> (database, storage); storage None is the filesystem. Object-store runs use PostgreSQL so
# that the blob rows can be read while the registry runs.
BACKENDS = {"h2": ("h2", None), "postgres": ("postgres", None), "postgres-ipfs": ("postgres", "ipfs"),
            "postgres-s3": ("postgres", "s3"), "h2-auth": ("h2", None)}
STORES = {"ipfs": IpfsNode, "s3": S3Proxy}


def versions():
    out = []
    for tool in ("skopeo", "buildah", "podman", "umoci"):
        out.append(run(tool, "--version").strip())
    return out


def scenario_id(name):
    return name.split()[0]


def stop_on_sigterm(signum, frame):
    # SIGTERM/SIGHUP end the run like Ctrl-C does, so the finally blocks stop every server and the
    # docker daemon and remove the work directories
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jar", required=True)
    parser.add_argument("--backend", choices=list(BACKENDS), action="append",
                        help="database[-storage]; default: all")
    parser.add_argument("--only", help="comma-separated scenario ids (1-8, D1, D2 on the plain backends, "
                                       "L1 on the postgres ones; "
                                       "A2-A11 and O1-O6 (Org mode) on h2-auth, which adds A1, A8 for A9/A10, O1-O2 for O3-O6); a backend "
                                       "with none of them chosen is skipped")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    signal.signal(signal.SIGHUP, stop_on_sigterm)
    jar = os.path.abspath(args.jar)
    only = set(args.only.split(",")) if args.only else None
    on_docker = DOCKER_SCENARIOS | e2e_auth.DOCKER_SCENARIOS
    chosen = [s for s in SCENARIOS if only is None or scenario_id(s[0]) in only]
    auth_chosen = e2e_auth.with_prerequisites(i for i in e2e_auth.SCENARIO_IDS if only is None or i in only) \
        if only is None or only & set(e2e_auth.SCENARIO_IDS) else set()
    def chosen_on(backend):
        return [s for s in chosen if backend in ONLY_ON.get(scenario_id(s[0]), {backend})]

    backends = [b for b in args.backend or list(BACKENDS) if (auth_chosen if b == "h2-auth" else chosen_on(b))]
    check(backends, f"no scenario chosen by --only {args.only}")
    wanted = {scenario_id(name) for b in backends if b != "h2-auth" for name, _ in chosen_on(b)}
    wanted |= auth_chosen if "h2-auth" in backends else set()
    work = tempfile.mkdtemp(prefix="openregistry-e2e-")
    os.chmod(work, 0o755)
    results = []
    docker = None
    try:
        print("clients: " + "; ".join(versions()), flush=True)
        if wanted & on_docker:
            docker = e2e_docker.DockerDaemon(work)
            print(f"docker: private dockerd {docker.version} on {docker.sock}, "
                  f"started in {docker.start_seconds:.1f}s", flush=True)
        src = build_sources(work)
        big = build_big(work) if any(fn is s7_big for _, fn in chosen) and backends != ["h2-auth"] else None
        for backend in backends:
            database, storage_kind = BACKENDS[backend]
            bwork = os.path.join(work, backend)
            os.makedirs(bwork)
            os.chmod(bwork, 0o755)
            postgres = Postgres(bwork) if database == "postgres" else None
            store = STORES[storage_kind](bwork) if storage_kind else None
            if backend == "h2-auth":
                # access control on: its own scenarios (A1-A11), with credentials
                registry = e2e_auth.start(jar, bwork)
                backend_scenarios = [(name, fn) for name, fn in e2e_auth.scenarios(registry, src, bwork, docker)
                                     if scenario_id(name) in e2e_auth.with_prerequisites(auth_chosen)]
            else:
                registry = Registry(jar, bwork, postgres.url() if postgres else None, store.env() if store else None)
                backend_scenarios = [(name, functools.partial(fn, registry, big if fn is s7_big else src, bwork,
                                                              **({"docker": docker} if scenario_id(name)
                                                                 in on_docker else {})))
                                     for name, fn in chosen_on(backend)]
            try:
                for name, fn in backend_scenarios:
                    started = time.time()
                    try:
                        note = fn()
                        results.append((backend, name, "ok", time.time() - started, note))
                    except Exception as e:  # any failure of any kind fails the run
                        results.append((backend, name, "FAIL", time.time() - started, str(e)))
                    print(f"[e2e] {backend:13} {name:26} {results[-1][2]:4} {results[-1][3]:6.1f}s  {results[-1][4]}",
                          flush=True)
                if store and any(fn is s1_skopeo_three_layers for _, fn in chosen):
                    started = time.time()
                    try:
                        results.append((backend, "9 objects in the backend", "ok", time.time() - started,
                                        check_locations(postgres, store, src)))
                    except Exception as e:
                        results.append((backend, "9 objects in the backend", "FAIL", time.time() - started, str(e)))
                    print(f"[e2e] {backend:8} {results[-1][1]:26} {results[-1][2]:4}  {results[-1][4]}", flush=True)
                check(registry.proc.poll() is None, "registry died during the run")
                check("ERROR" not in registry.read_log(), "registry logged errors:\n"
                      + "\n".join(l for l in registry.read_log().splitlines() if "ERROR" in l)[:3000])
            except Failure as e:
                results.append((backend, "registry health", "FAIL", 0, str(e)))
            finally:
                registry.stop()
                if store:
                    store.stop()
                if postgres:
                    postgres.stop()
                shutil.rmtree(os.path.join(bwork, "data"), ignore_errors=True)
                shutil.rmtree(os.path.join(bwork, "data-b"), ignore_errors=True)
    finally:
        try:
            if docker:
                started = time.time()
                docker.stop()
                print(f"docker: dockerd stopped and its directory removed in {time.time() - started:.1f}s",
                      flush=True)
        finally:
            if args.keep:
                print(f"work directory kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    print("\n== end-to-end summary ==")
    for backend, name, status, seconds, note in results:
        print(f"{backend:13} {name:26} {status:4} {seconds:6.1f}s  {note.splitlines()[0] if note else ''}")
    docker_results = [r for r in results if scenario_id(r[1]) in on_docker]
    if docker_results:
        print(f"docker CLI: {len(docker_results)} checks in {sum(r[3] for r in docker_results):.1f}s"
              f" (daemon start {docker.start_seconds:.1f}s)")
    failed = [r for r in results if r[2] != "ok"]
    if failed:
        print(f"\n{len(failed)} end-to-end check(s) failed:")
        for backend, name, _, _, note in failed:
            print(f"--- {backend} {name}\n{note}")
        return 1
    print(f"all {len(results)} end-to-end checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
