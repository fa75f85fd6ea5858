#!/usr/bin/env python3
"""G-bench: garbage collection of a registry with a few thousand manifests, OpenRegistry online
beside CNCF Distribution offline (its `garbage-collect --delete-untagged` with the registry stopped).

Both registries get the same content, pushed over HTTP: `--images` images in `--repos`
repositories, each image a config, a layer of its own (`--layer-kib`) and its repository's shared
base layer. Then the churn: every third image's manifest is deleted by digest, and every third
image's tag is moved to a new image (the old manifest becomes untagged). What must go: the
deleted and the untagged manifests with their own layers and configs.

OpenRegistry (gc.untaggedAfterSeconds 1, gc.graceSeconds 10 and waited out, filesystem storage, H2 or with
--postgres Debian's PostgreSQL) collects online through `POST /gc` on the admin listener, twice (the
blobs the first run unlinks are orphaned from then on and go in the second, once the grace has
passed), while a client keeps pushing new images; that client's push latency is measured before the
runs (baseline) and during them. Distribution's collector runs on the stopped registry's directory.
Afterwards every image that must remain is pulled from each (manifest and blobs, digests checked)
and the bytes of blob files on disk (the database and Distribution's link files left out) are
compared with what was freed.

Usage: scripts/bench-gc [--images 3000] [--repos 30] [--layer-kib 32] [--postgres] [--no-build]
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (Server, Postgres, free_port, wait_ready)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# gc.graceSeconds of the run: longer than any one push of the live pusher
GRACE_S = 10


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Client:
    """One keep-alive HTTP/1.1 connection; every call checks its status."""

    def __init__(self, url):
        host, port = url.split("//")[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=120)

    def call(self, method, path, body=None, headers=None, expect=(200, 201, 202, 204)):
        self.conn.request(method, path, body=body, headers=headers or {})
        response = self.conn.getresponse()
        data = response.read()
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return response, data

    def push_blob(self, repo, data):
        digest = sha(data)
        response, _ = self.call("POST", f"/v2/{repo}/blobs/uploads/", body=b"", headers={"Content-Length": "0"})
        location = response.getheader("Location")
        if location.startswith("http"):
            location = "/" + location.split("/", 3)[3]
        sep = "&" if "?" in location else "?"
        self.call("PUT", f"{location}{sep}digest={digest}", body=data,
                  headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(data))})
        return digest

    def push_manifest(self, repo, ref, manifest):
        body = json.dumps(manifest, separators=(",", ":")).encode()
        self.call("PUT", f"/v2/{repo}/manifests/{ref}", body=body, headers={"Content-Type": OCI_MANIFEST})
        return sha(body), body

    def close(self):
        self.conn.close()


def image(client, repo, tag, base, layer_kib, seq):
    """Pushes one image (config + own layer + the repository's base layer) and answers what to check later."""
    layer = os.urandom(layer_kib * 1024)
    config = json.dumps({"architecture": "amd64", "os": "linux", "seq": seq,
                         "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer_digest = client.push_blob(repo, layer)
    config_digest = client.push_blob(repo, config)
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest,
                           "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": base[0], "size": base[1]},
                           {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                            "size": len(layer)}]}
    digest, body = client.push_manifest(repo, tag, manifest)
    return {"repo": repo, "tag": tag, "digest": digest, "manifest": body,
            "blobs": [(config_digest, len(config)), base, (layer_digest, len(layer))]}


def populate(url, images, repos, layer_kib):
    """Pushes the content and the churn; answers the images that must remain."""
    client = Client(url)
    try:
        bases = {}
        for r in range(repos):
            repo = f"gc/app{r:03d}"
            data = os.urandom(1024 * 1024)
            bases[repo] = (client.push_blob(repo, data), len(data))
        pushed = []
        for i in range(images):
            repo = f"gc/app{i % repos:03d}"
            pushed.append(image(client, repo, f"t{i}", bases[repo], layer_kib, i))
        keep = []
        for i, img in enumerate(pushed):
            # by round, not by index: every repository keeps some images and loses some
            if (i // repos) % 3 == 0:
                client.call("DELETE", f"/v2/{img['repo']}/manifests/{img['digest']}")
            elif (i // repos) % 3 == 1:
                # the tag moves to a new image: the old manifest is untagged
                keep.append(image(client, img["repo"], img["tag"], bases[img["repo"]], layer_kib, images + i))
            else:
                keep.append(img)
        return keep
    finally:
        client.close()


def verify(url, keep):
    """Pulls every image that must remain, manifest by tag and blobs, checking every digest."""
    client = Client(url)
    seen = set()
    try:
        for img in keep:
            _, body = client.call("GET", f"/v2/{img['repo']}/manifests/{img['tag']}",
                                  headers={"Accept": OCI_MANIFEST}, expect=(200,))
            if sha(body) != img["digest"]:
                raise RuntimeError(f"{img['repo']}:{img['tag']} answers another manifest")
            for digest, size in img["blobs"]:
                if (img["repo"], digest) in seen:
                    continue
                _, data = client.call("GET", f"/v2/{img['repo']}/blobs/{digest}", expect=(200,))
                if sha(data) != digest or len(data) != size:
                    raise RuntimeError(f"{img['repo']}@{digest}: wrong bytes after GC")
                seen.add((img["repo"], digest))
        return len(keep), len(seen)
    finally:
        client.close()


def disk_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except FileNotFoundError:
                pass
    return total


class Pusher(threading.Thread):
    """Pushes small new images one after another and records each image's wall time."""

    def __init__(self, url, layer_kib):
        super().__init__(daemon=True)
        self.url, self.layer_kib = url, layer_kib
        self.phase = "baseline"
        self.times = {"baseline": [], "gc": [], "idle": []}
        self.images = []
        self.base_size = 0
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        client = Client(self.url)
        try:
            base_data = os.urandom(64 * 1024)
            base = (client.push_blob("gc/live", base_data), len(base_data))
            self.base_size = len(base_data)
            n = 0
            while not self.stopping.is_set():
                phase = self.phase
                start = time.monotonic()
                self.images.append(image(client, "gc/live", f"live{n}", base, self.layer_kib, -1 - n))
                self.times[phase].append((time.monotonic() - start) * 1000)
                n += 1
        except Exception as e:  # reported by the caller
            self.error = e
        finally:
            client.close()


def pct(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def run_ours(args, work):
    admin_port = bench.free_port()
    env = {"OPENREGISTRY_GC_INTERVAL_SECONDS": "0", "OPENREGISTRY_GC_GRACE_SECONDS": str(GRACE_S),
           "OPENREGISTRY_GC_UNTAGGED_AFTER_SECONDS": "1", "OPENREGISTRY_STORAGE_DELETE_AFTER_SECONDS": "0",
           "OPENREGISTRY_ADMIN_ADDR": f"127.0.0.1:{admin_port}"}
    postgres = bench.Postgres(work) if args.postgres else None
    if postgres:
        env["OPENREGISTRY_DATABASE_URL"] = postgres.url()
    server = bench.Server(bench.OURS, work, args.heap, extra_env=env)
    try:
        bench.wait_ready(server.url, server.proc)
        start = time.monotonic()
        keep = populate(server.url, args.images, args.repos, args.layer_kib)
        populate_s = time.monotonic() - start
        # past gc.untaggedAfterSeconds and gc.graceSeconds for everything populate pushed; the
        # live pusher's blobs stay younger than the grace, as a real push's layers are before its manifest
        time.sleep(GRACE_S + 1)
        blobs_dir = os.path.join(server.dir, "storage", "blobs")
        before = disk_bytes(blobs_dir)
        pusher = Pusher(server.url, args.layer_kib)
        pusher.start()
        # as long a baseline as the collection will take is not known yet: take a fixed one
        time.sleep(args.baseline_s)
        # two collections: the first deletes the untagged manifests and unlinks what no manifest of
        # its repository names; those blobs are orphaned from then on and go in the second, run once
        # they have been orphaned for gc.graceSeconds (the pusher goes on in between, not counted)
        admin = Client(f"http://127.0.0.1:{admin_port}")
        reports, walls = [], []
        for n in range(2):
            if n:
                pusher.phase = "idle"
                time.sleep(GRACE_S + 1)
            pusher.phase = "gc"
            start = time.monotonic()
            _, body = admin.call("POST", "/gc", body=b"", headers={"Content-Length": "0"}, expect=(200,))
            walls.append(time.monotonic() - start)
            reports.append(json.loads(body))
        pusher.phase = "idle"
        admin.close()
        pusher.stopping.set()
        pusher.join(60)
        if pusher.error:
            raise RuntimeError(f"a push during GC failed: {pusher.error}")
        wall = sum(walls)
        report = {"runs": reports, "walls_s": walls, "bytesFreed": sum(r["bytesFreed"] for r in reports),
                  "manifests": sum(r["manifests"]["deleted"] for r in reports),
                  "links": sum(r["links"]["removed"] for r in reports),
                  "blobs": sum(r["blobs"]["deleted"] for r in reports)}
        # the pusher's new blobs landed in the same directory meanwhile
        added = sum(size for img in pusher.images for digest, size in img["blobs"][::2]) + pusher.base_size
        after = disk_bytes(blobs_dir) - added
        # what must remain, and every image pushed while the collector ran
        images, blobs = verify(server.url, keep + pusher.images)
        return {"populate_s": populate_s, "gc_wall_s": wall, "gc_report": report,
                "disk_before_MiB": before / 2**20, "disk_after_MiB": after / 2**20,
                "disk_freed_MiB": (before - after) / 2**20, "verified_images": images, "verified_blobs": blobs,
                "pushes_baseline": len(pusher.times["baseline"]), "pushes_during_gc": len(pusher.times["gc"]),
                "push_p50_baseline_ms": pct(pusher.times["baseline"], 50),
                "push_p99_baseline_ms": pct(pusher.times["baseline"], 99),
                "push_p50_gc_ms": pct(pusher.times["gc"], 50), "push_p99_gc_ms": pct(pusher.times["gc"], 99),
                "push_max_gc_ms": max(pusher.times["gc"], default=float("nan"))}
    finally:
        server.stop()
        if postgres:
            postgres.stop()


def run_distribution(args, work):
    server = bench.Server(bench.DIST, work, args.heap)
    config = os.path.join(server.dir, "config.yml")
    data = os.path.join(server.dir, "data", "docker", "registry", "v2", "blobs")
    keep_dir = None
    try:
        bench.wait_ready(server.url, server.proc)
        start = time.monotonic()
        keep = populate(server.url, args.images, args.repos, args.layer_kib)
        populate_s = time.monotonic() - start
        # offline: the registry must not serve while its collector runs
        server.proc.terminate()
        server.proc.wait(20)
        before = disk_bytes(data)
        start = time.monotonic()
        gc = subprocess.run(["docker-registry", "garbage-collect", "--delete-untagged", config],
                            capture_output=True, text=True, timeout=3600)
        wall = time.monotonic() - start
        if gc.returncode != 0:
            raise RuntimeError(f"distribution garbage-collect failed: {gc.stderr[-500:]}")
        after = disk_bytes(data)
        # serve again from the same directory to verify what remains
        keep_dir = server.dir
        server.dir = tempfile.mkdtemp(prefix="unused-", dir=work)
        again = subprocess.Popen(["docker-registry", "serve", config], stdout=server.log, stderr=subprocess.STDOUT)
        try:
            bench.wait_ready(server.url, again)
            images, blobs = verify(server.url, keep)
        finally:
            again.terminate()
            again.wait(20)
        return {"populate_s": populate_s, "gc_wall_s": wall, "disk_before_MiB": before / 2**20,
                "disk_after_MiB": after / 2**20, "disk_freed_MiB": (before - after) / 2**20,
                "verified_images": images, "verified_blobs": blobs}
    finally:
        if server.proc.poll() is None:
            server.stop()
        else:
            server.log.close()
            shutil.rmtree(server.dir, ignore_errors=True)
        if keep_dir:
            shutil.rmtree(keep_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--repos", type=int, default=30)
    parser.add_argument("--layer-kib", type=int, default=32)
    parser.add_argument("--baseline-s", type=float, default=5.0)
    parser.add_argument("--heap", default="1g")
    parser.add_argument("--postgres", action="store_true", help="OpenRegistry on Debian's PostgreSQL instead of H2")
    parser.add_argument("--skip-distribution", action="store_true")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-gc-")
    try:
        results = {"args": vars(args), "load": os.getloadavg()}
        print(f"[bench-gc] {args.images} images in {args.repos} repositories; loadavg {os.getloadavg()[0]:.2f}",
              flush=True)
        results["openregistry"] = run_ours(args, work)
        print("[bench-gc] openregistry", json.dumps(results["openregistry"]), flush=True)
        if not args.skip_distribution:
            results["distribution"] = run_distribution(args, work)
            print("[bench-gc] distribution", json.dumps(results["distribution"]), flush=True)
        ours = results["openregistry"]
        print(f"\nOpenRegistry online GC ({'PostgreSQL' if args.postgres else 'H2'}), two runs: "
              f"{' + '.join(f'{w:.2f}' for w in ours['gc_report']['walls_s'])} s, "
              f"freed {ours['gc_report']['bytesFreed'] / 2**20:.1f} MiB "
              f"(blob files {ours['disk_freed_MiB']:.1f} MiB of {ours['disk_before_MiB']:.1f}); "
              f"{ours['gc_report']['manifests']} manifests, {ours['gc_report']['links']} links, "
              f"{ours['gc_report']['blobs']} blobs")
        print(f"  pushes meanwhile: {ours['pushes_during_gc']} images, p50 {ours['push_p50_gc_ms']:.1f} ms, "
              f"p99 {ours['push_p99_gc_ms']:.1f} ms, max {ours['push_max_gc_ms']:.1f} ms "
              f"(baseline {ours['pushes_baseline']} images, p50 {ours['push_p50_baseline_ms']:.1f} ms, "
              f"p99 {ours['push_p99_baseline_ms']:.1f} ms)")
        print(f"  verified after GC: {ours['verified_images']} images, {ours['verified_blobs']} blobs")
        if "distribution" in results:
            dist = results["distribution"]
            print(f"Distribution offline GC: {dist['gc_wall_s']:.2f} s with the registry stopped, "
                  f"blob files freed {dist['disk_freed_MiB']:.1f} MiB of {dist['disk_before_MiB']:.1f}; "
                  f"verified {dist['verified_images']} images, {dist['verified_blobs']} blobs")
        os.makedirs(bench.RESULTS, exist_ok=True)
        out = os.path.join(bench.RESULTS, time.strftime("bench-gc-%Y%m%d-%H%M%S.json"))
        with open(out, "w") as f:
            json.dump(results, f, indent=1)
        print(f"[bench-gc] wrote {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
