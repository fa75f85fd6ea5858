#!/usr/bin/env python3
"""S1 on S3, bounded: one blob (1 GiB by default) pushed to the registry on S3Proxy, against S3Proxy's
own PUT of the same file with curl, in the same run. See scripts/bench-s3."""
import argparse
import hashlib
import json
import os
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
S3PROXY = os.path.join(os.environ.get("OPENREGISTRY_CACHE", os.path.expanduser("~/.cache/openregistry")),
                       "s3proxy-2.6.0-jar-with-dependencies.jar")
BUCKET = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench-s3: {what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"bench-s3: {what} did not start")


def curl(*args):
    """Runs curl; returns (status, seconds, headers text)."""
    out = subprocess.run(["curl", "-s", "-S", "-o", "/dev/null", "-D", "-", "-w", "\n%{http_code} %{time_total}",
                          "--max-time", "900", *args], capture_output=True, text=True, check=True).stdout
    head, last = out.rsplit("\n", 1)
    code, seconds = last.split()
    return int(code), float(seconds), head


def header(headers, name):
    for line in headers.splitlines():
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError(f"no {name} header in {headers!r}")


def push(url, repo, path, digest, chunked, streamed=False):
    """One push of the file as a client makes it; the time from the POST to the 201. streamed: the
    PATCH is sent with Transfer-Encoding: chunked (no length known beforehand, as docker streams)."""
    started = time.monotonic()
    code, _, head = curl("-X", "POST", f"{url}/v2/{repo}/blobs/uploads/")
    assert code == 202, f"POST answered {code}"
    location = header(head, "Location")
    location = location if location.startswith("http") else url + location
    sep = "&" if "?" in location else "?"
    if chunked:
        extra = ["-H", "Transfer-Encoding: chunked"] if streamed else []
        code, patch_s, head = curl("-X", "PATCH", "-H", "Content-Type: application/octet-stream", *extra, "-T", path, location)
        assert code == 202, f"PATCH answered {code}"
        location = header(head, "Location")
        location = location if location.startswith("http") else url + location
        sep = "&" if "?" in location else "?"
        code, put_s, _ = curl("-X", "PUT", location + sep + "digest=" + digest)
        print(f"[bench-s3]   PATCH {patch_s:.2f} s, final PUT (commit) {put_s:.2f} s", flush=True)
    else:
        code, _, _ = curl("-X", "PUT", "-H", "Content-Type: application/octet-stream", "-T", path,
                          location + sep + "digest=" + digest)
    assert code == 201, f"final PUT answered {code}"
    return time.monotonic() - started


def refresh(path, tag):
    """Makes the file's content unique (its first 16 bytes) so that no push finds its blob already
    stored (the old S3 store skipped uploading a blob it found under its key); returns its digest."""
    with open(path, "r+b") as f:
        f.write(tag.encode().ljust(16, b"-")[:16])
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            sha.update(chunk)
    return "sha256:" + sha.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jar", default=JAR, help="the registry jar to measure (e.g. one built from main)")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heap", default="512m")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--registry-opt", action="append", default=[],
                        help="an extra JVM option for the registry (repeatable), e.g. a profiler's -agentpath")
    args = parser.parse_args()
    for path in (args.jar, S3PROXY):
        if not os.path.isfile(path):
            sys.exit(f"bench-s3: {path} is missing (the registry: mvn -DskipTests package; S3Proxy: scripts/e2e fetches it)")
    work = tempfile.mkdtemp(prefix="openregistry-bench-s3-")
    procs = []
    try:
        size = args.size_mib << 20
        blob = os.path.join(work, "blob")
        with open(blob, "wb") as f:
            left = size
            while left:
                chunk = os.urandom(min(left, 8 << 20))
                f.write(chunk)
                left -= len(chunk)

        s3_port = free_port()
        data = os.path.join(work, "s3")
        os.makedirs(os.path.join(data, BUCKET))
        conf = os.path.join(work, "s3proxy.conf")
        with open(conf, "w") as f:
            f.write(f"s3proxy.endpoint=http://127.0.0.1:{s3_port}\ns3proxy.authorization=none\n"
                    f"jclouds.provider=filesystem\njclouds.filesystem.basedir={data}\n")
        s3 = subprocess.Popen(["java", "-Xmx512m", "-jar", S3PROXY, "--properties", conf],
                              stdout=open(os.path.join(work, "s3proxy.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(s3)
        wait_port(s3_port, s3, "S3Proxy")

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENREGISTRY_")}
        env.update(OPENREGISTRY_HTTP_ADDR=f"127.0.0.1:{port}", OPENREGISTRY_STORAGE_ROOT=os.path.join(work, "registry"),
                   OPENREGISTRY_ADMIN_ADDR="127.0.0.1:0", OPENREGISTRY_LOG_LEVEL="WARN",
                   OPENREGISTRY_STORAGE_DRIVER="s3", OPENREGISTRY_STORAGE_S3_ENDPOINT=f"http://127.0.0.1:{s3_port}",
                   OPENREGISTRY_STORAGE_S3_BUCKET=BUCKET, OPENREGISTRY_STORAGE_S3_ACCESS_KEY="bench",
                   OPENREGISTRY_STORAGE_S3_SECRET_KEY="bench-secret")
        registry = subprocess.Popen(["java", f"-Xmx{args.heap}", *args.registry_opt, "-jar", args.jar], env=env,
                                    stdout=open(os.path.join(work, "registry.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(registry)
        wait_port(port, registry, "the registry")
        url = f"http://127.0.0.1:{port}"

        mb = size / 1e6
        results = {"s3proxy_put": [], "registry_put": [], "registry_patch_put": [], "registry_streamed_patch_put": []}
        # one small warm-up round of each, so the JITs are past their first compilations
        warm = os.path.join(work, "warm")
        with open(warm, "wb") as f:
            f.write(os.urandom(64 << 20))
        warm_digest = "sha256:" + hashlib.sha256(open(warm, "rb").read()).hexdigest()
        curl("-X", "PUT", "-T", warm, f"http://127.0.0.1:{s3_port}/{BUCKET}/warm")
        push(url, "bench/warm", warm, warm_digest, False)
        for run in range(args.runs):
            code, seconds, _ = curl("-X", "PUT", "-T", blob, f"http://127.0.0.1:{s3_port}/{BUCKET}/curl-{run}")
            assert code == 200, f"S3Proxy PUT answered {code}"
            results["s3proxy_put"].append(mb / seconds)
            # new content for every push: each is stored in full, none mounted or skipped
            results["registry_put"].append(mb / push(url, f"bench/put{run}", blob, refresh(blob, f"put{run}"), False))
            results["registry_patch_put"].append(
                mb / push(url, f"bench/patch{run}", blob, refresh(blob, f"patch{run}"), True))
            results["registry_streamed_patch_put"].append(
                mb / push(url, f"bench/streamed{run}", blob, refresh(blob, f"streamed{run}"), True, streamed=True))
            # the registry keeps one copy per digest: delete nothing, but drop curl's copy to bound disk use
            curl("-X", "DELETE", f"http://127.0.0.1:{s3_port}/{BUCKET}/curl-{run}")
            print(f"[bench-s3] run {run}: " + ", ".join(f"{k} {v[-1]:.0f} MB/s" for k, v in results.items()), flush=True)
        medians = {k: statistics.median(v) for k, v in results.items()}
        summary = {"size_MiB": args.size_mib, "runs": args.runs, "jar": args.jar,
                   "median_MBps": {k: round(v, 1) for k, v in medians.items()},
                   "ratio_put": round(medians["registry_put"] / medians["s3proxy_put"], 3),
                   "ratio_patch_put": round(medians["registry_patch_put"] / medians["s3proxy_put"], 3),
                   "ratio_streamed_patch_put": round(medians["registry_streamed_patch_put"] / medians["s3proxy_put"], 3),
                   "all_MBps": {k: [round(x, 1) for x in v] for k, v in results.items()}}
        print(json.dumps(summary, indent=1))
    finally:
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
