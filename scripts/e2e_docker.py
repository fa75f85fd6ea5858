"""The docker CLI against the registry jar: a private dockerd for the whole e2e run.

Debian's docker.io (20.10) daemon runs as root with its state in one short temp dir (vfs storage,
no iptables, no bridge, 127.0.0.0/8 as insecure registries), its own daemon.json and trust key,
and a private DOCKER_CONFIG, so nothing outside that dir is read or written; stop() ends it and
removes the dir (the data root is a bind mount of itself while the daemon runs). Images are built
with the classic builder FROM scratch (nothing can be pulled from outside). Imported by e2e.py
(run through scripts/e2e, which installs docker.io when dockerd is missing).
"""
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time

import e2e  # attributes are read at call time: e2e imports this module while it is loading

# What a refused pull or push prints (docker words it differently per operation).
REFUSED = ("denied", "unauthorized", "authentication required", "requested access to the resource")


class DockerDaemon:
    """dockerd with everything in a temp dir under /tmp (short: a unix socket path has ~108 bytes)."""

    def __init__(self, work):
        self.work = work
        self.dir = tempfile.mkdtemp(prefix="e2e-dk-", dir="/tmp")
        # dockerd creates /run/docker/plugins whatever its exec root; removed at stop if it was not there
        self.had_run_docker = os.path.exists("/run/docker")
        self.sock = os.path.join(self.dir, "d.sock")
        self.config = os.path.join(self.dir, "cfg")
        os.makedirs(self.config)
        self.write_config({"auths": {}})
        daemon_json = os.path.join(self.dir, "daemon.json")
        with open(daemon_json, "w") as f:
            # not the machine's /etc/docker/daemon.json; the trust key not in /etc/docker/key.json
            json.dump({"deprecated-key-path": os.path.join(self.dir, "key.json")}, f)
        self.log_path = os.path.join(self.dir, "dockerd.log")
        self.log = open(self.log_path, "w")
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        # Debian's client beside Debian's daemon; any other client on the PATH also works since
        # every call names the socket, but /usr/local/bin/docker on these machines has no daemon.
        self.client = "/usr/bin/docker" if os.access("/usr/bin/docker", os.X_OK) else shutil.which("docker")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("DOCKER_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy",
                                                                 "https_proxy")}
        self.env.update(DOCKER_CONFIG=self.config, DOCKER_BUILDKIT="0")
        self.proc = subprocess.Popen(
            [dockerd, "--data-root", os.path.join(self.dir, "root"), "--exec-root", os.path.join(self.dir, "exec"),
             "--pidfile", os.path.join(self.dir, "pid"), "-H", f"unix://{self.sock}",
             "--config-file", daemon_json,
             "--storage-driver", "vfs", "--iptables=false", "--bridge=none", "--insecure-registry", "127.0.0.0/8"],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        try:
            started = time.time()
            while True:
                e2e.check(self.proc.poll() is None, f"dockerd exited: {self.read_log()[-3000:]}")
                e2e.check(time.time() - started < 60, f"dockerd did not answer within 60 s: {self.read_log()[-3000:]}")
                probe = subprocess.run([self.client, "-H", f"unix://{self.sock}", "version", "--format",
                                        "{{.Server.Version}}"], capture_output=True, text=True, env=self.env)
                if probe.returncode == 0:
                    self.version = probe.stdout.strip()
                    break
                time.sleep(0.2)
            self.start_seconds = time.time() - started
        except BaseException:
            self.stop()
            raise

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def write_config(self, config):
        with open(os.path.join(self.config, "config.json"), "w") as f:
            json.dump(config, f)

    def auths(self):
        with open(os.path.join(self.config, "config.json")) as f:
            return json.load(f).get("auths", {})

    def __call__(self, *args, input=None, timeout=600):
        return e2e.run(self.client, "-H", f"unix://{self.sock}", *args, env=self.env, input=input, timeout=timeout)

    def fails(self, *args, input=None):
        """Runs a docker command that must fail; returns its output."""
        try:
            self(*args, input=input)
        except e2e.Failure as e:
            return str(e)
        raise e2e.Failure(f"expected to fail but succeeded: docker {' '.join(args)}")

    def refused(self, *args):
        """Runs a docker command that must fail for lack of access."""
        out = self.fails(*args)
        e2e.check(any(word in out.lower() for word in REFUSED),
                  f"docker {' '.join(args)} failed, but not for lack of access:\n{out[-800:]}")
        return out

    def login(self, host, user, secret):
        self("login", "-u", user, "--password-stdin", host, input=secret)
        e2e.check(host in self.auths(), f"docker login did not store credentials for {host} in DOCKER_CONFIG")

    def logout(self, host):
        self("logout", host)
        e2e.check(host not in self.auths(), f"docker logout left credentials for {host}")

    def build(self, context, tag):
        """Classic builder; returns the image ID."""
        self("build", "-q", "-t", tag, context)
        return self.inspect(tag)["Id"]

    def push(self, ref):
        """Pushes and returns the manifest digest docker reports."""
        out = self("push", ref)
        found = re.findall(r"digest: (sha256:[0-9a-f]{64}) size: \d+", out)
        e2e.check(len(found) == 1, f"no digest in the output of docker push {ref}:\n{out[-800:]}")
        return found[0]

    def inspect(self, ref):
        return json.loads(self("image", "inspect", ref))[0]

    def rmi(self, *refs):
        self("rmi", *refs)
        for ref in refs:
            self.fails("image", "inspect", ref)

    def saved_files(self, ref, name):
        """The regular files of the image's layers, from `docker save`, each layer tar checked
        against the image's diff IDs (the sha256 of the uncompressed layer)."""
        path = os.path.join(self.work, name + ".tar")
        self("save", "-o", path, ref)
        diff_ids = self.inspect(ref)["RootFS"]["Layers"]
        files = {}
        with tarfile.open(path) as saved:
            manifest = json.load(saved.extractfile("manifest.json"))
            e2e.check(len(manifest) == 1 and len(manifest[0]["Layers"]) == len(diff_ids),
                      f"docker save wrote {manifest}")
            for layer_name, diff_id in zip(manifest[0]["Layers"], diff_ids):
                data = saved.extractfile(layer_name).read()
                e2e.check(e2e.sha256_bytes(data) == diff_id, f"saved layer {layer_name} does not hash to {diff_id}")
                with tarfile.open(fileobj=saved.extractfile(layer_name)) as layer:
                    for member in layer:
                        if member.isfile():
                            files[member.name] = layer.extractfile(member).read()
        os.remove(path)
        return files

    def stop(self):
        """Stops dockerd (and the containerd it started) and removes its dir: no process, mount
        or file is left."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        # dockerd stops its containerd; after a SIGKILL the containerd would outlive it
        containerd_pid = os.path.join(self.dir, "exec", "containerd", "containerd.pid")
        if os.path.exists(containerd_pid):
            try:
                with open(containerd_pid) as f:
                    os.kill(int(f.read().strip()), 15)
                time.sleep(1)
            except (OSError, ValueError):
                pass
        self.log.close()
        if os.path.isdir(self.work):
            shutil.copy(self.log_path, os.path.join(self.work, "dockerd.log"))  # for --keep
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split()[4] for line in f]
        for mount in sorted((m for m in mounts if m == self.dir or m.startswith(self.dir + "/")),
                            key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        if not self.had_run_docker:
            for leftover in ("/run/docker/plugins", "/run/docker"):
                try:
                    os.rmdir(leftover)
                except OSError:
                    pass
        e2e.check(not os.path.exists(self.dir), f"could not remove {self.dir}")


def build_context(work, name, files):
    """A build context dir (outside the daemon's data root, which dockerd refuses to read) with a
    Dockerfile FROM scratch that copies each file in its own layer."""
    context = os.path.join(work, name)
    os.makedirs(context)
    lines = ["FROM scratch"]
    for i, (path, data) in enumerate(files.items()):
        local = f"f{i}"
        with open(os.path.join(context, local), "wb") as f:
            f.write(data)
        lines.append(f"COPY {local} /{path}")
    lines.append(f'CMD ["/{next(iter(files))}"]')
    with open(os.path.join(context, "Dockerfile"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return context


def d1_build_push_pull(reg, src, work, docker):
    files = {"hello.txt": f"hello from docker build {time.time()}\n".encode(), "data/data.bin": os.urandom(300_000)}
    image = f"{reg.host}/d1/app:v1"
    built = docker.build(build_context(work, "d1-context", files), image)
    layers = docker.inspect(image)["RootFS"]["Layers"]
    e2e.check(len(layers) == 2, f"docker build made {len(layers)} layers, not 2")
    digest = docker.push(image)
    raw = reg.manifest("d1/app", "v1")
    manifest = json.loads(raw)
    e2e.check(e2e.sha256_bytes(raw) == digest, f"registry has {e2e.sha256_bytes(raw)}, docker pushed {digest}")
    e2e.check(manifest["mediaType"] == e2e.DOCKER_MANIFEST, f"docker pushed {manifest['mediaType']}")
    e2e.check(manifest["config"]["digest"] == built, "the pushed config is not the built image's")
    e2e.check(len(manifest["layers"]) == 2, f"{len(manifest['layers'])} layers pushed")
    docker.rmi(image)
    docker("pull", image)
    pulled = docker.inspect(image)
    e2e.check(pulled["Id"] == built, f"pulled image {pulled['Id']}, built {built}")
    e2e.check(pulled["RootFS"]["Layers"] == layers, "pulled layers (diff IDs) differ from the built ones")
    e2e.check(f"{reg.host}/d1/app@{digest}" in pulled["RepoDigests"], f"repo digests {pulled['RepoDigests']}")
    e2e.check(docker.saved_files(image, "d1-save") == files, "the pulled image's files differ from the built ones")
    docker.rmi(image)
    return f"2 layers, manifest {digest[:19]}; pulled back: same image ID, diff IDs and files"


def d2_pull_by_platform(reg, src, work, docker):
    e2e.run(*e2e.PUSH, "--all", f"oci:{src.path}:multi", f"docker://{reg.host}/d2/multi:v1")
    image = f"{reg.host}/d2/multi:v1"
    for arch in ("arm64", "amd64"):
        docker("pull", "--platform", f"linux/{arch}", image)
        pulled = docker.inspect(image)
        e2e.check((pulled["Os"], pulled["Architecture"]) == ("linux", arch),
                  f"--platform linux/{arch} pulled {pulled['Os']}/{pulled['Architecture']}")
        e2e.check(pulled["Id"] == src.manifest(arch)["config"]["digest"], f"--platform linux/{arch} pulled another image")
        e2e.check(f"{reg.host}/d2/multi@{src.manifest_digest('multi')}" in pulled["RepoDigests"],
                  f"repo digests {pulled['RepoDigests']} lack the index digest")
        docker.rmi(image)
    return "index pushed by skopeo; --platform linux/arm64 and linux/amd64 pulled their own images"
