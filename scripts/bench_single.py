#!/usr/bin/env python3
"""One large blob, one stream at a time, with a client that is not the limit.

The sender uses sendfile(2) (about 1.4 GB/s into a null sink on a 2-core machine, where `curl -T`
tops out near 440 MB/s), the receiver recv_into() into one reused buffer. OpenRegistry (the built
jar, H2 + filesystem) and CNCF Distribution run side by side, as scripts/bench starts them; per
registry and try: a monolithic push (POST + PUT with the body), a push as POST + one PATCH + an
empty PUT (the commit's time on its own, as skopeo and docker push), and a pull. Then the disk's
durable write speed for the same file (`dd conv=fdatasync`). Medians, and the ratios.
"""
import argparse
import hashlib
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench", os.path.join(HERE, "bench.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)

BUF = bytearray(1 << 20)


def response(sock):
    """Status, lower-cased headers and the number of body bytes read (into the reused buffer)."""
    view = memoryview(BUF)
    head = b""
    while b"\r\n\r\n" not in head:
        n = sock.recv_into(view)
        if n == 0:
            raise RuntimeError(f"connection closed after {head!r}")
        head += bytes(view[:n])
    head, rest = head.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length, got = int(headers.get("content-length", "0")), len(rest)
    while got < length:
        n = sock.recv_into(view)
        if n == 0:
            break
        got += n
    return int(lines[0].split()[1]), headers, got


def location(headers):
    loc = urllib.parse.urlsplit(headers["location"])
    return loc.path + ("?" + loc.query if loc.query else "")


def request(sock, method, target, length=0, path=None):
    sock.sendall(f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                 f"Content-Length: {length}\r\n\r\n".encode())
    if path:
        with open(path, "rb") as f:
            sock.sendfile(f)
    return response(sock)


def expect(status, want, what):
    if status != want:
        raise RuntimeError(f"{what}: HTTP {status}, expected {want}")


def push(port, repo, path, digest, patch):
    """(body MB/s, commit ms) of one push; with patch, the body goes in a PATCH and the PUT is empty."""
    size = os.path.getsize(path)
    with socket.create_connection(("127.0.0.1", port)) as s:
        st, h, _ = request(s, "POST", f"/v2/{repo}/blobs/uploads/")
        expect(st, 202, "POST")
        target = location(h)
        sep = "&" if "?" in target else "?"
        t0 = time.perf_counter()
        if patch:
            st, h, _ = request(s, "PATCH", target, size, path)
            expect(st, 202, "PATCH")
            t1 = time.perf_counter()
            target = location(h)
            sep = "&" if "?" in target else "?"
            st, _, _ = request(s, "PUT", f"{target}{sep}digest={digest}")
        else:
            st, _, _ = request(s, "PUT", f"{target}{sep}digest={digest}", size, path)
            t1 = time.perf_counter()
        t2 = time.perf_counter()
        expect(st, 201, "PUT")
    return size / (t2 - t0 if not patch else t1 - t0) / 1e6, (t2 - t1) * 1000


def pull(port, repo, digest, size):
    with socket.create_connection(("127.0.0.1", port)) as s:
        t0 = time.perf_counter()
        st, _, got = request(s, "GET", f"/v2/{repo}/blobs/{digest}")
        elapsed = time.perf_counter() - t0
    expect(st, 200, "GET")
    if got != size:
        raise RuntimeError(f"pulled {got} of {size} bytes")
    return size / elapsed / 1e6


def sha256(path):
    with open(path, "rb") as f:
        return "sha256:" + hashlib.file_digest(f, "sha256").hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--jar", default=bench.JAR, help="the OpenRegistry jar to measure")
    parser.add_argument("--heap", default="256m")
    args = parser.parse_args()
    bench.JAR = args.jar
    work = tempfile.mkdtemp(prefix="bench-single-")
    blob = os.path.join(work, "blob")
    with open(blob, "wb") as f:
        for _ in range(args.size_mib):
            f.write(os.urandom(1 << 20))
    digest, size = sha256(blob), os.path.getsize(blob)
    figures = {}
    for kind in (bench.OURS, bench.DIST):
        server = bench.Server(kind, work, args.heap)
        try:
            bench.wait_ready(server.url, server.proc)
            pushed, patched, commits, pulled = [], [], [], []
            push(server.port, "warm/a", blob, digest, False)  # JIT and page cache
            cpu0 = server.cpu_seconds()
            for n in range(args.tries):
                pushed.append(push(server.port, f"single/p{n}", blob, digest, False)[0])
                rate, commit = push(server.port, f"single/c{n}", blob, digest, True)
                patched.append(rate)
                commits.append(commit)
                pulled.append(pull(server.port, f"single/p{n}", digest, size))
            cpu = server.cpu_seconds() - cpu0
            figures[kind] = {"push": statistics.median(pushed), "patch": statistics.median(patched),
                             "commit_ms": statistics.median(commits), "pull": statistics.median(pulled),
                             "cpu_s_per_GiB_pushed": cpu / (2 * args.tries * size / 2 ** 30)}
            print(f"{kind:13} push {[round(x) for x in pushed]} MB/s, PATCH {[round(x) for x in patched]} MB/s, "
                  f"empty PUT after it {[round(x) for x in commits]} ms, pull {[round(x) for x in pulled]} MB/s, "
                  f"server CPU {cpu:.1f} s", flush=True)
        finally:
            server.stop()
    t0 = time.perf_counter()
    subprocess.run(["dd", f"if={blob}", f"of={blob}.dd", "bs=1M", "conv=fdatasync"], check=True, capture_output=True)
    disk = size / (time.perf_counter() - t0) / 1e6
    os.remove(blob + ".dd")
    ours, theirs = figures[bench.OURS], figures[bench.DIST]
    print(f"\n{args.size_mib} MiB, medians of {args.tries}; disk (dd conv=fdatasync of the same file) {disk:.0f} MB/s")
    print(f"{'':34}{'openregistry':>14}{'distribution':>14}{'ours/theirs':>12}")
    for key, label in (("push", "push, one PUT (MB/s)"), ("patch", "PATCH body (MB/s)"),
                       ("commit_ms", "empty PUT after the PATCH (ms)"), ("pull", "pull (MB/s)"),
                       ("cpu_s_per_GiB_pushed", "server CPU per GiB pushed (s)")):
        print(f"{label:34}{ours[key]:>14.1f}{theirs[key]:>14.1f}{ours[key] / theirs[key]:>11.2f}x")
    print(f"push, one PUT: {ours['push'] / disk:.0%} of the disk's durable write speed")
    subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
