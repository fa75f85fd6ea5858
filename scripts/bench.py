#!/usr/bin/env python3
"""Runs the load harness against OpenRegistry and CNCF Distribution side by side.

Both registries run on loopback with filesystem storage in fresh temp dirs. Each scenario runs
against both, alternating which goes first. Around every run the server's CPU time and peak RSS
are read from /proc. Results: a table on stdout, benchmarks/results/bench-<time>.json and .html.
"""
import argparse
import datetime
import glob
import hashlib
import html
import itertools
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JAR = os.path.join(ROOT, "registry-reactor", "target", "openregistry.jar")
HARNESS = os.path.join(ROOT, "benchmarks", "target", "benchmarks.jar")
RESULTS = os.path.join(ROOT, "benchmarks", "results")
TICK = os.sysconf("SC_CLK_TCK")
OURS, DIST = "openregistry", "distribution"
# OpenRegistry with cache.enabled=false, run beside the two with --cache-off
OURS_NOCACHE = "openregistry-nocache"

# (scenario, key, label, unit, higher_is_better)
METRICS = [
    ("S1", "push_monolithic_MBps", "push 1 blob, one PUT", "MB/s", True),
    ("S1", "push_chunked_MBps", "push 1 blob, PATCH chunks", "MB/s", True),
    ("S2", "pull_MBps", "pull 1 blob", "MB/s", True),
    ("S2", "pull_8_MBps", "pull 1 blob x8 clients", "MB/s", True),
    ("S3", "wall_s", "CI burst wall time", "s", False),
    ("S3", "images_per_s", "CI burst images/s", "img/s", True),
    ("S3", "image_p50_ms", "CI burst image p50", "ms", False),
    ("S3", "image_p99_ms", "CI burst image p99", "ms", False),
    ("S4", "req_per_s", "manifest GET", "req/s", True),
    ("S4", "p50_ms", "manifest GET p50", "ms", False),
    ("S4", "p99_ms", "manifest GET p99", "ms", False),
    ("S4", "p999_ms", "manifest GET p99.9", "ms", False),
    ("S5", "setup_s", "create repos+tags", "s", False),
    ("S5", "tags_list_req_per_s", "tags list", "req/s", True),
    ("S5", "catalog_page_req_per_s", "catalog page", "req/s", True),
    ("S6", "aggregate_MBps", "many big pushes", "MB/s", True),
    ("S6", "peak_rss_MiB", "many big pushes peak RSS", "MiB", False),
    ("S7", "cold_start_ms", "cold start to first 200", "ms", False),
    ("S7", "cold_start_no_cds_ms", "cold start, no AppCDS", "ms", False),
    ("S7", "cold_start_jdk25_aot_ms", "cold start, JDK 25 AOT cache", "ms", False),
    ("S7", "cold_start_jdk25_no_cache_ms", "cold start, JDK 25 no cache", "ms", False),
    ("S8", "push_s", "skopeo push, realistic image", "s", False),
    ("S8", "pull_s", "skopeo pull, realistic image", "s", False),
]
CPU_SCENARIOS = ["S1", "S2", "S3", "S6"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, proc, timeout=60.0, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/v2/", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(interval)
    raise RuntimeError(f"{url} did not become ready")


class Server:
    """One registry process on a free port with a fresh data directory."""

    def __init__(self, kind, work, heap, jvm_opts=(), extra_env=None):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=kind + "-", dir=work)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(work, f"{kind}-{self.port}.log"), "w")
        if kind in (OURS, OURS_NOCACHE):
            env = {k: v for k, v in os.environ.items() if not k.startswith("OPENREGISTRY_")}
            if kind == OURS_NOCACHE:
                env["OPENREGISTRY_CACHE_ENABLED"] = "false"
            env.update(OPENREGISTRY_HTTP_ADDR=f"127.0.0.1:{self.port}", OPENREGISTRY_STORAGE_ROOT=self.dir,
                       OPENREGISTRY_LOG_LEVEL="WARN", OPENREGISTRY_ADMIN_ADDR="127.0.0.1:0",
                       # the CI burst holds up to 64 x 3 sessions from one address (Distribution has no limit)
                       OPENREGISTRY_UPLOAD_MAX_SESSIONS_PER_ACCOUNT="0")
            env.update(extra_env or {})
            cmd = ["java", f"-Xmx{heap}", *jvm_opts, "-jar", JAR]
        else:
            config = os.path.join(self.dir, "config.yml")
            with open(config, "w") as f:
                f.write("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
                        f"storage:\n  filesystem:\n    rootdirectory: {self.dir}/data\n  delete:\n    enabled: true\n"
                        f"http:\n  addr: 127.0.0.1:{self.port}\n")
            env = dict(os.environ)
            cmd = ["docker-registry", "serve", config]
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def peak_rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def reset_peak(self):
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_harness(server, scenario, quick, run_id, replicas=()):
    """One harness run against `server`; with `replicas`, its requests alternate between `server`
    and them (CPU time is then the sum over all, peak RSS `server`'s)."""
    urls = [a for s in (server, *replicas) for a in ("--url", s.url)]
    cmd = ["java", "-Xmx1g", "-cp", HARNESS, "io.openregistry.bench.load.LoadHarness", *urls,
           "--scenario", scenario, "--run", run_id] + (["--quick"] if quick else [])
    server.reset_peak()
    cpu0 = sum(s.cpu_seconds() for s in (server, *replicas))
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    cpu = sum(s.cpu_seconds() for s in (server, *replicas)) - cpu0
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"ok": False, "error": f"harness printed no result (exit {proc.returncode}): {proc.stderr[-2000:]}"}
    result = json.loads(lines[-1])
    result["server_cpu_s"] = cpu
    moved = result.get("bytes", 0) / 2 ** 30
    if moved > 0:
        result["cpu_s_per_GiB"] = cpu / moved
    result["peak_rss_MiB"] = server.peak_rss_mib()
    return result


def launcher_cold_start(work, heap, java_home=None, tries=5, cache=True):
    """OpenRegistry as scripts/run starts it: one run that records the launcher's start-up cache
    (AppCDS archive, or the AOT cache on JDK 25+) and one that checks it, untimed, then `tries`
    timed cold starts that map it; each run on a fresh data directory. cache=False: the launcher
    with OPENREGISTRY_CDS=0, timed runs only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENREGISTRY_")}
    env.pop("JAVA_HOME", None)
    env.update(JAVA_OPTS=f"-Xmx{heap}", OPENREGISTRY_LOG_LEVEL="WARN", OPENREGISTRY_ADMIN_ADDR="127.0.0.1:0")
    if java_home:
        env["JAVA_HOME"] = java_home
    untimed = 2 if cache else 0
    if not cache:
        env["OPENREGISTRY_CDS"] = "0"
    times = []
    for n in range(tries + untimed):
        data = tempfile.mkdtemp(prefix="launcher-", dir=work)
        port = free_port()
        env.update(OPENREGISTRY_HTTP_ADDR=f"127.0.0.1:{port}", OPENREGISTRY_STORAGE_ROOT=data)
        url = f"http://127.0.0.1:{port}"
        with open(os.path.join(work, f"launcher-{port}.log"), "w") as log:
            started = time.monotonic()
            proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run")], stdout=log, stderr=subprocess.STDOUT, env=env)
            try:
                wait_ready(url, proc, interval=0.005)
                if n >= untimed:
                    times.append((time.monotonic() - started) * 1000)
                for path in ("/v2/_catalog", "/v2/x/tags/list"):
                    try:
                        urllib.request.urlopen(url + path, timeout=5).read()
                    except OSError:
                        pass
            finally:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(180)  # the recording run writes the cache at exit (JDK 25: a few seconds)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(data, ignore_errors=True)
    return {"ok": True, "cold_start_ms": statistics.median(times), "tries_ms": times}


def jdk25_home():
    """A JDK 25 or newer besides the default one (OPENREGISTRY_BENCH_JDK25, else /usr/lib/jvm/*), or None."""
    homes = [os.environ.get("OPENREGISTRY_BENCH_JDK25", "")]
    for root in ("/usr/lib/jvm", "/opt/java"):
        if os.path.isdir(root):
            homes += sorted(os.path.join(root, d) for d in os.listdir(root))
    for home in homes:
        try:
            with open(os.path.join(home, "release")) as f:
                version = next(l.split('"')[1] for l in f if l.startswith("JAVA_VERSION="))
            if int(version.split(".")[0].split("-")[0].split("+")[0]) >= 25 and os.access(os.path.join(home, "bin", "java"), os.X_OK):
                return home
        except (OSError, StopIteration, ValueError, IndexError):
            pass
    return None


def cold_start(kind, work, heap, tries=3, jvm_opts=()):
    times = []
    for _ in range(tries):
        server = Server(kind, work, heap, jvm_opts)
        try:
            wait_ready(server.url, server.proc, interval=0.005)
            times.append((time.monotonic() - server.started) * 1000)
        finally:
            server.stop()
    return {"ok": True, "cold_start_ms": statistics.median(times), "tries_ms": times}


class Postgres:
    """Debian's PostgreSQL in a temp dir, run as the postgres user (initdb refuses root)."""

    def __init__(self, work):
        version = sorted(os.listdir("/usr/lib/postgresql"))[-1]
        self.bin = f"/usr/lib/postgresql/{version}/bin"
        self.dir = os.path.join(work, "pgdata")
        self.port = free_port()
        os.makedirs(self.dir)
        shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(work, 0o755)
        self.as_postgres("initdb", "-D", self.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.as_postgres("pg_ctl", "-D", self.dir, "-w", "-l", os.path.join(self.dir, "log"),
                         "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")
        self.as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "registry")

    def as_postgres(self, program, *args):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/{program}", *args], check=True,
                       capture_output=True, timeout=120)

    def url(self):
        return f"r2dbc:postgresql://postgres@127.0.0.1:{self.port}/registry"

    def stop(self):
        self.as_postgres("pg_ctl", "-D", self.dir, "-m", "fast", "-w", "stop")


HOP_METRICS = [("push_monolithic_MBps", "S1 push, one PUT", "MB/s"), ("push_chunked_MBps", "S1 push, PATCH chunks", "MB/s"),
               ("cpu_s_per_GiB", "S1 server CPU per GiB (all replicas)", "s/GiB"),
               ("ms_per_request", "P1 256 KiB PATCHes, time per request", "ms")]


def replica_hop(work, heap, quick, run_id, warmup):
    """H1: S1 on two OpenRegistry replicas (PostgreSQL, one shared storage.root), each push staying
    on one replica, and each push hopping to the other replica on every request, alternating
    which goes first. Returns {"stay": result, "hop": result}."""
    postgres = Postgres(work)
    shared = tempfile.mkdtemp(prefix="replicas-", dir=work)
    env = {"OPENREGISTRY_DATABASE_URL": postgres.url(), "OPENREGISTRY_STORAGE_ROOT": shared}
    servers = []
    try:
        servers = [Server(OURS, work, heap, extra_env=env), Server(OURS, work, heap, extra_env=env)]
        for server in servers:
            wait_ready(server.url, server.proc)
        if warmup:
            for n in range(2):
                run_harness(servers[0], "S1", True, f"hopwarm{n}", replicas=servers[1:])
        results = {}
        for n, mode in enumerate(("stay", "hop", "hop", "stay")):
            # twice each, in the order stay-hop-hop-stay, so drift of the machine hits both alike;
            # the better of the two runs counts
            others = servers[1:] if mode == "hop" else ()
            result = run_harness(servers[0], "S1", quick, f"{run_id}h{n}", replicas=others)
            small = run_harness(servers[0], "P1", quick, f"{run_id}p{n}", replicas=others)
            for r in (result, small):
                print(f"[bench] H1 {mode:5} {'ok' if r.get('ok') else 'FAILED'}  {json.dumps(r)[:300]}", flush=True)
            if not result.get("ok") or not small.get("ok"):
                return {mode: result if not result.get("ok") else small}
            best = results.get(mode)
            if best is None or result["push_chunked_MBps"] + result["push_monolithic_MBps"] \
                    > best["push_chunked_MBps"] + best["push_monolithic_MBps"]:
                results[mode] = dict(result, ms_per_request=min(small["ms_per_request"],
                                                                 best["ms_per_request"] if best else float("inf")))
            else:
                best["ms_per_request"] = min(best["ms_per_request"], small["ms_per_request"])
        return results
    finally:
        for server in servers:
            server.stop()
        postgres.stop()


def print_hop_table(hop):
    print(f"\n{'':3} {'replica hop (PostgreSQL + shared dir)':40} {'unit':6} {'one replica':>12} {'hopping':>12} {'hop/one':>8}")
    for key, label, unit in HOP_METRICS:
        o, h = hop.get("stay", {}).get(key), hop.get("hop", {}).get(key)
        r = f"{h / o:.2f}x" if o and h else "-"
        print(f"H1  {label:40} {unit:6} {fmt(o):>12} {fmt(h):>12} {r:>8}")
    o, h = hop.get("stay", {}).get("ms_per_request"), hop.get("hop", {}).get("ms_per_request")
    if o and h:
        print(f"a replica hop costs about {h - o:.2f} ms per request (P1, hopping minus one replica)")


# S8: a realistic image (a Debian minbase root layer, an application layer, a config) pushed and
# pulled with skopeo, the client users run. The image is an OCI layout built once per machine and
# cached across runs (--image-cache), keyed by its recipe: only the first run pays for debootstrap.
REALISTIC_RECIPE = 2  # bump when the way the image is built changes
REALISTIC_TAG = "realistic"
APP_RANDOM_MIB, APP_TEXT_MIB = 32, 40  # application layer: incompressible (jars, binaries) + text
OFFLINE_BASE_MIB = 60  # the offline base layer: about 30 MB gzipped, as the slim minbase root
BLOB_INFO_CACHE = "/var/lib/containers/cache"  # root's blob-info cache (containers/image)


class Skip(Exception):
    """S8 cannot run on this machine; the message says why."""


def apt_mirror():
    """(URI, suite) of the Debian archive this machine's apt uses for its own release, or None:
    debootstrap fetches from the same place apt does (the only package source reachable here)."""
    codename = ""
    with open("/etc/os-release") as f:
        for line in f:
            if line.startswith("VERSION_CODENAME="):
                codename = line.split("=", 1)[1].strip().strip('"')
    entries = []  # (types, uris, suites, components)
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            text = f.read()
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.startswith(("#", " ", "\t")):
                        key, value = line.split(":", 1)
                        fields[key.strip().lower()] = value.split()
                if fields.get("enabled", ["yes"])[0].lower() != "no":
                    entries.append((fields.get("types", []), fields.get("uris", []), fields.get("suites", []),
                                    fields.get("components", [])))
        elif path.endswith(".list"):
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
                if len(words) >= 4:
                    entries.append(([words[0]], [words[1]], [words[2]], words[3:]))
    for types, uris, suites, components in entries:
        if "deb" in types and codename in suites and "main" in components:
            for uri in uris:
                if uri.startswith(("http://", "https://")):
                    return uri, codename
    return None


def layout_manifest(layout):
    with open(os.path.join(layout, "index.json")) as f:
        digest = json.load(f)["manifests"][0]["digest"]
    with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
        return digest, json.load(f)


def write_app_tree(root):
    """The application layer's files, the same bytes on every machine: APP_RANDOM_MIB of random
    bytes (incompressible, like jars and binaries) and APP_TEXT_MIB of text with a Zipf-like word
    mix (gzip gets it to about 40 %)."""
    rng = random.Random(20261130)
    os.makedirs(os.path.join(root, "app", "lib"))
    os.makedirs(os.path.join(root, "app", "data"))
    for n in range(APP_RANDOM_MIB // 4):
        with open(os.path.join(root, "app", "lib", f"part{n:02d}.jar"), "wb") as f:
            f.write(rng.randbytes(4 * 2 ** 20))
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 12))) for _ in range(20000)]
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(vocab))))
    for n in range(APP_TEXT_MIB // 4):
        lines, size = [], 0
        while size < 4 * 2 ** 20:
            line = f"{rng.randrange(10 ** 9):09d} " + " ".join(rng.choices(vocab, cum_weights=weights, k=rng.randint(4, 16))) + "\n"
            lines.append(line)
            size += len(line)
        with open(os.path.join(root, "app", "data", f"log{n:02d}.txt"), "w") as f:
            f.write("".join(lines))
    with open(os.path.join(root, "app", "run.sh"), "w") as f:
        f.write("#!/bin/sh\nexec cat /app/data/log00.txt\n")
    os.chmod(os.path.join(root, "app", "run.sh"), 0o755)


def offline_base_list(path):
    """The offline stand-in for a minbase root, from real trees of this machine: the first half of
    OFFLINE_BASE_MIB, in name order, of its shared libraries and the same of /usr/share (text,
    locale data, already compressed docs): about as compressible as the slimmed minbase root."""
    arch_lib = "/usr/lib/x86_64-linux-gnu" if os.path.isdir("/usr/lib/x86_64-linux-gnu") else "/usr/lib"
    names = []
    for top in (arch_lib, "/usr/share"):
        budget = OFFLINE_BASE_MIB * 2 ** 20 // 2  # half from each
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            names.append(dirpath)
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    names.append(full)
                elif os.path.isfile(full) and os.path.getsize(full) <= 8 * 2 ** 20:  # no libLLVM: minbase has none so big
                    budget -= os.path.getsize(full)
                    names.append(full)
                if budget <= 0:
                    break
            if budget <= 0:
                break
    with open(path, "w") as f:
        f.write("".join(name.lstrip("/") + "\n" for name in names))


def remove_tree(path):
    """rmtree that first unmounts what a killed debootstrap may have left mounted inside (its
    chroot's /proc, /sys, bound /dev nodes): deleting through those would reach the host's own."""
    def mounts_below():
        with open("/proc/self/mounts") as f:
            points = [line.split()[1].replace("\\040", " ") for line in f]
        return sorted((p for p in points if p.startswith(os.path.realpath(path) + "/")), key=len, reverse=True)

    for point in mounts_below():
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=60)
    if mounts_below():
        print(f"[bench] S8 leaving {path} in place: it still has mounts inside", flush=True)
        return
    shutil.rmtree(path, ignore_errors=True)


def realistic_image(cache):
    """The cached OCI layout of the realistic image and its description, built here if missing:
    debootstrap's minbase from this machine's apt archive when that works, else the offline tree."""
    for tool in ("skopeo", "umoci", "tar"):
        if not shutil.which(tool):
            raise Skip(f"{tool} is not installed (scripts/bench installs skopeo and umoci with apt-get)")
    app = {"random_MiB": APP_RANDOM_MIB, "text_MiB": APP_TEXT_MIB}
    candidates, errors = [], []
    mirror = apt_mirror()
    debootstrap = shutil.which("debootstrap") or shutil.which("debootstrap", path="/usr/sbin:/sbin")
    if not debootstrap:
        errors.append("debootstrap is not installed")
    elif mirror is None:
        errors.append("no Debian archive for this release in /etc/apt/sources.list*")
    else:
        candidates.append({"recipe": REALISTIC_RECIPE, "base": "debootstrap --variant=minbase", "suite": mirror[1],
                           "mirror": mirror[0], "app": app, "debootstrap": debootstrap})
    candidates.append({"recipe": REALISTIC_RECIPE, "base": f"offline: {OFFLINE_BASE_MIB} MiB of /usr/lib + /usr/share",
                       "app": app})
    os.makedirs(cache, exist_ok=True)
    for stale in glob.glob(os.path.join(cache, "building-*")):
        if time.time() - os.path.getmtime(stale) > 3600:  # left by a run that was killed while building
            remove_tree(stale)
    for recipe in candidates:
        key = hashlib.sha256(json.dumps({k: v for k, v in recipe.items() if k != "debootstrap"},
                                        sort_keys=True).encode()).hexdigest()[:16]
        final = os.path.join(cache, f"realistic-{key}")
        if os.path.isfile(os.path.join(final, "image.json")):
            with open(os.path.join(final, "image.json")) as f:
                return os.path.join(final, "layout"), dict(json.load(f), built="cached " + final)
        tmp = tempfile.mkdtemp(prefix="building-", dir=cache)
        try:
            started = time.monotonic()
            print(f"[bench] S8 building the image ({recipe['base']}; once, then cached in {final})", flush=True)
            info = build_realistic_image(tmp, recipe)
            info.update(recipe=recipe, build_s=round(time.monotonic() - started, 1),
                        fallback_because="; ".join(errors) or None)
            with open(os.path.join(tmp, "image.json"), "w") as f:
                json.dump(info, f, indent=1)
            try:
                os.rename(tmp, final)
            except OSError:
                if not os.path.isfile(os.path.join(final, "image.json")):  # else another run built it first
                    raise
            return os.path.join(final, "layout"), dict(info, built=f"built in {info['build_s']} s, cached " + final)
        except (subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
            output = " ".join(str(getattr(e, stream, None) or "").strip() for stream in ("stderr", "stdout"))
            errors.append(f"{recipe['base']} failed: {e} {output[-400:]}".strip())
        finally:
            if os.path.exists(tmp):
                remove_tree(tmp)
    raise Skip("could not build the image: " + "; ".join(errors))


def build_realistic_image(tmp, recipe):
    def run(*cmd, timeout=300):
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)

    base_tar, app_tar = os.path.join(tmp, "base.tar"), os.path.join(tmp, "app.tar")
    if recipe["base"].startswith("debootstrap"):
        rootfs = os.path.join(tmp, "rootfs")
        run(recipe["debootstrap"], "--variant=minbase", recipe["suite"], rootfs, recipe["mirror"], timeout=900)
        # as Debian's slim container images do: no downloaded .debs, no package lists, no manuals,
        # translations or docs but the copyright files (about 30 MB compressed, as debian:*-slim)
        for junk in glob.glob(os.path.join(rootfs, "var/cache/apt/archives/*.deb")) + \
                glob.glob(os.path.join(rootfs, "var/lib/apt/lists/*_*")) + \
                [p for d in ("locale", "man", "info", "groff", "lintian", "linda")
                 for p in glob.glob(os.path.join(rootfs, "usr/share", d, "*")) if not p.endswith("/locale.alias")] + \
                [p for p in glob.glob(os.path.join(rootfs, "usr/share/doc/*/*")) if not p.endswith("/copyright")]:
            if not os.path.lexists(junk):
                continue  # gone already: reached through a symlinked doc directory
            if os.path.isdir(junk) and not os.path.islink(junk):
                shutil.rmtree(junk)
            else:
                os.remove(junk)
        run("tar", "--numeric-owner", "--sort=name", "--exclude=./dev/*", "--exclude=./proc/*", "--exclude=./sys/*",
            "-C", rootfs, "-cf", base_tar, ".")
        remove_tree(rootfs)
        created_by = f"debootstrap --variant=minbase {recipe['suite']}"
    else:
        names = os.path.join(tmp, "base.list")
        offline_base_list(names)
        run("tar", "--numeric-owner", "--no-recursion", "-C", "/", "-T", names, "-cf", base_tar)
        created_by = recipe["base"]
    app_root = os.path.join(tmp, "approot")
    write_app_tree(app_root)
    run("tar", "--numeric-owner", "--owner=0", "--group=0", "--sort=name", "--mtime=@0", "-C", app_root,
        "-cf", app_tar, "app")
    shutil.rmtree(app_root)
    layout = os.path.join(tmp, "layout")
    image = f"{layout}:{REALISTIC_TAG}"
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", image)
    # umoci gzips each tar as one layer, as a build tool would; skopeo then copies the blobs as they are
    run("umoci", "raw", "add-layer", "--image", image, "--history.created_by", created_by, base_tar)
    run("umoci", "raw", "add-layer", "--image", image, "--history.created_by", "COPY app /app", app_tar)
    run("umoci", "config", "--image", image, "--config.cmd", "/app/run.sh", "--config.workingdir", "/app")
    run("umoci", "gc", "--layout", layout)
    os.remove(base_tar)
    os.remove(app_tar)
    digest, manifest = layout_manifest(layout)
    return {"base": created_by, "manifest_digest": digest,
            "layers_MB": [round(layer["size"] / 1e6, 1) for layer in manifest["layers"]],
            "image_MB": round((sum(layer["size"] for layer in manifest["layers"]) + manifest["config"]["size"]) / 1e6, 1)}


def mount_namespace_works():
    os.makedirs(BLOB_INFO_CACHE, exist_ok=True)
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"mount -t tmpfs tmpfs {BLOB_INFO_CACHE}"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def skopeo_copy(src, dest, *flags, isolated=True):
    """Wall time and CPU seconds (user + system) of one `skopeo copy`. Isolated: in a mount namespace with an empty blob-info cache,
    so skopeo cannot remember that an earlier try pushed the same blobs and mount them across
    repositories instead of uploading them (the registry would then move no bytes)."""
    cmd = ["skopeo", "--insecure-policy", "copy", "-q", *flags, src, dest]
    if isolated:
        cmd = ["unshare", "--mount", "sh", "-c", f'mount -t tmpfs tmpfs {BLOB_INFO_CACHE} && exec "$@"', "sh", *cmd]
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"skopeo copy {src} {dest} exited with {proc.returncode}: {proc.stderr[-1000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime


def pushed_manifest_digest(server, repo):
    request = urllib.request.Request(f"{server.url}/v2/{repo}/manifests/1", headers={"Accept": ", ".join((
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"))})
    with urllib.request.urlopen(request, timeout=30) as r:
        return "sha256:" + hashlib.sha256(r.read()).hexdigest()


def skopeo_realistic(servers, work, cache, tries, warmup, run_id):
    """S8: per registry, `tries` pushes of the cached image to a fresh repository each (nothing for
    the registry to deduplicate), each followed by a pull of it into a fresh OCI layout; registries
    alternate per try. Medians of the wall times; also the client floor, skopeo copying the layout
    to a layout in memory (/dev/shm) with no registry involved."""
    started = time.monotonic()
    try:
        layout, info = realistic_image(cache)
    except Skip as e:
        print(f"[bench] S8 skipped: {e}", flush=True)
        return {"skipped": str(e)}
    print(f"[bench] S8 image: {json.dumps(info)[:600]}", flush=True)
    isolated = mount_namespace_works()
    if not isolated:
        print("[bench] S8 warning: no mount namespace here, so skopeo shares root's blob-info cache and may "
              "mount blobs pushed by an earlier try instead of uploading them", flush=True)
    src = f"oci:{layout}:{REALISTIC_TAG}"
    results = {"image": info, "client_floor": {}}
    times = {kind: {"push": [], "pull": []} for kind in servers}
    cpu = dict.fromkeys(servers, 0.0)
    client_cpu = dict.fromkeys(servers, 0.0)

    def push_pull(kind, repo, timed):
        server = servers[kind]
        target = f"docker://127.0.0.1:{server.port}/{repo}:1"
        cpu0 = server.cpu_seconds()
        pushed, push_cpu = skopeo_copy(src, target, "--dest-tls-verify=false", isolated=isolated)
        pull_dir = tempfile.mkdtemp(prefix="s8-pull-", dir=work)
        try:
            pulled, pull_cpu = skopeo_copy(target, f"oci:{pull_dir}:1", "--src-tls-verify=false", isolated=isolated)
        finally:
            shutil.rmtree(pull_dir)
        if timed:
            cpu[kind] += server.cpu_seconds() - cpu0
            client_cpu[kind] += push_cpu + pull_cpu
            times[kind]["push"].append(round(pushed, 3))
            times[kind]["pull"].append(round(pulled, 3))

    failed = {}
    for n in range(-1 if warmup else 0, tries):
        kinds = list(servers)
        order = kinds[n % len(kinds):] + kinds[:n % len(kinds)]
        for kind in order:
            if kind in failed:
                continue
            repo = f"bench/realistic-{run_id}-{'warm' if n < 0 else n}"
            try:
                push_pull(kind, repo, n >= 0)
                if n <= 0 and pushed_manifest_digest(servers[kind], repo) != info["manifest_digest"]:
                    # skopeo converted or recompressed something: then it measures itself, not the registry
                    raise RuntimeError(f"the pushed manifest is not the layout's {info['manifest_digest']}")
            except (RuntimeError, OSError, subprocess.SubprocessError) as e:
                failed[kind] = str(e)
    floor, floor_cpu = [], 0.0
    try:
        for n in range(tries):
            # into memory where there is a tmpfs: the floor is skopeo's own reading, hashing and copying
            floor_dir = tempfile.mkdtemp(prefix="s8-floor-", dir="/dev/shm" if os.path.isdir("/dev/shm") else work)
            try:
                elapsed, used = skopeo_copy(src, f"oci:{floor_dir}:1", isolated=isolated)
                floor.append(round(elapsed, 3))
                floor_cpu += used
            finally:
                shutil.rmtree(floor_dir)
        results["client_floor"] = {"copy_s": statistics.median(floor), "tries_s": floor,
                                   "client_cpu_s": round(floor_cpu, 2)}
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        results["client_floor"] = {"error": str(e)}
    for kind in servers:
        if kind in failed:
            results[kind] = {"ok": False, "error": failed[kind]}
        else:
            results[kind] = {"ok": True, "push_s": statistics.median(times[kind]["push"]),
                             "pull_s": statistics.median(times[kind]["pull"]),
                             "push_tries_s": times[kind]["push"], "pull_tries_s": times[kind]["pull"],
                             "server_cpu_s": round(cpu[kind], 2), "client_cpu_s": round(client_cpu[kind], 2),
                             "isolated_blob_cache": isolated}
        status = "ok" if results[kind].get("ok") else "FAILED: " + results[kind]["error"][:300]
        print(f"[bench] S8 {kind:13} {status}  {json.dumps(results[kind])[:400]}", flush=True)
    results["took_s"] = round(time.monotonic() - started, 1)
    print(f"[bench] S8 client floor (skopeo oci: to oci: in /dev/shm, no registry) {json.dumps(results['client_floor'])}; "
          f"S8 took {results['took_s']} s", flush=True)
    return results


def ratio(ours, theirs, higher_is_better):
    if not ours or not theirs:
        return None
    return ours / theirs if higher_is_better else theirs / ours


def render_table(results):
    rows = []
    for scenario, key, label, unit, higher in METRICS:
        o = results.get(scenario, {}).get(OURS, {}).get(key)
        d = results.get(scenario, {}).get(DIST, {}).get(key)
        rows.append((scenario, label, unit, o, d, ratio(o, d, higher), higher))
    for scenario in CPU_SCENARIOS:
        o = results.get(scenario, {}).get(OURS, {}).get("cpu_s_per_GiB")
        d = results.get(scenario, {}).get(DIST, {}).get("cpu_s_per_GiB")
        rows.append((scenario, "server CPU per GiB moved", "s/GiB", o, d, ratio(o, d, False), False))
    return rows


def fmt(value):
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def print_table(rows):
    print(f"\n{'':3} {'metric':28} {'unit':6} {'openregistry':>13} {'distribution':>13} {'advantage':>10}")
    for scenario, label, unit, o, d, r, _ in rows:
        adv = "-" if r is None else f"{r:.2f}x"
        print(f"{scenario:3} {label:28} {unit:6} {fmt(o):>13} {fmt(d):>13} {adv:>10}")
    print("advantage > 1 means OpenRegistry is better (higher throughput, or lower time/latency/CPU/memory)")


def print_s8_notes(s8):
    if "skipped" in s8:
        print(f"S8 skipped: {s8['skipped']}")
        return
    image = s8["image"]
    floor = s8["client_floor"].get("copy_s")
    print(f"S8 image: {image['image_MB']} MB compressed, layers {image['layers_MB']} MB, base {image['base']}; "
          f"client floor (skopeo copying it to an OCI layout in /dev/shm, no registry) "
          + (f"{floor:.2f} s" if floor is not None else s8["client_floor"].get("error", "-")[:300]))


def print_cache_off(results):
    print(f"\n{'':3} {'metric':28} {'unit':6} {'cache on':>13} {'cache off':>13} {'distribution':>13}")
    for scenario, key, label, unit, _ in METRICS:
        off = results.get(scenario, {}).get(OURS_NOCACHE, {}).get(key)
        if off is None:
            continue
        on = results.get(scenario, {}).get(OURS, {}).get(key)
        d = results.get(scenario, {}).get(DIST, {}).get(key)
        print(f"{scenario:3} {label:28} {unit:6} {fmt(on):>13} {fmt(off):>13} {fmt(d):>13}")


def write_html(path, rows, meta):
    width, bar_h, left = 760, 22, 330
    valid = [r for r in rows if r[5]]
    top = max([2.0] + [r[5] for r in valid])
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{len(rows) * bar_h + 40}" '
           'font-family="sans-serif" font-size="12">']
    scale = (width - left - 60) / top
    x1 = left + scale
    svg.append(f'<line x1="{x1:.0f}" y1="0" x2="{x1:.0f}" y2="{len(rows) * bar_h}" stroke="#555" stroke-dasharray="4"/>')
    svg.append(f'<text x="{x1 + 4:.0f}" y="{len(rows) * bar_h + 14}">1x (parity)</text>')
    for i, (scenario, label, unit, o, d, r, _) in enumerate(rows):
        y = i * bar_h
        svg.append(f'<text x="4" y="{y + 15}">{html.escape(scenario + " " + label)}</text>')
        if r:
            color = "#2a9d4a" if r >= 1 else "#d1495b"
            svg.append(f'<rect x="{left}" y="{y + 4}" width="{r * scale:.0f}" height="{bar_h - 8}" fill="{color}"/>')
            svg.append(f'<text x="{left + r * scale + 4:.0f}" y="{y + 15}">{r:.2f}x</text>')
    svg.append("</svg>")
    table = "".join(f"<tr><td>{html.escape(s)}</td><td>{html.escape(l)}</td><td>{html.escape(u)}</td>"
                    f"<td>{fmt(o)}</td><td>{fmt(d)}</td><td>{'-' if r is None else f'{r:.2f}x'}</td></tr>"
                    for s, l, u, o, d, r, _ in rows)
    with open(path, "w") as f:
        f.write(f"<!doctype html><meta charset=utf-8><title>OpenRegistry vs Distribution</title>"
                f"<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 10px;text-align:right}}"
                f"td:nth-child(2),th:nth-child(2){{text-align:left}}</style>"
                f"<h1>OpenRegistry vs CNCF Distribution</h1><p>{html.escape(meta)}</p>"
                f"<p>Bar: advantage of OpenRegistry (green &gt; 1x better, red &lt; 1x worse).</p>{''.join(svg)}"
                f"<table><tr><th></th><th>metric</th><th>unit</th><th>openregistry</th><th>distribution</th>"
                f"<th>advantage</th></tr>{table}</table>")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under 3 minutes")
    parser.add_argument("--scenarios", default="S1,S2,S3,S4,S5,S6,S7,H1,S8",
                        help="S1-S7 side by side with Distribution; H1: S1 on two OpenRegistry replicas, "
                             "staying on one vs hopping on every request; S8: skopeo push and pull of a "
                             "realistic image (Debian minbase + application layer), side by side")
    parser.add_argument("--image-cache", default=os.path.expanduser("~/.cache/openregistry-bench"),
                        help="where S8's image is built once and kept (default ~/.cache/openregistry-bench)")
    parser.add_argument("--heap", default="256m", help="OpenRegistry's -Xmx (default 256m)")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-warmup", action="store_true", help="measure from a cold JVM")
    parser.add_argument("--cache-off", action="store_true",
                        help="also run OpenRegistry with cache.enabled=false (a third server, same run); "
                             "its figures are printed after the table and kept in the JSON as " + OURS_NOCACHE)
    args = parser.parse_args()
    for path in (JAR, HARNESS):
        if not os.path.isfile(path):
            sys.exit(f"bench: {path} is missing; build with mvn -DskipTests package")
    scenarios = [s.strip().upper() for s in args.scenarios.split(",")]
    os.makedirs(RESULTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="openregistry-bench-")
    free_gib = shutil.disk_usage(work).free / 2 ** 30
    quick_s6 = not args.quick and free_gib < 60
    if quick_s6 and "S6" in scenarios:
        print(f"bench: only {free_gib:.0f} GiB free in {work}; S6 runs at its quick size", file=sys.stderr)
    run_id = datetime.datetime.now().strftime("%H%M%S")
    results, failures = {}, []
    started = time.monotonic()
    side_by_side = [s for s in scenarios if s not in ("S7", "H1")]
    servers = {OURS: Server(OURS, work, args.heap), DIST: Server(DIST, work, args.heap)} if side_by_side else {}
    if servers and args.cache_off:
        servers[OURS_NOCACHE] = Server(OURS_NOCACHE, work, args.heap)
    try:
        for server in servers.values():
            wait_ready(server.url, server.proc)
        if side_by_side and not args.no_warmup:
            # Steady state is what a long-running registry serves; start-up is S7's business.
            # A JVM needs a few rounds of the request mix before its JIT settles.
            for server in servers.values():
                for n, scenario in enumerate(("S1", "S3", "S3", "S3", "S4")):
                    run_harness(server, scenario, True, f"warmup{n}")
        for i, scenario in enumerate(side_by_side):
            if scenario == "S8":
                results["S8"] = skopeo_realistic(servers, work, args.image_cache, 3, not args.no_warmup, run_id)
                failures += [f"S8 {k}: {r['error']}" for k, r in results["S8"].items()
                             if isinstance(r, dict) and r.get("ok") is False]
                continue
            kinds = list(servers)
            # rotate which goes first
            order = kinds[i % len(kinds):] + kinds[:i % len(kinds)]
            for kind in order:
                quick = args.quick or (scenario == "S6" and quick_s6)
                result = run_harness(servers[kind], scenario, quick, run_id)
                results.setdefault(scenario, {})[kind] = result
                status = "ok" if result.get("ok") else "FAILED: " + str(result.get("error"))[:300]
                print(f"[bench] {scenario} {kind:13} {status}  {json.dumps(result)[:400]}", flush=True)
                if not result.get("ok"):
                    failures.append(f"{scenario} {kind}: {result.get('error')}")
    finally:
        for server in servers.values():
            server.stop()
    if "S7" in scenarios:
        # OpenRegistry as scripts/run starts it (with its AppCDS archive, or on JDK 25+ its AOT
        # cache), and as a bare java -jar; the same on a JDK 25 when there is one.
        ours = launcher_cold_start(work, args.heap)
        ours["cold_start_no_cds_ms"] = cold_start(OURS, work, args.heap, tries=5)["cold_start_ms"]
        jdk25 = jdk25_home()
        if jdk25:
            ours["cold_start_jdk25_aot_ms"] = launcher_cold_start(work, args.heap, jdk25)["cold_start_ms"]
            ours["cold_start_jdk25_no_cache_ms"] = launcher_cold_start(work, args.heap, jdk25, cache=False)["cold_start_ms"]
        results.setdefault("S7", {})[OURS] = ours
        results["S7"][DIST] = cold_start(DIST, work, args.heap)
        for key in ("cold_start_no_cds_ms", "cold_start_jdk25_aot_ms", "cold_start_jdk25_no_cache_ms"):
            results["S7"][DIST][key] = results["S7"][DIST]["cold_start_ms"]
        for kind in (OURS, DIST):
            print(f"[bench] S7 {kind:13} ok  {json.dumps(results['S7'][kind])}", flush=True)
    if "H1" in scenarios:
        results["H1"] = replica_hop(work, args.heap, args.quick, run_id, not args.no_warmup)
        if not all(r.get("ok") for r in results["H1"].values()) or len(results["H1"]) < 2:
            failures.append(f"H1: {json.dumps(results['H1'])[:500]}")
    shutil.rmtree(work, ignore_errors=True)

    rows = render_table(results)
    if any(k != "H1" for k in results):
        print_table(rows)
    if "S8" in results:
        print_s8_notes(results["S8"])
    if "H1" in results:
        print_hop_table(results["H1"])
    if args.cache_off:
        print_cache_off(results)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    meta = (f"{stamp}, {'quick' if args.quick else 'full'} run, {os.cpu_count()} cores, OpenRegistry -Xmx{args.heap}, "
            f"{time.monotonic() - started:.0f} s")
    with open(os.path.join(RESULTS, f"bench-{stamp}.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    write_html(os.path.join(RESULTS, f"bench-{stamp}.html"), rows, meta)
    print(f"\nresults: benchmarks/results/bench-{stamp}.json and .html ({meta})")
    if failures:
        print("\nFAILED scenarios:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
